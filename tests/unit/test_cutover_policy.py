"""The cutover's decisions outside Airflow: when a soak ends, what a person is asked, what a failed step leaves
in the cutover log."""

from __future__ import annotations

import datetime as dt

import pytest

from pocflow import cutover_log as log
from pocflow.cutover import approval, soak, steps
from pocflow.cutover.context import CutoverContext, CutoverRefused
from pocflow.cutover.settings import parse
from pocflow.engagement import from_inputs
from pocflow.vitess.movetables import WorkflowStatus


class FakeMoveTables:
    def __init__(self, state: str):
        self.workflow, self.target_keyspace, self.state = "w", "k", state

    def status(self):
        return WorkflowStatus("w", "k", [], [], self.state)

    def exists(self, settle=0):
        return True

    def complete(self, **kw):
        return "COMPLETE DRY RUN"

    def reverse_traffic(self, **kw):
        return "REVERSE DRY RUN"


def make_ctx(tmp_path, monkeypatch, **form) -> CutoverContext:
    e = from_inputs(file="demo-shop.yaml", today=dt.date(2026, 1, 1))
    e = type(e).from_dict({**e.to_dict(), "artifacts": {**e.to_dict()["artifacts"], "location": str(tmp_path)}})

    def record(self, step, outcome, detail, *, evidence="", by=None):  # the log without the report
        return log.append(
            self.engagement,
            self.run_id,
            log.Entry(step, outcome, detail, by or self.by, evidence=evidence),
            log=lambda m: None,
        )

    monkeypatch.setattr(CutoverContext, "record", record)
    return CutoverContext(
        e, parse({"engagement": e.name, **form}), "cutover-run", "engagement-run", by="sa", log=lambda m: None
    )


def entries(ctx: CutoverContext) -> list[tuple[str, str]]:
    return [(e.step, e.outcome) for e in log.read(ctx.engagement, ctx.run_id).entries]


def probe_finding(monkeypatch, breaches: list[str]) -> None:
    monkeypatch.setattr(
        soak, "probe", lambda ctx, writes_switched: soak.Probe(log.now(), "ks", 100, 0, 5.0, 0.0, breaches=breaches)
    )


def test_a_soak_runs_its_minutes_then_passes(tmp_path, monkeypatch):
    probe_finding(monkeypatch, [])
    ctx = make_ctx(tmp_path, monkeypatch, write_soak_minutes=10)
    assert not soak.check(ctx, writes=True).over
    assert entries(ctx) == [("write soak started", log.INFO)]
    ctx = make_ctx(tmp_path, monkeypatch, read_soak_minutes=0)
    done = soak.check(ctx, writes=False)
    assert done.over and done.to_dict()["breaches"] == []
    assert entries(ctx)[-1] == ("read soak", log.PASSED)


def test_a_read_soak_breach_sends_reads_back_and_stops(tmp_path, monkeypatch):
    probe_finding(monkeypatch, ["p99 300.0 ms > 250 ms"])
    reversed_for = []
    monkeypatch.setattr(steps, "reverse_reads", lambda ctx, reason: reversed_for.append(reason))
    ctx = make_ctx(tmp_path, monkeypatch)
    with pytest.raises(soak.ReadSoakBreached, match="reads are back on the source"):
        soak.check(ctx, writes=False)
    assert reversed_for == ["read soak breached the rollback criteria: p99 300.0 ms > 250 ms"]
    assert entries(ctx)[-1] == ("read soak", log.BREACH)


def test_a_write_soak_breach_goes_to_the_person_deciding(tmp_path, monkeypatch):
    probe_finding(monkeypatch, ["p99 300.0 ms > 250 ms"])
    ctx = make_ctx(tmp_path, monkeypatch)
    done = soak.check(ctx, writes=True)
    assert done.over and done.to_dict()["breaches"] == ["p99 300.0 ms > 250 ms"]


def test_the_write_request_shows_checks_soak_and_dry_run(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path, monkeypatch)
    monkeypatch.setattr(steps, "writes_switched", lambda ctx: False)
    monkeypatch.setattr(steps, "writes_dry_run", lambda ctx: "SwitchTraffic dry run results")
    request = approval.writes_request(
        ctx,
        checks=[{"passed": True, "name": "validation clean", "evidence": "0"}],
        soak={"probe": {"queries": 7, "errors": 0, "p99_ms": 3.0}},
    )
    assert ctx.engagement.customer in request.subject and "switch writes" in request.subject
    assert "- PASS validation clean: 0" in request.body and "probe 7 queries, 0 errors, p99 3.0 ms" in request.body
    assert "SwitchTraffic dry run results" in request.body
    assert entries(ctx) == [(approval.WRITES_STEP, log.INFO)]


def test_writes_switched_before_need_no_request(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path, monkeypatch)
    monkeypatch.setattr(steps, "writes_switched", lambda ctx: True)
    assert approval.writes_request(ctx, checks=[], soak={}) is None
    assert entries(ctx) == [(approval.WRITES_STEP, log.ALREADY_DONE)]


def test_the_finish_request_leads_with_a_breach(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path, monkeypatch)
    mt = FakeMoveTables("All Reads Switched. Writes Switched")
    monkeypatch.setattr(CutoverContext, "workflows", lambda self: [mt])
    request = approval.finish_request(ctx, breaches=["error rate 2.00% > 1%"])
    assert "ROLLBACK CRITERIA BREACHED" in request.subject
    assert "COMPLETE DRY RUN" in request.body and "REVERSE DRY RUN" in request.body
    assert "source's tables are kept" in request.body
    assert "passed" in approval.finish_request(ctx, breaches=[]).subject


def test_a_failed_step_is_recorded_and_raised(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path, monkeypatch)
    mt = FakeMoveTables("All Reads Switched. Writes Not Switched")
    monkeypatch.setattr(CutoverContext, "workflows", lambda self: [mt])
    with pytest.raises(CutoverRefused):
        steps.run_step(ctx, "switch-writes")
    assert entries(ctx) == [("switch-writes", log.FAILED)]
    with pytest.raises(ValueError, match="unknown cutover step"):
        steps.run_step(ctx, "switch-everything")


def test_the_window_is_ahead_only_until_it_comes():
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    planned = parse({"engagement": "e", "planned_at": "2026-11-29T13:00"}, now=now)
    assert planned.window_ahead(now) == dt.datetime(2026, 11, 29, 13, 0, tzinfo=dt.UTC)
    assert planned.window_ahead(now + dt.timedelta(hours=2)) is None
    assert parse({"engagement": "e"}, now=now).window_ahead(now) is None
