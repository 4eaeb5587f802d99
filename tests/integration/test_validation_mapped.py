"""Validation as mapped tasks (`airflow dags test`: a task per table and per key range of a large table) gives
the result the single-process stage gives on the same data."""

import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from test_validation_drift import target_sql

from pocflow.engagement import from_inputs
from pocflow.local.airflow.env import airflow_env, dags_test
from pocflow.quality.diff import merge_table_diffs
from pocflow.stages import STAGES, RunResults, StageContext
from pocflow.stages.validation import plan_parts, run_part

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]

CONF = {"rows_per_part": 3000, "approve_read_switch": "false"}
"""Parts of about 3,000 rows: the shop's orders (9,000) in three key ranges or more; testing left out."""


def timeless(validation: dict) -> dict:
    """A validation result without what depends on when it ran: seconds per table and replication lag."""
    out = {k: v for k, v in validation.items() if k != "lag_seconds"}
    out["tables"] = [{k: v for k, v in t.items() if k != "seconds"} for t in validation["tables"]]
    return out


@pytest.fixture(scope="module")
def mapped_run(stack, sample):
    proc = dags_test(conf=CONF, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    run_id = re.search(r"run_id=(manual__\S+?),", out).group(1)
    folder = Path(re.search(r"validation result: (\S+)", out).group(1)).parent
    return run_id, folder, out


def test_validation_fans_out_over_tables_and_key_ranges(mapped_run):
    run_id, folder, out = mapped_run
    plan = json.loads((folder / "validation-parts" / "plan.json").read_text())
    parts = plan["parts"]
    tables = {p["table"] for p in parts}
    assert len(tables) >= 2
    orders = [p for p in parts if p["table"] == "orders" and p["kind"] == "range"]
    assert len(orders) >= 3 and [p["index"] for p in orders] == list(range(len(orders)))
    assert orders[0]["low"] is None and orders[-1]["high"] is None
    # orders' checks made once per table run as a part of their own, beside its ranges
    assert [p["kind"] for p in parts if p["table"] == "orders"] == ["checks"] + ["range"] * len(orders)
    db = sqlite3.connect(Path(airflow_env()["AIRFLOW_HOME"]) / "airflow.db")
    mapped = db.execute(
        "SELECT map_index, rendered_map_index, state FROM task_instance WHERE run_id = ? AND task_id = 'validate_part'",
        (run_id,),
    ).fetchall()
    assert len(mapped) == len(parts) and {state for *_, state in mapped} == {"success"}
    assert any(name and name.startswith("orders [1/") for _, name, _ in mapped)
    assert any(name == "orders checks (schema, aggregates, expectations)" for _, name, _ in mapped)
    for p in parts:
        name = {"table": p["table"], "range": f"{p['table']}.{p['index']}", "checks": f"{p['table']}.checks"}
        assert (folder / "validation-parts" / f"{name[p['kind']]}.json").exists()


def test_mapped_validation_equals_the_single_task_run(mapped_run):
    run_id, folder, out = mapped_run
    mapped = json.loads((folder / "validation.json").read_text())
    assert mapped["passed"], mapped
    by_table = {t["table"]: t for t in mapped["tables"]}
    assert by_table["orders"]["rows_source"] == by_table["orders"]["rows_target"] == 9000
    assert by_table["events"]["status"] == "skipped"
    # the same stage in one process, on the same run's import (its VDiff found again by its UUID)
    engagement = from_inputs(CONF, file="demo-shop.yaml")
    ctx = StageContext(engagement, run_id=run_id, log=lambda m: None)
    single = STAGES["validation"].run(ctx).to_dict()
    assert timeless(json.loads(json.dumps(single, default=str))) == timeless(mapped)


def test_a_batch_of_parts_runs_in_one_task_and_stores_each_part(mapped_run):
    """Past Airflow's max_map_length a mapped task gets several parts: it runs them in turn, each stored
    as the merge reads it, and reports each. (Before the drift test below, which changes the target.)"""
    from pocflow.airflow.operators import ValidationPartOperator

    run_id, _, _ = mapped_run
    engagement = from_inputs(CONF, file="demo-shop.yaml")
    ctx = StageContext(engagement, run_id=f"batch-{run_id}", log=lambda m: None)
    for stage in ("select-database", "import"):
        ctx.results.hold(stage, RunResults.of(engagement, run_id).require(stage))
    plan = plan_parts(ctx)
    batch = [p for p in plan if p.table == "orders"][:2] + [
        next(p for p in plan if p.kind == "table" and p.table != "events")
    ]
    assert [p.kind for p in batch] == ["checks", "range", "table"]
    task = ValidationPartOperator(task_id="validate_part", part=[p.to_dict() for p in batch])
    task.stage_context = lambda context: ctx
    out = task.execute({})
    assert [s["part"] for s in out["parts"]] == [p.label() for p in batch]
    checks, first_range, whole = out["parts"]
    assert checks["schema_differences"] == checks["aggregates_differing"] == 0 and "status" not in checks
    assert first_range["status"] == "match" and "schema_differences" not in first_range
    assert whole["status"] == "match" and whole["expectation_suites_failed"] == 0
    for p in batch:
        assert ctx.store.get_json(f"validation-parts/{p.name}")["part"] == p.to_dict()


def test_drift_is_found_alike_in_key_ranges_and_whole_tables(mapped_run, stack):
    """Rows changed on the target in several of orders' key ranges: the ranges' merged comparison names what
    the comparison of the whole table names."""
    run_id, _, _ = mapped_run
    target_sql(
        stack,
        "UPDATE orders SET total = total + 1, updated_at = updated_at WHERE id IN (10, 4000, 8000); "
        "DELETE FROM payments WHERE id = 3000",
    )
    time.sleep(1)  # the target replica applies the stray writes too
    found = {}
    for rows_per_part in (0, 3000):
        engagement = from_inputs({**CONF, "rows_per_part": rows_per_part}, file="demo-shop.yaml")
        ctx = StageContext(engagement, run_id=f"parts-{rows_per_part}-{run_id}", log=lambda m: None)
        for stage in ("select-database", "import"):
            ctx.results.hold(stage, RunResults.of(engagement, run_id).require(stage))
        by_table: dict[str, list] = {}
        for part in plan_parts(ctx):
            if part.compares_rows:
                by_table.setdefault(part.table, []).append(run_part(ctx, part).table)
        found[rows_per_part] = {name: merge_table_diffs(diffs, 20) for name, diffs in by_table.items()}
        assert len(by_table["orders"]) == (1 if rows_per_part == 0 else 3)
    whole, ranged = ({n: comparable(t) for n, t in found[k].items()} for k in (0, 3000))
    assert ranged == whole
    orders = found[3000]["orders"]
    assert [d.key for d in orders.differences] == [{"id": 10}, {"id": 4000}, {"id": 8000}]
    assert [c.column for d in orders.differences for c in d.columns] == ["total"] * 3
    assert found[3000]["payments"].differences_by_kind == {"missing_on_target": 1}


def comparable(result) -> dict:
    """A table's comparison but for what depends on how it was cut: its chunks, time and chunk warnings."""
    return {k: v for k, v in result.to_dict().items() if k not in ("chunks", "chunks_differing", "seconds", "warnings")}
