"""Stage 3, sharding plan: a VSchema per keyspace, checked and applied by Vitess itself."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from pocflow.engagement import PROJECT_ROOT
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.table import render
from pocflow.vitess.vschema import ShardingPlan, plan
from pocflow.vitess.vtctldclient import Vtctld, VtctldError
from pocflow.workload.digests import statements
from pocflow.workload.queries import QueryShape, shape
from pocflow.workload.spec import WorkloadError, load_workload


class VSchemaRejected(RuntimeError):
    """Vitess refused a VSchema; the message is Vitess's own."""


@dataclass
class ShardingPlanResult:
    plan: ShardingPlan
    applied: dict[str, bool] = field(default_factory=dict)
    queries_considered: int = 0

    def to_dict(self) -> dict:
        return {"plan": self.plan.to_dict(), "applied": self.applied, "queries_considered": self.queries_considered}

    @classmethod
    def from_dict(cls, d: dict) -> ShardingPlanResult:
        return cls(ShardingPlan(**d["plan"]), d["applied"], d.get("queries_considered", 0))

    def summary(self) -> str:
        p = self.plan
        head = (
            f"{'sharded' if p.sharded else 'unsharded'} plan for {p.keyspace} ({', '.join(p.shards)})"
            + (f", global keyspace {p.global_keyspace}" if p.global_keyspace else "")
            + f"; VSchema applied to {', '.join(k for k, v in self.applied.items() if v)}; "
            f"{self.queries_considered} known queries, {len(p.scatter_queries)} would scatter"
        )
        rows = [[t, why] for t, why in sorted(p.rationale.items())]
        scatter = [[q["reason"], q["query"]] for q in p.scatter_queries]
        parts = [head, "", render(["table", "rationale"], rows, max_width=110)]
        if scatter:
            parts += ["", render(["scatters because", "query"], scatter, max_width=80)]
        return "\n".join(parts)


def known_queries(ctx: StageContext, digests) -> list[QueryShape]:
    """The engagement's workload queries (rendered once), or else the source's own reads: the
    statements sampled per digest (MySQL), or the digest texts (MariaDB), weighted by count."""
    paths = [Path(w) if Path(w).is_absolute() else PROJECT_ROOT / w for w in ctx.engagement.workloads]
    shapes = []
    if paths:
        try:
            workload = load_workload(paths)
            rng = random.Random(1)
            for t in workload.queries:
                s = shape(t.render(rng), weight=max(1, int(t.weight)))
                if s is not None and s.tables:
                    shapes.append(s)
        except WorkloadError as e:
            ctx.log(f"sharding-plan: no workload queries ({e})")
    if not shapes:
        # Once an import has run the digests also hold Vitess's and pocflow's own scans (left out
        # by workload.digests), so workload files remain the better input.
        found = statements(digests, runnable_only=False)
        for d in found:
            s = shape(d.sql, weight=max(1, d.count))
            if s is not None and s.tables:
                shapes.append(s)
        samples = sum(d.runnable for d in found)
        ctx.log(
            f"sharding-plan: no workload queries from files; {len(shapes)} of the source's own reads stand in "
            f"({samples} sampled statements, {len(found) - samples} digest texts, weighted by count)"
        )
    return shapes


def apply_vschema(vtctld: Vtctld, keyspace: str, vschema: dict) -> None:
    """Dry run first, then for real; a refusal raises with Vitess's message."""
    text = json.dumps(vschema)
    for extra in (["--dry-run"], []):
        try:
            vtctld.run("ApplyVSchema", "--vschema", text, *extra, keyspace)
        except VtctldError as e:
            raise VSchemaRejected(
                f"Vitess rejected the VSchema of {keyspace}{' (dry run)' if extra else ''}: {e.stderr}"
            ) from None


@register("sharding-plan", ShardingPlanResult)
def run(ctx: StageContext) -> ShardingPlanResult:
    selected = ctx.earlier("select-database")
    provisioned = ctx.earlier("provision")
    queries = known_queries(ctx, selected.inventory.digests)
    result = plan(
        selected.inventory,
        selected.importable,
        keyspace=ctx.engagement.target.keyspace,
        sharded=provisioned.sharded,
        shard_count=provisioned.sizing.shards,
        queries=queries,
    )
    applied = {}
    # The global keyspace first: the sharded one refers to its sequences and reference tables.
    for keyspace in sorted(result.vschemas, key=lambda k: k != result.global_keyspace):
        apply_vschema(ctx.vtctld, keyspace, result.vschemas[keyspace])
        applied[keyspace] = True
        ctx.log(f"sharding-plan: VSchema of {keyspace} accepted by Vitess (dry run, then applied)")
    return ShardingPlanResult(result, applied, len(queries))
