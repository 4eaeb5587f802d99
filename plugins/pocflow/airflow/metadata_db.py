"""Settings for Airflow's own metadata database.

SQLITE_CONNECT_ARGS is for an Airflow on SQLite (a laptop, the local standalone, `airflow dags test`):
point ``[database] sql_alchemy_connect_args`` at ``pocflow.airflow.metadata_db.SQLITE_CONNECT_ARGS``.
SQLite lets one writer in at a time; the scheduler, the DAG processor and the API server all write, and
a request that waits for the lock longer than Python's default of 5 s fails with "database is locked"
(an HTTP 500 from the API, a task start retried) on a busy machine. Deployments on PostgreSQL or MySQL
(docker-compose.yaml) do not need it.
"""

SQLITE_CONNECT_ARGS = {"timeout": 30}
"""Seconds a connection waits for SQLite's write lock before it gives up."""
