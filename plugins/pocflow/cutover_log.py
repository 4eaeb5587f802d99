"""The cutover log: every step's outcome, who approved what and when. One ``cutover.json`` per
cutover run, next to the engagement's stage results; the engagement's report shows all of them.

Written by the cutover (pocflow.cutover), read by the review stage: a module of its own, so the
stages need not import the cutover, which imports the stages."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from pocflow.artifacts import ArtifactStore
from pocflow.engagement import Engagement

LOG = "cutover"

# outcomes
DONE, ALREADY_DONE, PASSED, FAILED, APPROVED, REJECTED, TIMED_OUT, BREACH, INFO = (
    "done",
    "already done",
    "passed",
    "failed",
    "approved",
    "rejected",
    "timed out",
    "rollback criteria breached",
    "info",
)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Entry:
    step: str
    outcome: str
    detail: str
    by: str = "pocflow"
    at: str = field(default_factory=now)
    evidence: str = ""
    """Vitess's own output, check results, probe figures: what the outcome rests on."""

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return f"{self.at}  {self.step}: {self.outcome} ({self.by}) {self.detail}".rstrip()


@dataclass
class CutoverLog:
    engagement: str
    run_id: str
    entries: list[Entry] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"engagement": self.engagement, "run_id": self.run_id, "entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, d: dict) -> CutoverLog:
        return cls(d["engagement"], d["run_id"], [Entry(**e) for e in d.get("entries", [])])

    def last(self, step: str) -> Entry | None:
        return next((e for e in reversed(self.entries) if e.step == step), None)

    def markdown(self) -> str:
        lines = [
            f"### Cutover run {self.run_id}",
            "",
            "| when (UTC) | step | outcome | by | detail |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {e.at} | {e.step} | {e.outcome} | {e.by} | {e.detail.replace('|', '/')} |" for e in self.entries]
        return "\n".join(lines) + "\n"


def store(engagement: Engagement, run_id: str) -> ArtifactStore:
    a = engagement.artifacts
    return ArtifactStore(a.location, engagement.name, run_id, a.aws_conn_id)


def read(engagement: Engagement, run_id: str) -> CutoverLog:
    data = store(engagement, run_id).get_json(LOG)
    return CutoverLog.from_dict(data) if data else CutoverLog(engagement.name, run_id)


def append(engagement: Engagement, run_id: str, entry: Entry, *, log=print) -> CutoverLog:
    """Add one entry to the run's cutover log (JSON and Markdown) and say it in the task log."""
    current = read(engagement, run_id)
    current.entries.append(entry)
    s = store(engagement, run_id)
    s.put_json(LOG, current.to_dict())
    s.put_text("cutover.md", f"# {engagement.name}: cutover\n\n" + current.markdown())
    log(f"cutover log: {entry.line()}" + (f"\n{entry.evidence}" if entry.evidence else ""))
    return current


def all_runs(engagement: Engagement) -> list[CutoverLog]:
    """Every cutover run of the engagement, oldest first."""
    s = store(engagement, "any")
    return [CutoverLog.from_dict(s.for_run(run).get_json(LOG) or {}) for run in s.runs_with(f"{LOG}.json")]
