"""poc_cutover end to end on the local stack, approvals answered through Airflow's REST API.

The rehearsal engagement (include/engagements/cutover-shop.yaml) imports a copy of the sample shop
(database shop_cutover, its own source tablet) into keyspace shop_cutover. A first cutover is refused
at the write approval (nothing switched), a second switches reads and writes, shows a write through
vtgate landing on the target and replicating back, then rolls back; a third switches again and
completes.
"""

from __future__ import annotations

import shutil
import time

import pytest

from pocflow.connections import connect
from pocflow.engagement import PROJECT_ROOT, from_inputs
from pocflow.local.sample.load import load
from pocflow.local.stack.config import CUTOVER_DATABASE, CUTOVER_KEYSPACE
from pocflow.stage_order import STAGE_ORDER
from pocflow.stages import StageContext, run_stage
from pocflow.vitess.movetables import MoveTables
from pocflow.vitess.vtctldclient import VtctldError

pytestmark = pytest.mark.integration

DAG = "poc_cutover"
ENGAGEMENT = "cutover-shop"
TARGET = "shop_cutover"
WORKFLOW = "cutover_shop"
# short soaks and loose latency limits: the stack shares two cores with Airflow and the tests
FORM = {
    "engagement": ENGAGEMENT,
    "read_soak_minutes": 0.2,
    "write_soak_minutes": 0.2,
    "probe_seconds": 2,
    "probe_interval_seconds": 5,
    "max_p99_ms": 5000,
    "max_lag_seconds": 30,
    "approval_hours": 1,
    "accepted_findings": [f"no-unique-not-null-key:{CUTOVER_DATABASE}.events"],
}


def reset_rehearsal(vtctld, vtgate, source_admin, stack) -> None:
    """Back to before any import: no workflows, no copied tables, no denied tables, a fresh source copy."""
    forward = MoveTables(vtctld, WORKFLOW, TARGET)
    if forward.exists(settle=10):
        if forward.status().traffic.writes_switched:
            forward.reverse_traffic(approved=True)
        forward.cancel(approved=True)
    reverse = MoveTables(vtctld, f"{WORKFLOW}_reverse", CUTOVER_KEYSPACE)
    if reverse.exists(settle=10):  # --keep-data: its "target" is the source database
        vtctld.run(
            "Workflow",
            "--keyspace",
            CUTOVER_KEYSPACE,
            "delete",
            "--workflow",
            reverse.workflow,
            "--keep-data",
            approved=True,
        )
    with connect(vtgate.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"USE `{TARGET}:0@primary`")  # the target shard itself, whatever the routing rules say
        cur.execute("SHOW TABLES")
        names = [r[0] for r in cur.fetchall()]
    for _ in range(len(names)):  # children before parents: retry those a foreign key still holds
        for name in list(names):
            try:
                vtctld.run("ApplySchema", "--sql", f"DROP TABLE IF EXISTS `{name}`", TARGET, approved=True)
                names.remove(name)
            except VtctldError as e:
                if "foreign key constraint" not in e.stderr:
                    raise
    for keyspace in (CUTOVER_KEYSPACE, TARGET):
        try:
            vtctld.run("SetShardTabletControl", "--remove", f"{keyspace}/0", "PRIMARY", approved=True)
            vtctld.run("RefreshStateByShard", f"{keyspace}/0")
        except VtctldError as e:
            if "node doesn't exist" not in e.stderr:
                raise
    shutil.rmtree(PROJECT_ROOT / "artifacts" / ENGAGEMENT, ignore_errors=True)
    load(
        source_admin.with_database(CUTOVER_DATABASE),
        scale="tiny",
        data_dir=stack.config.state_dir / "sample-data",
        force=True,
        progress=lambda m: None,
    )


