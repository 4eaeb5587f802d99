"""What a stage runs with: the engagement, the run, its connections and the results of earlier stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pocflow.artifacts import ArtifactStore
from pocflow.connections import Endpoint, resolve
from pocflow.engagement import Engagement
from pocflow.stages.registry import STAGES
from pocflow.vitess.vtctldclient import Vtctld


@dataclass
class StageContext:
    engagement: Engagement
    run_id: str
    resolve: Callable[[str], Endpoint] = resolve
    log: Callable[[str], None] = print
    _earlier: dict[str, Any] = field(default_factory=dict)
    _endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def endpoint(self, conn_id: str) -> Endpoint:
        """A connection id resolved once per stage run."""
        if conn_id not in self._endpoints:
            self._endpoints[conn_id] = self.resolve(conn_id)
        return self._endpoints[conn_id]

    @property
    def store(self) -> ArtifactStore:
        a = self.engagement.artifacts
        return ArtifactStore(a.location, self.engagement.name, self.run_id, a.aws_conn_id)

    @property
    def vtctld(self) -> Vtctld:
        return Vtctld(self.engagement.target.vtctld_address)

    def source(self) -> Endpoint:
        """The source connection, on the engagement's database."""
        return self.endpoint(self.engagement.source.connection_id).with_database(self.engagement.source.database)

    def vtgate(self) -> Endpoint:
        return self.endpoint(self.engagement.target.vtgate_connection_id)

    def earlier(self, stage: str):
        """The result of an earlier stage of this run: from memory, the artifact store, or run now."""
        if stage not in self._earlier:
            spec = STAGES[stage]
            stored = self.store.get_json(stage)
            if stored is not None:
                self._earlier[stage] = spec.result_type.from_dict(stored)
            else:
                self.log(f"{stage}: no result in this run yet; running it first")
                self._earlier[stage] = run_stage(stage, self)[0]
        return self._earlier[stage]


def run_stage(stage: str, ctx: StageContext) -> tuple[Any, str]:
    """Run one stage, store its result as <stage>.json, log its summary; return (result, artifact uri)."""
    return record(stage, ctx, STAGES[stage].run(ctx))


def record(stage: str, ctx: StageContext, result: Any) -> tuple[Any, str]:
    """Store a stage's result in the artifact store and log its summary."""
    uri = ctx.store.put_json(stage, result.to_dict())
    ctx._earlier[stage] = result
    ctx.log(f"{stage} result: {uri}\n{result.summary()}")
    return result, uri
