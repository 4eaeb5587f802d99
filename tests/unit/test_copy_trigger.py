"""The import's trigger waits out errors Vitess retries itself, and gives up only when they persist."""

import asyncio
import time

from pocflow.airflow.triggers import MoveTablesCopyTrigger
from pocflow.vitess.movetables import Stream, TableCopy, WorkflowStatus


def status(state: str, phase: str = "COMPLETE") -> WorkflowStatus:
    return WorkflowStatus(
        "wf",
        "ks",
        [TableCopy("t", 10, 10, 100.0, phase)],
        [Stream("0", 1, "zone1-100", "ks_source/0", state, "boom" if state == "Error" else "", "0-1001-1")],
        "",
    )


def run(trigger: MoveTablesCopyTrigger, answers: list) -> dict:
    calls = iter(answers)

    async def fake_status(self, workflow, keyspace):
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    trigger._status = fake_status.__get__(trigger)

    async def first():
        async for event in trigger.run():
            return event.payload

    return asyncio.run(first())


def make(grace: float, first_event_after: float = 0.0) -> MoveTablesCopyTrigger:
    return MoveTablesCopyTrigger(
        vtctld_address="x:1",
        vtctldclient="vtctldclient",
        workflows=[["wf", "ks"]],
        poll_seconds=0.01,
        report_every=1000,
        payload={"started": 1},
        error_grace=grace,
        first_event_after=first_event_after,
    )


def test_errors_that_clear_within_the_grace_do_not_fail_the_import():
    event = run(
        make(30), [status("Error"), RuntimeError("tablet away"), status("Copying", "IN_PROGRESS"), status("Running")]
    )
    assert event == {"status": "complete", "started": 1}


def test_errors_that_persist_beyond_the_grace_fail_with_vitess_text():
    event = run(make(0.05), [status("Error")] * 1000)
    assert event["status"] == "error" and "boom" in event["message"] and event["started"] == 1


def test_a_copy_done_at_once_fires_only_after_first_event_after():
    started = time.monotonic()
    event = run(make(30, first_event_after=0.3), [status("Running")])
    assert event == {"status": "complete", "started": 1}
    assert time.monotonic() - started >= 0.3
    trigger = make(30, first_event_after=0.3)
    assert trigger.serialize()[1]["first_event_after"] == 0.3