@pytest.fixture(scope="module")
def rehearsal(stack, vtctld, vtgate, source_admin, airflow):
    """The engagement run the cutovers start from (all stages, through the same functions as the DAG)."""
    e = from_inputs(file=f"{ENGAGEMENT}.yaml")
    if any(t.keyspace == TARGET for t in stack.config.provisioned_tablets()):
        reset_rehearsal(vtctld, vtgate, source_admin, stack)
    else:
        load(
            source_admin.with_database(CUTOVER_DATABASE),
            scale="tiny",
            data_dir=stack.config.state_dir / "sample-data",
            force=True,
            progress=lambda m: None,
        )
    ctx = StageContext(e, run_id=f"cutover-rehearsal-{int(time.time())}", log=lambda m: None)
    for stage in STAGE_ORDER:
        run_stage(stage, ctx)
    return e


@pytest.fixture(scope="module")
def api(airflow_api, airflow, rehearsal):
    airflow.wait_for_dag(DAG, airflow.token())
    return airflow_api(DAG)


def traffic(vtctld) -> str:
    mt = MoveTables(vtctld, WORKFLOW, TARGET)
    return mt.status().traffic_state if mt.exists(settle=10) else "completed"


def source_row(source_admin, email: str, timeout: float = 60) -> tuple | None:
    """The customer row on the source MariaDB itself, waiting for replication to bring it."""
    deadline = time.monotonic() + timeout
    while True:
        with connect(source_admin.with_database(CUTOVER_DATABASE)) as conn, conn.cursor() as cur:
            cur.execute("SELECT id, email FROM customers WHERE email = %s", (email,))
            row = cur.fetchone()
        if row or time.monotonic() > deadline:
            return row
        time.sleep(1)


def target_row(vtgate, email: str, timeout: float = 60) -> tuple | None:
    """The row on the target shard (its replica: shard-targeted, so routing rules do not apply, and not
    refused while the target's primary denies the moved tables before a switch or after a rollback)."""
    deadline = time.monotonic() + timeout
    while True:
        with connect(vtgate.with_database(None)) as conn, conn.cursor() as cur:
            cur.execute(f"USE `{TARGET}:0@replica`")
            cur.execute("SELECT id, email FROM customers WHERE email = %s", (email,))
            row = cur.fetchone()
        if row or time.monotonic() > deadline:
            return row
        time.sleep(1)


def write_through_vtgate(vtgate, email: str) -> int:
    with connect(vtgate.with_database(TARGET)) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO customers (email, full_name, country, balance, loyalty_tier, created_at) "
            "VALUES (%s, 'Cutover Probe', 'NL', 0, 'none', NOW(6))",
            (email,),
        )
        return cur.lastrowid


def cutover_log(run_id: str) -> list[dict]:
    from pocflow import cutover_log as log

    return [e.to_dict() for e in log.read(from_inputs(file=f"{ENGAGEMENT}.yaml"), run_id).entries]


def test_malformed_form_input_is_refused_before_a_run_starts(api):
    for conf in (
        {**FORM, "max_error_rate_pct": 150},
        {**FORM, "planned_at": "tonight"},
        {**FORM, "accepted_findings": ["events"]},
    ):
        status, body = api.call("POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": None, "conf": conf})
        assert status == 400, (conf, body)
    assert api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns")["total_entries"] == 0


def test_a_rejected_write_approval_switches_no_writes(api, vtctld, vtgate, source_admin):
    run_id = api.trigger(FORM)
    detail = api.answer(run_id, "approve_writes", "Reject", "not tonight")
    # the request shows what would happen, in Vitess's words
    assert (
        "SwitchTraffic dry run results" in detail["body"] and "Create reverse vreplication workflow" in detail["body"]
    )
    assert "PASS latest validation clean" in detail["body"]
    run = api.wait(run_id, lambda r, s: r["state"] in ("success", "failed"), "the run ends", timeout=300)
    states = api.task_states(run_id)
    assert states["switch_writes"] == "skipped" and states["complete"] == "skipped" and states["rollback"] == "skipped"
    assert run["state"] == "success"
    assert "Writes Not Switched" in traffic(vtctld)
    # writes still go to the source: a row written through vtgate appears there
    write_through_vtgate(vtgate, "rejected@example.com")
    assert source_row(source_admin, "rejected@example.com", timeout=5)
    entries = cutover_log(run_id)
    assert [(e["step"], e["outcome"], e["by"]) for e in entries if e["step"] == "approve writes"][-1] == (
        "approve writes",
        "rejected",
        "admin",
    )


