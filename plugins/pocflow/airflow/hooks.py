"""The hook pocflow's tasks reach MySQL-protocol servers through: the source, or the target through vtgate."""

from __future__ import annotations

from typing import Any

import pymysql
from airflow.sdk import BaseHook

from pocflow.connections import Endpoint, connect, exists, resolve


def airflow_connection(conn_id: str) -> Endpoint | None:
    """An Airflow connection as an Endpoint, or None when Airflow does not know the id."""
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException and friends: fall back to the next source
        return None
    return Endpoint(
        host=conn.host or "127.0.0.1",
        port=int(conn.port or 3306),
        user=conn.login or "",
        password=conn.password or "",
        database=conn.schema or None,
    )


class PocflowMySqlHook(BaseHook):
    """A MySQL-protocol server by connection id, found as everywhere in pocflow (:func:`pocflow.connections.resolve`):
    AIRFLOW_CONN_<ID>, then Airflow's connection, then pocflow's fallbacks (the local stack). Connects with PyMySQL."""

    conn_name_attr = "mysql_conn_id"
    default_conn_name = "pocflow_source"
    conn_type = "mysql"
    hook_name = "pocflow MySQL (PyMySQL)"

    def __init__(self, mysql_conn_id: str = default_conn_name, **kwargs: Any):
        super().__init__(**kwargs)
        self.mysql_conn_id = mysql_conn_id

    def get_endpoint(self) -> Endpoint:
        return resolve(self.mysql_conn_id, airflow_lookup=airflow_connection)

    def exists(self) -> bool:
        """Whether any source knows the connection id."""
        return exists(self.mysql_conn_id, airflow_lookup=airflow_connection)

    def get_conn(self, **options: Any) -> pymysql.connections.Connection:
        """A PyMySQL connection; ``options`` as :func:`pocflow.connections.connect` takes them."""
        return connect(self.get_endpoint(), **options)


def endpoint(conn_id: str) -> Endpoint:
    """``conn_id`` found the way a task finds it: what a StageContext's ``resolve`` takes."""
    return PocflowMySqlHook(conn_id).get_endpoint()
