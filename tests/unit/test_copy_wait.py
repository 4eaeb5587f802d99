"""The blocking copy waits: the import stage's (errors waited out within a grace) and MoveTables.wait_for_copy's
(any error fails at once). The trigger's async wait is in test_copy_trigger.py."""

from types import SimpleNamespace

import pytest

from pocflow.stages import import_data
from pocflow.vitess.movetables import MoveTables, Stream, TableCopy, WorkflowError, WorkflowStatus
from pocflow.vitess.vtctldclient import Vtctld, VtctldError


def status(state: str, phase: str = "COMPLETE") -> WorkflowStatus:
    return WorkflowStatus(
        "wf",
        "ks",
        [TableCopy("t", 10, 10, 100.0, phase)],
        [Stream("0", 1, "zone1-100", "ks_source/0", state, "boom" if state == "Error" else "", "0-1001-1")],
        "",
    )


def answers(items: list):
    calls = iter(items)

    def next_answer(*_):
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return next_answer


def import_wait(monkeypatch, items: list, grace: float) -> list[str]:
    fetch = answers(items)
    monkeypatch.setattr(import_data, "statuses", lambda vtctld, workflows: [fetch()])
    logged: list[str] = []
    ctx = SimpleNamespace(vtctld=None, log=logged.append)
    started = import_data.ImportStart([import_data.WorkflowPlan("wf", "src", "ks", ["t"])], {}, {}, 0.0)
    import_data.wait(ctx, started, poll=0.01, report_every=1000, error_grace=grace)
    return logged


def test_the_import_waits_out_errors_vitess_retries(monkeypatch):
    logged = import_wait(
        monkeypatch,
        [status("Error"), VtctldError(["x"], 1, "tablet away"), status("Copying", "IN_PROGRESS"), status("Running")],
        grace=30,
    )
    assert logged[0] == "import: wf: 0 stream 1: Error boom; Vitess retries, waiting (0s of 30s)"
    assert logged[1] == "import: MoveTables status failed: tablet away; Vitess retries, waiting (0s of 30s)"
    assert logged[2].startswith("copy: 10 rows copied;")


def test_the_import_fails_on_errors_that_outlast_the_grace(monkeypatch):
    with pytest.raises(WorkflowError, match=r"wf: 0 stream 1: Error boom\. Fix the cause"):
        import_wait(monkeypatch, [status("Error")] * 1000, grace=0.05)
    with pytest.raises(WorkflowError, match="^MoveTables status failed: tablet away$"):
        import_wait(monkeypatch, [VtctldError(["x"], 1, "tablet away")] * 1000, grace=0.05)


def movetables(monkeypatch, items: list) -> MoveTables:
    mt = MoveTables(Vtctld("x:1", "vtctldclient"), "wf", "ks")
    monkeypatch.setattr(MoveTables, "status", answers(items))
    return mt


def test_wait_for_copy_returns_the_replicating_status_and_reports_each(monkeypatch):
    seen = []
    final = movetables(monkeypatch, [status("Copying", "IN_PROGRESS"), status("Running")]).wait_for_copy(
        interval=0.01, on_progress=seen.append
    )
    assert final == status("Running") and seen == [status("Copying", "IN_PROGRESS"), status("Running")]


def test_wait_for_copy_fails_at_once_on_any_error(monkeypatch):
    with pytest.raises(WorkflowError, match="^0 stream 1: Error boom$"):
        movetables(monkeypatch, [status("Error"), status("Running")]).wait_for_copy(interval=0.01)
    with pytest.raises(VtctldError, match="tablet away"):
        movetables(monkeypatch, [VtctldError(["x"], 1, "tablet away"), status("Running")]).wait_for_copy(interval=0.01)


def test_wait_for_copy_times_out(monkeypatch):
    with pytest.raises(TimeoutError, match="workflow wf did not finish copying in 0s"):
        movetables(monkeypatch, [status("Copying", "IN_PROGRESS")] * 1000).wait_for_copy(timeout=0.05, interval=0.01)


def copied_within(monkeypatch, items: list, seconds: float, grace: float = 600.0) -> bool:
    fetch = answers(items)
    monkeypatch.setattr(import_data, "statuses", lambda vtctld, workflows: [fetch()])
    monkeypatch.setattr(import_data, "wait", _with_grace(import_data.wait, grace))
    ctx = SimpleNamespace(vtctld=None, log=lambda line: None)
    started = import_data.ImportStart([import_data.WorkflowPlan("wf", "src", "ks", ["t"])], {}, {}, 0.0)
    return import_data.copied_within(ctx, started, seconds, poll=0.01)


def _with_grace(wait, grace: float):
    return lambda *args, **kwargs: wait(*args, **{**kwargs, "error_grace": grace})


def test_a_copy_done_within_the_settle_time_finishes_in_the_worker(monkeypatch):
    assert copied_within(monkeypatch, [status("Copying", "IN_PROGRESS"), status("Running")], seconds=5)


def test_a_copy_still_running_or_retrying_at_the_settle_time_is_handed_over(monkeypatch):
    assert not copied_within(monkeypatch, [status("Copying", "IN_PROGRESS")] * 1000, seconds=0.05)
    # errors Vitess is still retrying (well within their grace) do not hold the worker past the settle time
    assert not copied_within(monkeypatch, [status("Error")] * 1000, seconds=0.05, grace=600)


def test_errors_that_outlast_their_grace_within_the_settle_time_fail_the_import(monkeypatch):
    with pytest.raises(WorkflowError, match=r"wf: 0 stream 1: Error boom\. Fix the cause"):
        copied_within(monkeypatch, [status("Error")] * 1000, seconds=30, grace=0.05)


def test_the_settle_time_comes_from_the_environment_and_bad_values_are_named():
    from pocflow.airflow.operators import SETTLE_ENV, import_settle_seconds

    assert import_settle_seconds({}) == 30
    assert import_settle_seconds({SETTLE_ENV: "0"}) == 0
    for bad in ("soon", "-1", "86400"):
        with pytest.raises(ValueError, match=f"{SETTLE_ENV}='{bad}': give the seconds"):
            import_settle_seconds({SETTLE_ENV: bad})
