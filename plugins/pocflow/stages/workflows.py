"""The import's MoveTables workflows: what each moves, their state, and the rows the target holds.
Shared by the import and the validation stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from pocflow.quality.sides import TargetSide, keyspace_shards
from pocflow.sql import quote_identifier
from pocflow.stages.context import StageContext
from pocflow.vitess.movetables import MoveTables, WorkflowStatus
from pocflow.vitess.vtctldclient import Vtctld


@dataclass(frozen=True)
class WorkflowPlan:
    """One MoveTables workflow of the import: its name, from and to which keyspace, its tables and options."""

    workflow: str
    source_keyspace: str
    target_keyspace: str
    tables: list[str]
    options: list[str] = field(default_factory=list)


def statuses(vtctld: Vtctld, workflows: list[WorkflowPlan]) -> list[WorkflowStatus]:
    return [MoveTables(vtctld, w.workflow, w.target_keyspace).status() for w in workflows]


def target_row_counts(ctx: StageContext, keyspace: str, tables: list[str]) -> dict[str, int]:
    """Exact row counts of ``tables`` in the target keyspace, summed over its shards."""
    side = TargetSide(ctx.vtgate(), keyspace, keyspace_shards(ctx.vtctld, keyspace))
    try:
        return {t: sum(int(r[0]) for r in side.rows(f"SELECT COUNT(*) FROM {quote_identifier(t)}")) for t in tables}
    finally:
        side.close()
