"""The tasks' MySQL hook: AIRFLOW_CONN_<ID> first, then Airflow's connection; PyMySQL through pocflow's connect."""

import pytest
from airflow.sdk import Connection

from pocflow.airflow import hooks
from pocflow.airflow.hooks import PocflowMySqlHook
from pocflow.connections import Endpoint, UnknownConnection


@pytest.fixture
def airflow_knows(monkeypatch):
    known = {
        "shop_db": Connection(
            conn_id="shop_db",
            conn_type="mysql",
            host="db.example",
            port=3307,
            login="poc",
            password="s3cret",
            schema="shop",
        )
    }

    def get_connection(conn_id):
        if conn_id not in known:
            raise LookupError(conn_id)
        return known[conn_id]

    monkeypatch.setattr(hooks.BaseHook, "get_connection", staticmethod(get_connection))


def test_an_airflow_connection_becomes_an_endpoint(airflow_knows):
    assert PocflowMySqlHook("shop_db").get_endpoint() == Endpoint("db.example", 3307, "poc", "s3cret", "shop")
    assert hooks.airflow_connection("nope") is None


def test_the_environment_comes_before_airflow(airflow_knows, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SHOP_DB", "mysql://env:pw@10.0.0.1:3306/envdb")
    assert hooks.endpoint("shop_db") == Endpoint("10.0.0.1", 3306, "env", "pw", "envdb")


def test_an_unknown_id_is_named(airflow_knows):
    assert not PocflowMySqlHook("nowhere_db").exists()
    with pytest.raises(UnknownConnection, match="nowhere_db"):
        PocflowMySqlHook("nowhere_db").get_endpoint()


def test_get_conn_connects_to_the_endpoint(airflow_knows, monkeypatch):
    calls = []
    monkeypatch.setattr(hooks, "connect", lambda endpoint, **options: calls.append((endpoint, options)) or "conn")
    assert PocflowMySqlHook("shop_db").get_conn(dict_rows=True) == "conn"
    assert calls == [(Endpoint("db.example", 3307, "poc", "s3cret", "shop"), {"dict_rows": True})]


def test_the_hook_names_its_connection_type():
    assert (PocflowMySqlHook.conn_type, PocflowMySqlHook.conn_name_attr) == ("mysql", "mysql_conn_id")
    assert PocflowMySqlHook().mysql_conn_id == PocflowMySqlHook.default_conn_name
