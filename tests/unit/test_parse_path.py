"""The DAG files parse without importing the heavy libraries the stages use at run time: the scheduler and
the DAG processor re-read them every few seconds (bench/parse.py measures the time)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlglot", "pandas", "great_expectations", "boto3")


def test_dag_files_parse_without_the_run_time_libraries():
    probe = (
        "import sys; sys.path[:0] = ['dags', 'plugins']\n"
        "import poc_engagement, poc_cutover, poc_nightly_validation\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [], f"importing the DAG files imported {out}"
