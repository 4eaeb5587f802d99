"""Triggers: they only wait. The import's copy can last hours; this polls it without a worker slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from pocflow.vitess.copywait import COMPLETE, FAILED, RETRYING, CopyWait, status_failure
from pocflow.vitess.movetables import MoveTables, WorkflowStatus
from pocflow.vitess.vtctldclient import Vtctld


class MoveTablesCopyTrigger(BaseTrigger):
    """Polls ``MoveTables status --format json`` of each workflow until all have copied and replicate.

    Fires {"status": "complete"} or {"status": "error", "message": ...} (Vitess's own text).
    Logs per-table progress, lag and an ETA from the observed copy rate every ``report_every`` seconds.
    A stream error (a tablet or the source briefly away) is retried by Vitess itself; the trigger
    gives up only when errors persist for ``error_grace`` seconds, or status keeps failing that long.
    It fires no sooner than ``first_event_after`` seconds after it started: Airflow 3.3 marks a deferred
    task failed when its trigger fires before the scheduler has processed the worker's exit on deferring
    ("finished with state success, but the task instance's state attribute is queued",
    apache/airflow#71580), which a copy of a few small tables can outrun on a busy machine.
    """

    def __init__(
        self,
        *,
        vtctld_address: str,
        vtctldclient: str,
        workflows: list[list[str]],
        poll_seconds: float = 5.0,
        report_every: float = 60.0,
        payload: dict | None = None,
        error_grace: float = 600.0,
        first_event_after: float = 15.0,
    ):
        super().__init__()
        self.vtctld_address = vtctld_address
        self.vtctldclient = vtctldclient
        self.workflows = [list(w) for w in workflows]  # [workflow, target keyspace]
        self.poll_seconds = poll_seconds
        self.report_every = report_every
        self.payload = payload or {}
        """Echoed in every event, so the resumed task gets back what it handed over."""
        self.error_grace = error_grace
        self.first_event_after = first_event_after

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "pocflow.airflow.triggers.MoveTablesCopyTrigger",
            {
                "vtctld_address": self.vtctld_address,
                "vtctldclient": self.vtctldclient,
                "workflows": self.workflows,
                "poll_seconds": self.poll_seconds,
                "report_every": self.report_every,
                "payload": self.payload,
                "error_grace": self.error_grace,
                "first_event_after": self.first_event_after,
            },
        )

    @property
    def vtctld(self) -> Vtctld:
        return Vtctld(self.vtctld_address, self.vtctldclient)

    async def _status(self, workflow: str, keyspace: str) -> WorkflowStatus:
        # in a thread: the triggerer's one event loop serves every deferred task
        return await asyncio.to_thread(MoveTables(self.vtctld, workflow, keyspace).status)

    async def _not_before_first_event(self, started: float) -> None:
        await asyncio.sleep(max(0.0, started + self.first_event_after - time.monotonic()))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        started = time.monotonic()
        copy = CopyWait(error_grace=self.error_grace, report_every=self.report_every)
        while True:
            try:
                statuses = [await self._status(w, k) for w, k in self.workflows]
            except RuntimeError as e:  # vtctld or a tablet briefly away
                poll = copy.step(failure=status_failure(e))
            else:
                poll = copy.step(statuses)
            if poll.outcome == FAILED:
                await self._not_before_first_event(started)
                yield TriggerEvent(
                    {"status": "error", "message": f"{'; '.join(poll.errors)} (for {poll.waited:.0f}s)", **self.payload}
                )
                return
            if poll.outcome == RETRYING:
                self.log.warning("%s", poll.retry_line())
                await asyncio.sleep(self.poll_seconds)
                continue
            if poll.recovered_after is not None:
                self.log.info("recovered after %.0fs", poll.recovered_after)
            if poll.report:
                self.log.info("\n".join(poll.report))
            if poll.outcome == COMPLETE:
                await self._not_before_first_event(started)
                yield TriggerEvent({"status": "complete", **self.payload})
                return
            await asyncio.sleep(self.poll_seconds)
