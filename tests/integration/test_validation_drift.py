"""Validation against real drift: rows changed directly in a target tablet's database, bypassing
replication, must be reported by key by both our comparison and VDiff; rows changing on the
source while we compare must not be reported; the nightly DAG flags the drift as a regression."""

import json
import random
import subprocess
import threading
import time

import pytest

from pocflow.connections import connect
from pocflow.engagement import PROJECT_ROOT, from_inputs
from pocflow.local.airflow.env import dags_test
from pocflow.nightly import HISTORY
from pocflow.quality.diff import DiffSettings, TableComparison
from pocflow.quality.sides import SourceSide, TargetSide
from pocflow.stages import StageContext, run_stage

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]

DRIFT = {  # table -> (kind, key)
    "customers": ("different", {"id": 5}),
    "order_lines": ("missing_on_target", {"order_id": 10, "line_no": 1}),
    "payments": ("extra_on_target", {"id": 999999}),
}


def target_sql(stack, sql: str) -> None:
    """Write straight into the target primary's MariaDB (vt_shop), as a stray process would."""
    socket = stack.config.vtdataroot / "vt_0000000100" / "mysql.sock"
    subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={socket}", "--user=vt_dba", "vt_shop", "-e", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def nightly(out_key: str, store: dict) -> None:
    proc = dags_test("poc_nightly_validation", capture=True)
    store[out_key] = proc.stdout + proc.stderr
    assert proc.returncode == 0, store[out_key][-3000:]


