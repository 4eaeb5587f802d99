"""Real faults on the real stack: processes stopped by their pid mid-stage, then brought back.

Each test checks the stage recovers (or reports and ends) within a generous bound and records the
figures in artifacts/faults.json (printed at the end of the module).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from pocflow.airflow.triggers import MoveTablesCopyTrigger
from pocflow.connections import exists, resolve
from pocflow.engagement import PROJECT_ROOT, from_inputs
from pocflow.local.stack import Stack
from pocflow.local.stack.process import pid_alive
from pocflow.stages import StageContext, import_data, run_stage
from pocflow.stages.workflows import statuses
from pocflow.vitess.movetables import MoveTables, VDiff
from pocflow.vitess.vtctldclient import find_vtctldclient

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]

RECOVERY_LIMIT = 300.0  # seconds; generous: these machines are shared and noisy
POCFLOW = str(Path(sys.executable).parent / "pocflow")
FIGURES: dict[str, dict] = {}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    out = PROJECT_ROOT / "artifacts" / "faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2) + "\n")
    print("\nfaults injected and survived:\n" + "\n".join(f"  {k}: {v}" for k, v in FIGURES.items()))


@pytest.fixture(scope="module")
def engagement(stack, sample):
    return from_inputs({"engagement_file": "demo-shop.yaml"}, connection_exists=exists)


def new_context(engagement, label: str) -> tuple[StageContext, list[str]]:
    messages: list[str] = []
    # a fresh run: the stages before the one under test run first, as from the terminal
    ctx = StageContext(
        engagement,
        run_id=f"fault-{label}-{uuid.uuid4().hex[:8]}",
        resolve=resolve,
        log=messages.append,
        compute_missing=True,
    )
    return ctx, messages


def component(name: str):
    return next(c for c in Stack().components() if c.name == name)


def stop(name: str, sig: int = signal.SIGKILL) -> None:
    pid = component(name).pid()
    assert pid, f"{name} is not running"
    os.kill(pid, sig)
    deadline = time.monotonic() + 60
    while pid_alive(pid):
        assert time.monotonic() < deadline, f"{name} ({pid}) did not stop"
        time.sleep(0.2)


def bring_back() -> float:
    started = time.monotonic()
    Stack().up()
    return time.monotonic() - started


def fresh_import(ctx: StageContext):
    """Start the demo's import from nothing; the copy is still running when this returns."""
    for w in import_data.plan_workflows(ctx)[0]:
        MoveTables(ctx.vtctld, w.workflow, w.target_keyspace).cancel(approved=True)
    started = import_data.start(ctx)
    assert all(started.created.values()), f"an old workflow was reused: {started.created}"
    current = statuses(ctx.vtctld, started.workflows)
    assert not all(s.copy_complete for s in current), f"the copy finished before the fault: {current}"
    return started


def trigger_in_background(ctx: StageContext, started) -> tuple[threading.Thread, dict]:
    """The import task's own wait (its deferred trigger), run while the test injects the fault."""
    trigger = MoveTablesCopyTrigger(
        vtctld_address=ctx.engagement.target.vtctld_address,
        vtctldclient=find_vtctldclient(),
        workflows=[[w.workflow, w.target_keyspace] for w in started.workflows],
        poll_seconds=1,
        report_every=30,
        error_grace=RECOVERY_LIMIT,
    )
    outcome: dict = {}

    async def wait():
        async for event in trigger.run():
            outcome.update(event.payload, finished=time.monotonic())
            return

    thread = threading.Thread(target=lambda: asyncio.run(wait()), daemon=True)
    thread.start()
    return thread, outcome


def finish_and_validate(ctx: StageContext, started, thread: threading.Thread, outcome: dict) -> None:
    thread.join(RECOVERY_LIMIT + 60)
    assert outcome.get("status") == "complete", outcome
    ctx.results.put("import", import_data.finish(ctx, started))  # stored: later tests validate this run again
    validation, _ = run_stage("validation", ctx)
    assert validation.passed and validation.mismatched_rows == 0, validation.summary()


def fault_during_copy(engagement, label: str, component: str, sig: int) -> dict:
    """Stop ``component`` while the import copies, bring it back after 5 s; the import must finish and
    validate clean. Returns the figures."""
    ctx, _ = new_context(engagement, label)
    started = fresh_import(ctx)
    thread, outcome = trigger_in_background(ctx, started)
    stop(component, sig)
    stopped = time.monotonic()
    time.sleep(5)
    restart = bring_back()
    finish_and_validate(ctx, started, thread, outcome)
    recovered = outcome["finished"] - stopped
    assert recovered < RECOVERY_LIMIT
    return {"restart_s": round(restart, 1), "copy_done_after_fault_s": round(recovered, 1), "mismatched_rows": 0}


def test_a_target_vttablet_killed_during_the_copy(engagement):
    # the target primary's tablet, which runs the copy
    FIGURES["target vttablet killed during copy"] = fault_during_copy(
        engagement, "tablet", "vttablet-100", signal.SIGKILL
    )