def test_cutover_switches_rolls_back_switches_again_and_completes(api, vtctld, vtgate, source_admin, rehearsal):
    # 1. reads, soak, approved writes, soak; a write lands on the target and replicates back; roll back
    run_id = api.trigger(FORM)
    api.answer(run_id, "approve_writes", "Approve", "change window CHG-1234")
    api.wait(run_id, lambda r, s: s.get("complete_or_roll_back") == "awaiting_input", "the complete/roll back choice")
    assert traffic(vtctld) == "All Reads Switched. Writes Switched"
    write_through_vtgate(vtgate, "after-switch@example.com")
    assert target_row(vtgate, "after-switch@example.com", timeout=10), "the write did not land on the target"
    assert source_row(source_admin, "after-switch@example.com"), "reverse replication did not bring it to the source"
    detail = api.answer(run_id, "complete_or_roll_back", "Roll back to the source", "rehearsing the rollback")
    assert "ReverseTraffic dry run results" in detail["body"]
    run = api.wait(run_id, lambda r, s: r["state"] in ("success", "failed"), "the rollback", timeout=300)
    assert run["state"] == "success", api.task_states(run_id)
    assert api.task_states(run_id)["complete"] == "skipped"
    assert traffic(vtctld) == "Reads Not Switched. Writes Not Switched"
    write_through_vtgate(vtgate, "after-rollback@example.com")  # back on the source, replicated to the target
    assert source_row(source_admin, "after-rollback@example.com", timeout=5)
    assert target_row(vtgate, "after-rollback@example.com")
    steps = [(e["step"], e["outcome"], e["by"]) for e in cutover_log(run_id)]
    assert ("approve writes", "approved", "admin") in steps and ("switch writes", "done", "admin") in steps
    assert ("roll back", "done", "admin") in steps and ("pre-checks", "passed", "admin") in steps

    # 2. again, to the end: complete keeps the source's tables
    run_id = api.trigger(FORM)
    api.answer(run_id, "approve_writes", "Approve")
    api.answer(run_id, "complete_or_roll_back", "Complete the migration", "go live")
    run = api.wait(run_id, lambda r, s: r["state"] in ("success", "failed"), "complete", timeout=300)
    assert run["state"] == "success", api.task_states(run_id)
    assert api.task_states(run_id)["rollback"] == "skipped"
    assert traffic(vtctld) == "completed"
    write_through_vtgate(vtgate, "after-complete@example.com")
    assert target_row(vtgate, "after-complete@example.com", timeout=10)
    assert source_row(source_admin, "after-rollback@example.com", timeout=1)  # the source's data is kept
    assert ("complete", "done", "admin") in [(e["step"], e["outcome"], e["by"]) for e in cutover_log(run_id)]
    # the engagement's report carries every cutover run's log
    report = max(
        (PROJECT_ROOT / "artifacts" / ENGAGEMENT).glob("cutover-rehearsal-*/report.html"),
        key=lambda p: p.stat().st_mtime,
    ).read_text()
    assert report.count("<h3>Cutover run ") == 3 and "Cutover log" in report
    assert "rehearsing the rollback" in report and "go live" in report


def test_pre_checks_refuse_an_open_blocker_and_switch_nothing(api, vtctld):
    """The events table (no unique key, left on the source) is a blocker nobody accepted this time."""
    run_id = api.trigger({**FORM, "accepted_findings": []})
    run = api.wait(run_id, lambda r, s: r["state"] in ("success", "failed"), "the refusal", timeout=300)
    assert run["state"] == "failed" and api.task_states(run_id)["pre_checks"] == "failed"
    assert api.task_states(run_id)["switch_reads"] in ("upstream_failed", None)
    entry = next(e for e in cutover_log(run_id) if e["step"] == "pre-checks")
    assert entry["outcome"] == "failed"
    assert "[FAIL] no open blocker findings" in entry["evidence"] and "events" in entry["evidence"]
