"""The local Airflow (SQLite) waits for the database's write lock instead of failing after SQLite's 5 s."""

import importlib


def test_the_local_airflow_points_sqlite_at_a_lock_wait_of_30_seconds(monkeypatch):
    from pocflow.local.airflow.env import airflow_env

    monkeypatch.setenv("POCFLOW_STATE_DIR", "/tmp/pocflow-unit-state")
    path = airflow_env()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS"]
    module, _, name = path.rpartition(".")
    assert getattr(importlib.import_module(module), name) == {"timeout": 30}  # sqlite3.connect(timeout=30)