def test_the_source_stopped_briefly_during_the_copy(engagement, stack):
    # a clean shutdown of the source server (MySQL unless the stack runs a MariaDB source)
    FIGURES["source server stopped during copy"] = fault_during_copy(
        engagement, "source", stack.source.name, signal.SIGTERM
    )


def cli_stage(stage: str, run_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [POCFLOW, stage, "--engagement", "demo-shop.yaml", "--run-id", run_id, "--json"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 300) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            return lines
        assert time.monotonic() < deadline, f"{marker!r} not seen in {timeout:.0f}s"
    raise AssertionError(f"the process ended before {marker!r}: {''.join(lines)[-2000:]}")


def latest_run_with_import(engagement) -> str:
    from pocflow.artifacts import ArtifactStore

    store = ArtifactStore(engagement.artifacts.location, engagement.name, "any")
    return store.runs_with("import.json")[-1]


def test_a_killed_validation_task_reruns_to_the_same_result_without_a_second_vdiff(engagement):
    run_id = latest_run_with_import(engagement)
    workflow = MoveTables(Stack().cluster.vtctld, "demo_shop", "shop")
    vdiff = VDiff(workflow.vtctld, "demo_shop", "shop")

    def vdiff_count() -> int:
        return len(vdiff.vtctld.run_json(*vdiff._args("show", "all", "--format", "json")) or [])

    proc = cli_stage("validation", run_id)
    read_until(proc, "validation: VDiff")
    before_kill = vdiff_count()
    os.killpg(proc.pid, signal.SIGKILL)  # the task process dies in the middle of validation
    proc.wait(30)
    killed = time.monotonic()
    rerun = cli_stage("validation", run_id)
    out, _ = rerun.communicate(timeout=RECOVERY_LIMIT)
    took = time.monotonic() - killed
    assert rerun.returncode == 0, out[-3000:]
    assert "exists for this run already" in out
    assert vdiff_count() == before_kill  # the rerun waited on the same VDiff
    result = json.loads(out[out.rindex("\n{\n") + 1 :])
    assert result["passed"] and result["mismatched_rows"] == 0
    assert workflow.exists()
    FIGURES["validation task killed and rerun"] = {
        "rerun_s": round(took, 1),
        "vdiffs_after": before_kill,
        "mismatched_rows": 0,
    }
    assert took < RECOVERY_LIMIT


def test_vtgate_killed_during_testing_is_reported_not_waited_on(engagement):
    run_id = latest_run_with_import(engagement)
    proc = cli_stage("testing", run_id)
    lines = read_until(proc, "testing: load on the target")
    stop("vtgate")
    killed = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=RECOVERY_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the testing stage hung after vtgate died") from None
    ended = time.monotonic() - killed
    out = "".join(lines) + out
    restart = bring_back()
    assert proc.returncode == 0, out[-3000:]  # the stage ends with a result that shows the errors
    result = json.loads(out[out.rindex("\n{\n") + 1 :])
    assert result["target_load"]["errors"] > 0 and "target queries failed" in out
    FIGURES["vtgate killed during testing"] = {
        "stage_ended_after_kill_s": round(ended, 1),
        "exit_code": proc.returncode,
        "vtgate_restart_s": round(restart, 1),
    }
    assert ended < RECOVERY_LIMIT


def test_every_stage_run_twice_gives_the_same_result_and_creates_nothing_twice(engagement):
    ctx, _ = new_context(engagement, "twice")
    vtctld = Stack().cluster.vtctld
    vdiff = VDiff(vtctld, "demo_shop", "shop")

    def vdiffs() -> list[dict]:
        try:
            return vtctld.run_json(*vdiff._args("show", "all", "--format", "json")) or []
        except Exception:  # no workflow yet
            return []

    keyspaces = Stack().keyspaces()
    vdiffs_before = len(vdiffs())
    twice = {}
    for stage in ("select-database", "provision", "sharding-plan", "import", "validation"):
        first, _ = run_stage(stage, ctx)
        second, _ = run_stage(stage, ctx)
        twice[stage] = (first.to_dict(), second.to_dict())
    assert Stack().keyspaces() == keyspaces
    workflows = [w["name"] for w in vtctld.run_json("GetWorkflows", "shop", "--include-logs=false")["workflows"]]
    assert workflows == ["demo_shop"]
    first, second = twice["import"]
    assert second["created"] == {"demo_shop": False} and first["tables"] == second["tables"]
    assert twice["sharding-plan"][0]["plan"] == twice["sharding-plan"][1]["plan"]
    assert twice["provision"][1]["already_provisioned"] is True
    assert twice["select-database"][0]["readiness"] == twice["select-database"][1]["readiness"]
    first, second = twice["validation"]

    def untimed(tables):
        return [{k: v for k, v in t.items() if k != "seconds"} for t in tables]

    assert first["passed"] and second["passed"] and untimed(first["tables"]) == untimed(second["tables"])
    after = vdiffs()
    assert len(after) <= vdiffs_before + 1  # one VDiff for this run, whichever run of the stage made it
    assert all(v["State"] == "completed" for v in after)
    FIGURES["every stage run twice"] = {
        "stages": list(twice),
        "workflows": workflows,
        "new_vdiffs": len(after) - vdiffs_before,
    }
