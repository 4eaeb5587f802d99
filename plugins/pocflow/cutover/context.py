"""A cutover run: the engagement, its settings, the engagement run whose import is cut over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pocflow import cutover_log
from pocflow.artifacts import ArtifactStore
from pocflow.connections import Endpoint, resolve
from pocflow.cutover.settings import CutoverSettings, find_engagement, parse
from pocflow.engagement import Engagement
from pocflow.stages import RunResults, StageContext
from pocflow.stages.review import refresh_report
from pocflow.vitess.movetables import MoveTables
from pocflow.vitess.vtctldclient import Vtctld


class CutoverRefused(RuntimeError):
    """The cutover cannot go on; the message says why and what to do. Nothing was switched by this step."""


def engagement_run(engagement: Engagement) -> str:
    """The engagement's latest run that imported its data: the one a cutover moves traffic for."""
    a = engagement.artifacts
    runs = ArtifactStore(a.location, engagement.name, "any", a.aws_conn_id).runs_with("import.json")
    if not runs:
        raise CutoverRefused(f"{engagement.name} has no import yet: run poc_engagement for it first")
    return runs[-1]


@dataclass
class CutoverContext:
    engagement: Engagement
    settings: CutoverSettings
    run_id: str
    engagement_run: str
    resolve: Callable[[str], Endpoint] = resolve
    log: Callable[[str], None] = print
    by: str = "pocflow"
    """Who started this cutover run (the triggering user); automatic steps are done on their behalf."""
    results: RunResults = field(init=False)
    """The stage results of the engagement run."""

    def __post_init__(self):
        self.results = RunResults.of(self.engagement, self.engagement_run)

    @property
    def vtctld(self) -> Vtctld:
        return Vtctld(self.engagement.target.vtctld_address)

    def stage_context(self) -> StageContext:
        """The engagement run's StageContext (its report is rendered again after each step)."""
        return StageContext(self.engagement, self.engagement_run, resolve=self.resolve, log=self.log)

    def workflows(self) -> list[MoveTables]:
        imported = self.results.get("import")
        if imported is None:
            raise CutoverRefused(f"run {self.engagement_run} of {self.engagement.name} holds no import result")
        return [MoveTables(self.vtctld, w.workflow, w.target_keyspace) for w in imported.workflows]

    def reverse(self, mt: MoveTables) -> MoveTables:
        """The reverse workflow Vitess creates when writes switch (target -> source)."""
        return MoveTables(self.vtctld, f"{mt.workflow}_reverse", self.engagement.source.keyspace)

    def record(self, step: str, outcome: str, detail: str, *, evidence: str = "", by: str | None = None):
        """One step's outcome into the cutover log, and the engagement's report rendered again with it."""
        current = cutover_log.append(
            self.engagement,
            self.run_id,
            cutover_log.Entry(step, outcome, detail, by or self.by, evidence=evidence),
            log=self.log,
        )
        refresh_report(self.stage_context())
        return current

    def to_dict(self) -> dict:
        return {
            "engagement": self.engagement.to_dict(),
            "settings": self.settings.to_dict(),
            "run_id": self.run_id,
            "engagement_run": self.engagement_run,
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, d: dict, **kwargs) -> CutoverContext:
        return cls(
            Engagement.from_dict(d["engagement"]),
            CutoverSettings.from_dict(d["settings"]),
            d["run_id"],
            d["engagement_run"],
            by=d.get("by", "pocflow"),
            **kwargs,
        )


def from_form(form: dict[str, Any], run_id: str, *, by: str, log: Callable[[str], None] = print) -> CutoverContext:
    """The cutover run the trigger form asks for (bad fields named at once, EngagementError), recorded as
    requested in its cutover log. ``by``: who triggered it."""
    settings = parse(form)
    engagement = find_engagement(settings.engagement)
    ctx = CutoverContext(engagement, settings, run_id, engagement_run(engagement), log=log, by=by)
    planned = settings.planned_at.isoformat() if settings.planned_at else "as soon as approved"
    ctx.record(
        "cutover requested",
        cutover_log.INFO,
        f"{engagement.name}: import of run {ctx.engagement_run}; writes switch {planned}; read soak "
        f"{settings.read_soak_minutes:g} min, write soak {settings.write_soak_minutes:g} min; "
        f"{settings.criteria()}",
    )
    return ctx