@pytest.fixture(scope="module")
def drifted(stack, sample, tmp_path_factory):
    """Import the demo engagement, take a clean nightly, inject drift, validate, take another nightly."""
    out = {}
    proc = dags_test(conf={"engagement_file": "demo-shop.yaml"}, capture=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    nightly("clean", out)
    target_sql(
        stack,
        "UPDATE customers SET balance = balance + 1 WHERE id = 5; "
        "DELETE FROM order_lines WHERE order_id = 10 AND line_no = 1; "
        "INSERT INTO payments (id, order_id, customer_id, method, amount, paid_at) "
        "VALUES (999999, 1, 1, 'card', 1.00, NOW())",
    )
    time.sleep(1)  # the target replica applies the stray writes too
    engagement = from_inputs({"engagement_file": "demo-shop.yaml"})
    from pocflow.nightly import latest_results

    ctx = StageContext(engagement, "drift-check", log=lambda m: None)
    for stage, result in latest_results(ctx.store, ["select-database", "sharding-plan", "import"]).items():
        ctx.results.hold(stage, result)
    out["validation"], _ = run_stage("validation", ctx)
    nightly("drifted", out)
    yield out
    target_sql(stack, "DELETE FROM payments WHERE id = 999999")


def test_our_comparison_reports_exactly_the_drifted_keys(drifted):
    result = drifted["validation"]
    found = {t.table: [(d.kind, d.key) for d in t.differences] for t in result.tables if t.differences}
    assert found == {table: [drift] for table, drift in DRIFT.items()}
    assert result.mismatched_rows == 3 and not result.passed


def test_vdiff_reports_the_same_keys(drifted):
    result = drifted["validation"]
    keys = {"customers": ["id"], "order_lines": ["order_id", "line_no"], "payments": ["id"]}
    for table, (kind, key) in DRIFT.items():
        reported = result.vdiff_keys(table, keys[table])
        assert reported == [(kind, {k: str(v) for k, v in key.items()})], (table, reported)
    clean = [t for t in result.vdiff["demo_shop"]["tables"] if t["table"] not in DRIFT]
    assert all(t["mismatched_rows"] == t["extra_rows_source"] == t["extra_rows_target"] == 0 for t in clean)


def test_the_nightly_dag_flags_the_drift_as_a_regression(drifted):
    assert "REGRESSION demo-shop" not in drifted["clean"]
    for line in (
        "customers: 1 differing row(s), was 0; new: different {'id': 5}",
        "order_lines: 1 differing row(s), was 0; new: missing_on_target",
        "payments: 1 differing row(s), was 0; new: extra_on_target {'id': 999999}",
    ):
        assert f"REGRESSION demo-shop: {line}" in drifted["drifted"]


def test_the_nightly_history_keeps_every_night(drifted):
    from pocflow.engagement import PROJECT_ROOT

    history = json.loads((PROJECT_ROOT / "artifacts" / "demo-shop" / "history" / HISTORY).read_text())
    assert len(history) >= 2
    assert history[-2]["regressions"] == [] and len(history[-1]["regressions"]) == 3
    assert history[-1]["workflow_states"] == {"demo_shop": "Running"}


def test_rows_changing_on_the_source_during_the_comparison_are_not_reported(
    stack, drifted, source_admin, source_readonly, vtgate, env
):
    """A writer keeps updating orders on the source while orders is compared in small chunks."""
    from pocflow.source.inventory import take

    with connect(source_readonly) as conn:
        orders = take(conn, "shop").table("orders")
    stop = threading.Event()
    writes = [0]

    def writer():
        rng = random.Random(7)
        with connect(source_admin) as conn, conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("UPDATE orders SET total = total + 0.01 WHERE id = %s", (rng.randint(1, 9000),))
                writes[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.5)
        source, target = SourceSide(source_readonly), TargetSide(vtgate, "shop", ["0"])
        try:
            result = TableComparison(
                orders, source, target, DiffSettings(chunk_rows=500, narrow_rows=32, recheck_wait_seconds=0.5)
            ).run()
        finally:
            source.close()
            target.close()
    finally:
        stop.set()
        thread.join()
    assert writes[0] > 100, "the writer must really have been writing during the comparison"
    assert result.status == "match" and result.differences == [], result.to_dict()
    assert result.chunks == 18  # ids 1-9000 cut by value into chunks of 500


def test_great_expectations_catch_the_row_outside_the_source_range(drifted):
    payments = [e for e in drifted["validation"].expectations if e["table"] == "payments"]
    # a suite profiled from the source cannot fail there: it runs (and counts) on the target only
    assert [e["side"] for e in payments] == ["target shop/0"]
    assert not payments[0]["success"] and "expect_column_values_to_be_between(id)" in payments[0]["failed"]
    # a failing suite is read again for examples: the raw result shows the value outside the range
    raw = json.loads(
        (PROJECT_ROOT / "artifacts" / "demo-shop" / "drift-check" / "gx" / "target-shop-0-payments.json").read_text()
    )
    between = [
        r
        for r in raw["results"]
        if r["expectation_config"]["type"] == "expect_column_values_to_be_between"
        and r["expectation_config"]["kwargs"]["column"] == "id"
    ]
    assert 999999 in between[0]["result"]["partial_unexpected_list"], between


def test_column_aggregates_catch_the_drift_exactly(drifted):
    aggregates = drifted["validation"].aggregates
    assert any(a.startswith("MAX(id): source") and a.endswith("target 999999") for a in aggregates["payments"])
    assert any(a.startswith("rows: source") for a in aggregates["order_lines"])
    assert any(a.startswith("SUM(balance)") for a in aggregates["customers"])
    assert aggregates["products"] == [] and aggregates["inventory"] == []


def test_the_engagements_own_suite_runs_on_both_sides(drifted):
    orders = [e for e in drifted["validation"].expectations if e["table"] == "orders"]
    assert [e["side"] for e in orders] == ["source", "target shop/0"] and all(e["success"] for e in orders)
    for side, profiled in (("source", False), ("target-shop-0", True)):
        raw = json.loads(
            (PROJECT_ROOT / "artifacts" / "demo-shop" / "drift-check" / "gx" / f"{side}-orders.json").read_text()
        )
        types = [r["expectation_config"]["type"] for r in raw["results"]]
        assert "expect_column_values_to_be_in_set" in types  # from include/expectations/demo-shop/orders.json
        assert ("expect_table_row_count_to_be_between" in types) is profiled


def test_a_second_import_attaches_to_the_existing_workflow(drifted):
    from pocflow.stages import StageContext, run_stage

    engagement = from_inputs({"engagement_file": "demo-shop.yaml"})
    result, _ = run_stage("import", StageContext(engagement, "attach-check", log=lambda m: None, compute_missing=True))
    assert result.created == {"demo_shop": False}
    assert [w.workflow for w in result.workflows] == ["demo_shop"]


def test_a_table_without_a_key_gets_a_whole_table_checksum_with_a_warning(source_readonly):
    """events has no key: compared as a whole (here the source against itself, then against a change)."""
    from pocflow.source.inventory import take

    with connect(source_readonly) as conn:
        events = take(conn, "shop").table("events")
    a, b = SourceSide(source_readonly), SourceSide(source_readonly)
    try:
        same = TableComparison(events, a, b, DiffSettings()).run()
    finally:
        a.close()
        b.close()
    assert same.status == "match" and same.chunks == 1 and same.rows_source == same.rows_target > 0
    assert "whole-table checksum" in same.warnings[0]


def test_a_threshold_stops_the_run_after_storing_the_result(drifted):
    from pocflow.stages.validation import ValidationThresholdExceeded, enforce_threshold

    engagement = from_inputs({"engagement_file": "demo-shop.yaml", "max_mismatched_rows": 2})
    with pytest.raises(ValidationThresholdExceeded, match="found 3 differing rows; the engagement allows 2"):
        enforce_threshold(StageContext(engagement, "t", log=lambda m: None), drifted["validation"])
    enforce_threshold(
        StageContext(
            from_inputs({"engagement_file": "demo-shop.yaml", "max_mismatched_rows": 3}), "t", log=lambda m: None
        ),
        drifted["validation"],
    )


def test_many_scattered_differences_are_each_named(stack, drifted, source_readonly, vtgate):
    """60 orders changed on the target, spread over the table: every one is found, and only those."""
    from pocflow.source.inventory import take

    with connect(source_readonly) as conn:
        orders = take(conn, "shop").table("orders")
    ids = list(range(7, 9000, 150))
    id_list = ", ".join(map(str, ids))
    # updated_at = updated_at: keep ON UPDATE CURRENT_TIMESTAMP from adding a second difference
    target_sql(stack, f"UPDATE orders SET total = total + 1000, updated_at = updated_at WHERE id IN ({id_list})")
    try:
        source, target = SourceSide(source_readonly), TargetSide(vtgate, "shop", ["0"])
        try:
            result = TableComparison(orders, source, target, DiffSettings(recheck_wait_seconds=0.2)).run()
        finally:
            source.close()
            target.close()
    finally:
        target_sql(stack, f"UPDATE orders SET total = total - 1000, updated_at = updated_at WHERE id IN ({id_list})")
    assert result.differences_total == len(ids)
    assert {d.kind for d in result.differences} == {"different"}
    assert [d.key["id"] for d in result.differences] == sorted(ids, key=str)[:20]
