"""Orchestration overhead: how long Airflow takes to parse each of our DAG files, against a trivial DAG
file parsed the same way in the same run (`airflow dags report`). Goal: under 0.5 s per file.

    python -m bench.parse
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from bench.results import Result
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.airflow.env import airflow_command, airflow_env, ensure_metadata_db

TRIVIAL = """from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG(dag_id="trivial", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="noop")
"""
GOAL_SECONDS = 0.5


def report(dags_folder: Path) -> dict[str, float]:
    env = airflow_env()
    ensure_metadata_db(env)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder)
    out = subprocess.run(
        [airflow_command(), "dags", "report", "-o", "json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    rows = json.loads(next(line for line in out.splitlines() if line.startswith("[{")))
    return {Path(r["file"]).name: float(str(r["duration"]).rstrip("s").split(":")[-1]) for r in rows}


def run() -> Result:
    ours = report(PROJECT_ROOT / "dags")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "trivial.py").write_text(TRIVIAL)
        trivial = report(Path(tmp))["trivial.py"]
    worst = max(ours.values())
    return Result(
        name="DAG parse time",
        metric="trivial file's time / our slowest file's",
        pocflow=", ".join(f"{name} {seconds:.3f} s" for name, seconds in sorted(ours.items())),
        baseline=f"a trivial DAG file {trivial:.3f} s",
        ratio=trivial / worst if worst else 0.0,
        goal=f"under {GOAL_SECONDS} s per file",
        met=worst < GOAL_SECONDS,
        command="python -m bench.parse",
        details={"files": ours, "trivial": trivial},
    )


def main() -> None:
    result = run()
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
