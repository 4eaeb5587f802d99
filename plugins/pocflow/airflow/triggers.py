"""Triggers: they only wait. The import's copy can last hours; this polls it without a worker slot."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseTrigger, TriggerEvent

from pocflow.vitess.movetables import MoveTables, WorkflowStatus
from pocflow.vitess.progress import CopyProgress, ErrorGrace
from pocflow.vitess.vtctldclient import Vtctld, VtctldError


class MoveTablesCopyTrigger(BaseTrigger):
    """Polls ``MoveTables status --format json`` of each workflow until all have copied and replicate.

    Fires {"status": "complete"} or {"status": "error", "message": ...} (Vitess's own text).
    Logs per-table progress, lag and an ETA from the observed copy rate every ``report_every`` seconds.
    A stream error (a tablet or the source briefly away) is retried by Vitess itself; the trigger
    gives up only when errors persist for ``error_grace`` seconds, or status keeps failing that long.
    """

    def __init__(self, *, vtctld_address: str, vtctldclient: str, workflows: list[list[str]],
                 poll_seconds: float = 5.0, report_every: float = 60.0, payload: dict | None = None,
                 error_grace: float = 600.0):
        super().__init__()
        self.vtctld_address = vtctld_address
        self.vtctldclient = vtctldclient
        self.workflows = [list(w) for w in workflows]  # [workflow, target keyspace]
        self.poll_seconds = poll_seconds
        self.report_every = report_every
        self.payload = payload or {}
        """Echoed in every event, so the resumed task gets back what it handed over."""
        self.error_grace = error_grace

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("pocflow.airflow.triggers.MoveTablesCopyTrigger",
                {"vtctld_address": self.vtctld_address, "vtctldclient": self.vtctldclient,
                 "workflows": self.workflows, "poll_seconds": self.poll_seconds, "report_every": self.report_every,
                 "payload": self.payload, "error_grace": self.error_grace})

    @property
    def vtctld(self) -> Vtctld:
        return Vtctld(self.vtctld_address, self.vtctldclient)

    async def _status(self, workflow: str, keyspace: str) -> WorkflowStatus:
        # in a thread: the triggerer's one event loop serves every deferred task
        return await asyncio.to_thread(MoveTables(self.vtctld, workflow, keyspace).status)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        progress, last_report, grace = CopyProgress(), 0.0, ErrorGrace(self.error_grace)
        while True:
            try:
                statuses = [await self._status(w, k) for w, k in self.workflows]
                errors = [f"{s.workflow}: {e}" for s in statuses for e in s.errors]
            except RuntimeError as e:  # vtctld or a tablet briefly away
                failure = e.stderr if isinstance(e, VtctldError) else str(e)
                statuses, errors = None, [f"MoveTables status failed: {failure}"]
            now = time.monotonic()
            waited, verdict = grace.waited(now), grace.observe(errors, now)
            if verdict == "fail":
                yield TriggerEvent({"status": "error", "message": f"{'; '.join(errors)} (for {waited:.0f}s)",
                                    **self.payload})
                return
            if verdict == "wait":
                self.log.warning("%s; Vitess retries, waiting (%.0fs of %.0fs)", "; ".join(errors),
                                 grace.waited(now), self.error_grace)
                await asyncio.sleep(self.poll_seconds)
                continue
            if verdict == "recovered":
                self.log.info("recovered after %.0fs", waited)
            progress.update(statuses, time.monotonic())
            if all(s.copy_complete for s in statuses):
                self.log.info("\n".join(progress.lines()))
                yield TriggerEvent({"status": "complete", **self.payload})
                return
            if time.monotonic() - last_report >= self.report_every:
                last_report = time.monotonic()
                self.log.info("\n".join(progress.lines()))
            await asyncio.sleep(self.poll_seconds)
