"""Orchestration overhead: how long Airflow takes to parse each of our DAG files, against a trivial DAG
file parsed the same way in the same run (`airflow dags report`), alternated under the one protocol
(bench/protocol.py). Goal: under 0.5 s per file, in every run.

    python -m bench.parse [--repetitions 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from bench.protocol import Series, alternate
from bench.results import Result, measured
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.airflow.env import airflow_command, airflow_env, ensure_metadata_db

NAME = "DAG parse time"
"""This benchmark's result (bench/results/<NAME>.json)."""

TRIVIAL = """from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG(dag_id="trivial", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="noop")
"""
GOAL_SECONDS = 0.5


def report(dags_folder: Path, env: dict) -> dict[str, float]:
    env = {**env, "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder)}
    out = subprocess.run(
        [airflow_command(), "dags", "report", "-o", "json"], env=env, capture_output=True, text=True, check=True
    ).stdout
    rows = json.loads(next(line for line in out.splitlines() if line.startswith("[{")))
    return {Path(r["file"]).name: float(str(r["duration"]).rstrip("s").split(":")[-1]) for r in rows}


def run(repetitions: int = 3) -> Result:
    """Our DAG folder and a trivial one, each reported by `airflow dags report` ``repetitions`` times,
    alternated; compared on the parse time Airflow itself reports for the slowest file of each."""
    env = airflow_env()
    ensure_metadata_db(env)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "trivial.py").write_text(TRIVIAL)

        def side(folder: Path) -> dict:
            files = report(folder, env)
            return {"worst": max(files.values()), "files": files}

        c = alternate(lambda: side(PROJECT_ROOT / "dags"), lambda: side(Path(tmp)), repetitions=repetitions)
    parse = c.by("worst", higher_is_better=False)
    files = sorted(c.runs[0].figures["files"])
    per_file = {name: Series(tuple(r["files"][name] for r in c.runs_of("pocflow"))) for name in files}
    return Result(
        name=NAME,
        metric="trivial file's time / our slowest file's",
        pocflow=", ".join(f"{name} {series.show(digits=3)}" for name, series in per_file.items()),
        baseline=f"a trivial DAG file {parse.baseline.show(digits=3)}",
        ratio=parse.ratio,
        goal=f"under {GOAL_SECONDS} s per file",
        # met only when the slowest file stays under the goal in every run, not just at the median
        met=parse.pocflow.high < GOAL_SECONDS,
        command=f"python -m bench.parse --repetitions {repetitions}",
        details={
            "pocflow_runs": c.runs_of("pocflow"),
            "trivial_runs": c.runs_of("baseline"),
            "note": "Each side is a whole `airflow dags report` (timed by the protocol, in the runs); the row "
            "compares the parse time Airflow reports for the slowest file of each folder.",
        },
        **measured(parse),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    result = run(parser.parse_args().repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
