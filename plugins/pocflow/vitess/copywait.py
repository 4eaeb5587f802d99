"""Waiting for MoveTables copies. One poll step, fed each reading of the workflows' status, decides: copying,
complete, errors Vitess is retrying (within the grace) or errors that outlasted it. The blocking wait
(terminal, import stage, :meth:`MoveTables.wait_for_copy`) and the Airflow trigger's async loop both call it;
each does its own sleeping and words its own failure."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pocflow.vitess.progress import CopyProgress, ErrorGrace
from pocflow.vitess.vtctldclient import VtctldError

if TYPE_CHECKING:  # movetables imports this module
    from pocflow.vitess.movetables import WorkflowStatus

COPYING, COMPLETE, RETRYING, FAILED = "copying", "complete", "retrying", "failed"


@dataclass(frozen=True)
class Poll:
    """What one look at the workflows found."""

    outcome: str  # COPYING | COMPLETE | RETRYING | FAILED
    statuses: list[WorkflowStatus]
    errors: list[str] = field(default_factory=list)
    """Stream errors ("workflow: shard stream id: Error ...") or the status call's failure."""
    waited: float = 0.0
    """How long the errors have lasted (RETRYING, FAILED)."""
    grace: float = 0.0
    recovered_after: float | None = None
    """Set on the first clean look after errors: how long they lasted."""
    report: list[str] | None = None
    """Progress lines due now: every ``report_every`` seconds while copying, and once when complete."""

    @property
    def done(self) -> bool:
        return self.outcome in (COMPLETE, FAILED)

    def retry_line(self) -> str:
        return f"{'; '.join(self.errors)}; Vitess retries, waiting ({self.waited:.0f}s of {self.grace:.0f}s)"


def status_failure(error: Exception) -> str:
    """A failed status call in Vitess's own words."""
    return error.stderr if isinstance(error, VtctldError) else str(error)


class CopyWait:
    """The state of one wait: copy progress, how long errors have lasted, when progress was last reported."""

    def __init__(self, *, error_grace: float = 600.0, report_every: float = 60.0):
        self.error_grace = error_grace
        self.report_every = report_every
        self.progress = CopyProgress()
        self.grace = ErrorGrace(error_grace)
        self.last_report = 0.0

    def step(self, statuses: list[WorkflowStatus] | None = None, *, failure: str | None = None) -> Poll:
        """One reading: the workflows' statuses, or ``failure`` when the status call itself failed."""
        if failure is not None:
            current, errors = [], [f"MoveTables status failed: {failure}"]
        else:
            current = list(statuses or [])
            errors = [f"{s.workflow}: {e}" for s in current for e in s.errors]
        now = time.monotonic()
        waited, verdict = self.grace.waited(now), self.grace.observe(errors, now)
        if verdict == "fail":
            return Poll(FAILED, current, errors, waited, self.error_grace)
        if verdict == "wait":
            return Poll(RETRYING, current, errors, self.grace.waited(now), self.error_grace)
        recovered = waited if verdict == "recovered" else None
        self.progress.update(current, now)
        if all(s.copy_complete for s in current):
            return Poll(COMPLETE, current, recovered_after=recovered, report=self.progress.lines())
        report = None
        if time.monotonic() - self.last_report >= self.report_every:
            self.last_report = time.monotonic()
            report = self.progress.lines()
        return Poll(COPYING, current, recovered_after=recovered, report=report)


def wait(
    fetch: Callable[[], list[WorkflowStatus]],
    *,
    what: str,
    poll: float = 2.0,
    timeout: float = 1800,
    error_grace: float = 600.0,
    retry_failed_status: bool = True,
    report_every: float = 60.0,
    log: Callable[[str], None] | None = None,
    log_prefix: str = "",
) -> Poll:
    """Call ``fetch`` every ``poll`` seconds until every workflow has copied and replicates.

    Returns the last poll: COMPLETE, or FAILED when errors outlasted ``error_grace`` (the caller words the
    failure). A failing status call (VtctldError) counts as an error within the grace, unless
    ``retry_failed_status`` is False: then it is raised as it came. ``log`` gets the retries and the progress
    reports. TimeoutError after ``timeout`` seconds ("<what> did not finish copying in ...")."""
    copy = CopyWait(error_grace=error_grace, report_every=report_every)
    deadline = time.monotonic() + timeout
    while True:
        try:
            statuses = fetch()
        except VtctldError as e:  # vtctld or a tablet briefly away
            if not retry_failed_status:
                raise
            current = copy.step(failure=status_failure(e))
        else:
            current = copy.step(statuses)
        if current.done:
            return current
        if current.outcome == RETRYING:
            if log:
                log(log_prefix + current.retry_line())
        elif current.report and log:
            log("\n".join(current.report))
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not finish copying in {timeout:.0f}s")
        time.sleep(poll)
