"""The cutover's pure parts: the form, traffic states, the rollback criteria, and refusals without approval."""

from __future__ import annotations

import datetime as dt

import pytest

from pocflow import cutover_log as log
from pocflow.cutover import steps
from pocflow.cutover.context import CutoverContext, CutoverRefused
from pocflow.cutover.settings import CutoverSettings, parse
from pocflow.cutover.soak import breaches
from pocflow.engagement import EngagementError, from_inputs
from pocflow.vitess.movetables import TrafficState, WorkflowStatus

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def test_the_form_has_sensible_defaults():
    s = parse({"engagement": "demo-shop"}, now=NOW)
    assert (s.read_soak_minutes, s.write_soak_minutes, s.keep_source_data, s.planned_at) == (10.0, 30.0, True, None)
    assert CutoverSettings.from_dict(s.to_dict()) == s


def test_the_form_takes_a_planned_time_and_accepted_findings():
    s = parse(
        {
            "engagement": "demo-shop",
            "planned_at": "2026-12-01T22:00:00+01:00",
            "read_soak_minutes": "0.5",
            "accepted_findings": ["no-unique-not-null-key:shop.events"],
            "keep_source_data": "false",
        },
        now=NOW,
    )
    assert s.planned_at == dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)
    assert s.read_soak_minutes == 0.5 and not s.keep_source_data
    assert s.accepted_findings == ("no-unique-not-null-key:shop.events",)
    assert CutoverSettings.from_dict(s.to_dict()) == s
    assert parse({"engagement": "e", "planned_at": "2026-12-01T22:00"}, now=NOW).planned_at.tzinfo is not None


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({}, "engagement", "required"),
        ({"engagement": "e", "read_soak_minutes": "ten"}, "read_soak_minutes", "not a number"),
        ({"engagement": "e", "max_error_rate_pct": 150}, "max_error_rate_pct", "outside"),
        ({"engagement": "e", "probe_interval_seconds": 1}, "probe_interval_seconds", "outside"),
        ({"engagement": "e", "planned_at": "tomorrow evening"}, "planned_at", "not a date and time"),
        ({"engagement": "e", "planned_at": "2099-01-01T00:00"}, "planned_at", "more than a year away"),
        ({"engagement": "e", "accepted_findings": ["events"]}, "accepted_findings", "finding-id:object"),
        ({"engagement": "e", "keep_source_data": "maybe"}, "keep_source_data", "true"),
        ({"engagement": "e", "soak": 5}, "soak", "unknown field"),
    ],
)
def test_bad_form_input_is_named(form, field, message):
    with pytest.raises(EngagementError) as e:
        parse(form, now=NOW)
    assert field in e.value.problems and message in e.value.problems[field]


@pytest.mark.parametrize(
    "text, reads, writes, untouched",
    [
        ("Reads Not Switched. Writes Not Switched", False, False, True),
        ("All Reads Switched. Writes Not Switched", True, False, False),
        (
            "Reads partially switched. Replica switched in cells: zone1. Rdonly not switched. Writes Not Switched",
            False,
            False,
            False,
        ),
        ("All Reads Switched. Writes Switched", True, True, False),
    ],
)
def test_traffic_states(text, reads, writes, untouched):
    t = TrafficState(text)
    assert (t.reads_switched, t.writes_switched, t.untouched) == (reads, writes, untouched)


class FakeMoveTables:
    """Records what would have been run; the steps must refuse before calling it."""

    def __init__(self, state: str):
        self.workflow, self.target_keyspace, self.state, self.calls = "w", "k", state, []

    def status(self):
        return WorkflowStatus("w", "k", [], [], self.state)

    def exists(self, settle=0):
        return True

    def __getattr__(self, name):
        def call(*a, **kw):
            self.calls.append(name)
            return ""

        return call


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    e = from_inputs(file="demo-shop.yaml", today=dt.date(2026, 1, 1))
    e = type(e).from_dict({**e.to_dict(), "artifacts": {**e.to_dict()["artifacts"], "location": str(tmp_path)}})
    c = CutoverContext(e, parse({"engagement": e.name}), "cutover-run", "engagement-run", by="sa")
    monkeypatch.setattr(CutoverContext, "record", lambda self, *a, **kw: log.CutoverLog(e.name, "cutover-run"))
    return c


@pytest.mark.parametrize(
    "step, state",
    [
        (steps.switch_writes, "All Reads Switched. Writes Not Switched"),
        (steps.rollback, "All Reads Switched. Writes Switched"),
        (steps.complete, "All Reads Switched. Writes Switched"),
    ],
)
def test_no_traffic_moves_without_a_persons_approval(ctx, monkeypatch, step, state):
    mt = FakeMoveTables(state)
    monkeypatch.setattr(CutoverContext, "workflows", lambda self: [mt])
    with pytest.raises(CutoverRefused, match="needs a person's approval"):
        step(ctx, approved_by="")
    assert mt.calls == []
    step(ctx, approved_by="sa")
    assert mt.calls  # approved, the Vitess command runs


def test_steps_already_done_do_nothing(ctx, monkeypatch):
    mt = FakeMoveTables("All Reads Switched. Writes Switched")
    monkeypatch.setattr(CutoverContext, "workflows", lambda self: [mt])
    steps.switch_reads(ctx)
    steps.switch_writes(ctx, approved_by="")  # nothing to switch, so no approval is needed either
    mt.state = "Reads Not Switched. Writes Not Switched"
    steps.rollback(ctx, approved_by="")
    assert mt.calls == []


def test_complete_refuses_before_the_write_switch(ctx, monkeypatch):
    mt = FakeMoveTables("All Reads Switched. Writes Not Switched")
    monkeypatch.setattr(CutoverContext, "workflows", lambda self: [mt])
    with pytest.raises(CutoverRefused, match="complete only after the write switch"):
        steps.complete(ctx, approved_by="sa")
    assert mt.calls == []


def test_rollback_criteria(ctx):
    assert breaches(ctx, 1000, 0, 12.0, 0.0) == []
    found = breaches(ctx, 1000, 20, 300.0, 12.0)
    assert found == ["error rate 2.00% > 1%", "p99 300.0 ms > 250 ms", "replication lag 12s > 10s"]
    assert breaches(ctx, 0, 0, 0.0, None) == ["error rate 100.00% > 1%"]  # no query answered is a breach


def test_the_cutover_log_keeps_every_step(tmp_path):
    e = from_inputs(file="demo-shop.yaml", today=dt.date(2026, 1, 1))
    e = type(e).from_dict({**e.to_dict(), "artifacts": {**e.to_dict()["artifacts"], "location": str(tmp_path)}})
    log.append(e, "run-1", log.Entry("pre-checks", log.PASSED, "6 of 6 passed"), log=lambda m: None)
    log.append(e, "run-1", log.Entry("approve writes", log.APPROVED, "go", by="alice"), log=lambda m: None)
    log.append(e, "run-2", log.Entry("roll back", log.DONE, "back", by="bob"), log=lambda m: None)
    runs = log.all_runs(e)
    assert [r.run_id for r in runs] == ["run-1", "run-2"]
    assert [(x.step, x.by) for x in runs[0].entries] == [("pre-checks", "pocflow"), ("approve writes", "alice")]
    assert "| approve writes | approved | alice |" in (tmp_path / "demo-shop" / "run-1" / "cutover.md").read_text()
