"""A local Airflow for this project: home in the stack's state folder, our dags and plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pocflow.engagement import PROJECT_ROOT
from pocflow.local.stack.config import StackConfig


def airflow_env(config: StackConfig | None = None) -> dict[str, str]:
    config = config or StackConfig.from_env()
    home = config.state_dir / "airflow"
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # SQLite: wait for the write lock the scheduler or another process holds instead of failing after 5 s
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "pocflow.airflow.metadata_db.SQLITE_CONNECT_ARGS",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }


def airflow_command() -> str:
    return str(Path(sys.executable).parent / "airflow")


def ensure_metadata_db(env: dict[str, str]) -> None:
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "airflow.db").exists():
        subprocess.run([airflow_command(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)


def dags_test(
    dag_id: str = "poc_engagement", conf: dict | None = None, *, capture: bool = False
) -> subprocess.CompletedProcess:
    """``airflow dags test DAG -c CONF`` against the local metadata database."""
    env = airflow_env()
    ensure_metadata_db(env)
    argv = [airflow_command(), "dags", "test", dag_id]
    if conf is not None:
        argv += ["-c", json.dumps(conf)]
    return subprocess.run(argv, env=env, capture_output=capture, text=True)
