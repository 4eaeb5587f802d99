"""What a stage runs with: the engagement, the run, its connections and the results of earlier stages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pocflow.artifacts import ArtifactStore
from pocflow.connections import Endpoint, resolve
from pocflow.engagement import Engagement
from pocflow.stages.registry import STAGES
from pocflow.stages.results import RunResults
from pocflow.vitess.vtctldclient import Vtctld


@dataclass
class StageContext:
    engagement: Engagement
    run_id: str
    resolve: Callable[[str], Endpoint] = resolve
    log: Callable[[str], None] = print
    compute_missing: bool = False
    """Run an earlier stage whose result this run lacks (the CLI's single-stage command). Otherwise (an
    Airflow task: its upstream tasks store those results) a missing result is an error."""
    results: RunResults = field(init=False)
    """This run's stage results in the artifact store."""
    _endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def __post_init__(self):
        self.results = RunResults.of(self.engagement, self.run_id)

    def endpoint(self, conn_id: str) -> Endpoint:
        """A connection id resolved once per stage run."""
        if conn_id not in self._endpoints:
            self._endpoints[conn_id] = self.resolve(conn_id)
        return self._endpoints[conn_id]

    @property
    def store(self) -> ArtifactStore:
        return self.results.store

    @property
    def vtctld(self) -> Vtctld:
        return Vtctld(self.engagement.target.vtctld_address)

    def source(self) -> Endpoint:
        """The source connection, on the engagement's database."""
        return self.endpoint(self.engagement.source.connection_id).with_database(self.engagement.source.database)

    def vtgate(self) -> Endpoint:
        return self.endpoint(self.engagement.target.vtgate_connection_id)

    def earlier(self, stage: str):
        """The result of an earlier stage of this run; MissingResult (naming the stage and the run) when the run
        holds none, unless this context computes missing stages: then that stage runs first."""
        if self.compute_missing and self.results.get(stage) is None:
            self.log(f"{stage}: no result in this run yet; running it first")
            run_stage(stage, self)
        return self.results.require(stage)


def run_stage(stage: str, ctx: StageContext) -> tuple[Any, str]:
    """Run one stage, store its result as <stage>.json, log its summary; return (result, artifact uri)."""
    return record(stage, ctx, STAGES[stage].run(ctx))


def record(stage: str, ctx: StageContext, result: Any) -> tuple[Any, str]:
    """Store a stage's result in the artifact store and log its summary."""
    uri = ctx.results.put(stage, result)
    ctx.log(f"{stage} result: {uri}\n{result.summary()}")
    return result, uri
