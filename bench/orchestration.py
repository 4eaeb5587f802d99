"""Orchestration overhead of a whole demo engagement: the DAG run by Airflow (`airflow dags test`,
as `make demo` does) against the same stages called directly, one after the other, in a Python process
of their own. Both sides start a fresh interpreter and import pocflow's stages (and what they import:
pandas, Great Expectations): the direct run is the time spent in Python's start-up, the databases,
Vitess and pocflow's own stage code, and the difference is what Airflow adds. Both alternated under the
one protocol (bench/protocol.py).

    python -m bench.orchestration [--repetitions 3]
    python -m bench.orchestration --direct FILE   (the direct side: every stage of FILE's engagement)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.protocol import alternate
from bench.results import Result, measured
from pocflow.connections import Endpoint
from pocflow.engagement import from_inputs
from pocflow.local.airflow.env import dags_test
from pocflow.local.sample.load import load
from pocflow.local.stack import Stack
from pocflow.stage_order import STAGE_ORDER
from pocflow.stages import StageContext, run_stage
from pocflow.stages.import_data import workflow_name
from pocflow.vitess.movetables import MoveTables

NAME = "orchestration overhead"
"""This benchmark's result (bench/results/<NAME>.json)."""

GOAL = 0.25  # Airflow adds at most a quarter to the engagement's wall time


def _fresh(engagement) -> None:
    """No import workflow: both runs copy the data from scratch."""
    ctx = StageContext(engagement, "bench")
    MoveTables(ctx.vtctld, workflow_name(engagement), engagement.target.keyspace).cancel(approved=True)


def direct(engagement) -> None:
    """Every stage called in this process, one after the other."""
    ctx = StageContext(engagement, f"bench-direct-{time.time_ns()}", log=lambda m: None)
    for stage in STAGE_ORDER:
        run_stage(stage, ctx)


ENGAGEMENT = "demo-shop.yaml"


def direct_process() -> None:
    """``direct`` in a fresh Python process, as `airflow dags test` is one: both pay the start-up and imports."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.orchestration", "--direct", ENGAGEMENT], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the direct run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def airflow() -> None:
    proc = dags_test("poc_engagement", {"engagement_file": ENGAGEMENT}, capture=True)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow dags test failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _sample() -> None:
    """The demo's sample shop in the source, as `make demo` loads it (kept when already there)."""
    stack = Stack()
    load(
        Endpoint.from_dsn(stack.env()["POCFLOW_SOURCE_ADMIN_DSN"]),
        scale="small",
        data_dir=stack.config.state_dir / "sample-data",
        progress=lambda m: None,
    )


def run(repetitions: int = 3) -> Result:
    _sample()
    e = from_inputs(file=ENGAGEMENT)
    c = alternate(airflow, direct_process, repetitions=repetitions, setup=lambda side: _fresh(e))
    _fresh(e)
    ours, theirs = c.pocflow, c.baseline
    overhead = ours.median - theirs.median
    return Result(
        name=NAME,
        metric="direct stage time / Airflow DAG run time",
        pocflow=f"demo engagement as an Airflow DAG run; Airflow's share at the medians {overhead:.1f} s "
        f"({overhead / ours.median:.0%}), worst pair {1 - c.worst_ratio:.0%}",
        baseline="the same stages called directly in a Python process of their own (its start-up, the "
        "databases, Vitess and stage code)",
        ratio=c.ratio,
        goal=f"Airflow adds at most {GOAL:.0%} of the wall time",
        met=c.met(1 - GOAL),
        command=f"python -m bench.orchestration --repetitions {repetitions}",
        details={
            "airflow_runs": c.runs_of("pocflow"),
            "direct_runs": c.runs_of("baseline"),
            "overhead_seconds_at_medians": round(overhead, 1),
            "gap": f"Airflow's share is a fixed cost of about {overhead:.0f} s per run (its start-up and metadata "
            "database, DAG parse, each task's XCom and metadata-database writes, the mapped validation's plan, "
            "parts and merge), whatever "
            f"the stages do; the stages themselves take {theirs.median:.1f} s, so the share is "
            f"{overhead / ours.median:.0%}.",
            "note": "airflow dags test runs every task in one process with the triggerer inline; the direct "
            "run is `python -m bench.orchestration --direct demo-shop.yaml`, every stage in turn in one fresh "
            "process, so both sides pay Python's start-up and pocflow's imports and the difference is "
            "Airflow's own: its start-up, DAG parsing, XCom and metadata-database writes. The import "
            "workflow is cancelled before every run (outside the timer), so each copies the data from scratch.",
        },
        **measured(c),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    parser.add_argument("--direct", metavar="FILE", help="run every stage of FILE's engagement here, then exit")
    args = parser.parse_args()
    if args.direct:
        direct(from_inputs(file=args.direct))
        return
    result = run(args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
