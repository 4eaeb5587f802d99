"""Orchestration overhead of a whole demo engagement: the DAG run by Airflow (`airflow dags test`,
as `make demo` does) against the same stages called directly in one process, each from a fresh
import. The direct run is the time spent in the databases, Vitess and pocflow's own stage code;
the difference is what Airflow adds.

    python -m bench.orchestration
"""

from __future__ import annotations

import time

from bench.results import Result
from pocflow.engagement import from_inputs
from pocflow.local.airflow.env import dags_test
from pocflow.stage_order import STAGE_ORDER
from pocflow.stages import StageContext, run_stage
from pocflow.stages.import_data import workflow_name
from pocflow.vitess.movetables import MoveTables

GOAL = 0.25  # Airflow adds at most a quarter to the engagement's wall time


def _fresh(engagement) -> None:
    """No import workflow: both runs copy the data from scratch."""
    ctx = StageContext(engagement, "bench")
    MoveTables(ctx.vtctld, workflow_name(engagement), engagement.target.keyspace).cancel(approved=True)


def run() -> Result:
    e = from_inputs(file="demo-shop.yaml")
    _fresh(e)
    started = time.perf_counter()
    ctx = StageContext(e, f"bench-direct-{int(time.time())}", log=lambda m: None)
    for stage in STAGE_ORDER:
        run_stage(stage, ctx)
    direct = time.perf_counter() - started
    _fresh(e)
    started = time.perf_counter()
    proc = dags_test("poc_engagement", {"engagement_file": "demo-shop.yaml"}, capture=True)
    airflow = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"airflow dags test failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    overhead = airflow - direct
    return Result(
        name="orchestration overhead",
        metric="direct stage time / Airflow DAG run time",
        pocflow=f"demo engagement as an Airflow DAG run: {airflow:.1f} s; Airflow's share {overhead:.1f} s "
        f"({overhead / airflow:.0%})",
        baseline=f"the same stages called directly (databases, Vitess and stage code only): {direct:.1f} s",
        ratio=direct / airflow,
        goal=f"Airflow adds at most {GOAL:.0%} of the wall time",
        met=overhead <= GOAL * airflow,
        command="python -m bench.orchestration",
        details={
            "airflow_seconds": round(airflow, 1),
            "direct_seconds": round(direct, 1),
            "overhead_seconds": round(overhead, 1),
            "note": "airflow dags test runs every task in one process with the triggerer inline; the "
            "overhead includes its start-up, DAG parsing, XCom and metadata-database writes.",
        },
    )


if __name__ == "__main__":
    result = run()
    result.save()
    print(result.line())
