"""Stage 4, import: MoveTables from the source keyspace into the planned keyspace(s).

Split in two so Airflow can wait in between without holding a worker: ``start`` creates the
workflows (or attaches to the ones a failed run left), ``finish`` reads the final state once the
copy is done. ``run`` does both with a blocking wait, for the terminal.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from pocflow.connections import connect
from pocflow.engagement import Engagement
from pocflow.sql import quote_identifier
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.table import render
from pocflow.stages.workflows import WorkflowPlan, statuses, target_row_counts
from pocflow.vitess import copywait
from pocflow.vitess.movetables import MoveTables, WorkflowError, WorkflowStatus, copy_options

SEQUENCE_DDL = (
    "CREATE TABLE IF NOT EXISTS {name} (id INT NOT NULL, next_id BIGINT, cache BIGINT, "
    "PRIMARY KEY (id)) COMMENT 'vitess_sequence'"
)


class ImportError_(RuntimeError):
    """The import cannot start or a stream failed; the message says what to do."""


@dataclass
class ImportStart:
    workflows: list[WorkflowPlan]
    excluded: dict[str, str]
    created: dict[str, bool]
    started_at: float

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ImportStart:
        return cls([WorkflowPlan(**w) for w in d["workflows"]], d["excluded"], d["created"], d["started_at"])


@dataclass
class TableCopyStats:
    keyspace: str
    table: str
    rows_on_target: int | None


@dataclass
class ImportResult:
    workflows: list[WorkflowPlan]
    excluded: dict[str, str]
    created: dict[str, bool]
    tables: list[TableCopyStats]
    copy_seconds: float
    final_lag_seconds: float | None
    traffic_state: dict[str, str]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ImportResult:
        return cls(
            [WorkflowPlan(**w) for w in d["workflows"]],
            d["excluded"],
            d["created"],
            [TableCopyStats(**t) for t in d["tables"]],
            d["copy_seconds"],
            d["final_lag_seconds"],
            d["traffic_state"],
        )

    def summary(self) -> str:
        state = ", ".join(
            f"{w.workflow} ({'created' if self.created.get(w.workflow) else 'attached'})" for w in self.workflows
        )
        rows = [
            [t.keyspace, t.table, f"{t.rows_on_target:,}" if t.rows_on_target is not None else "-"] for t in self.tables
        ]
        excluded = [[t, why] for t, why in self.excluded.items()]
        parts = [
            f"workflows {state}; copy finished after {self.copy_seconds:.1f}s; final lag "
            f"{self.final_lag_seconds if self.final_lag_seconds is not None else 'n/a'}s; replication running",
            "",
            render(["keyspace", "table", "rows on target"], rows),
        ]
        if excluded:
            parts += ["", render(["not imported", "reason"], excluded, max_width=100)]
        return "\n".join(parts)


def workflow_name(engagement: Engagement) -> str:
    return engagement.name.replace("-", "_")


def plan_workflows(ctx: StageContext) -> tuple[list[WorkflowPlan], dict[str, str]]:
    e = ctx.engagement
    if not e.source.keyspace:
        raise ImportError_("source_keyspace is not set: name the Vitess keyspace whose tablet fronts the source")
    selected = ctx.earlier("select-database")
    plan = ctx.earlier("sharding-plan").plan
    name = workflow_name(e)
    tables = list(selected.importable)
    options = copy_options(selected.inventory, tables)
    if plan.sharded:
        # The VSchema already names a sequence per auto-increment key; the target tables drop the
        # AUTO_INCREMENT attribute and vtgate takes ids from the sequences.
        options += ["--sharded-auto-increment-handling", "remove"]
    return [WorkflowPlan(name, e.source.keyspace, plan.keyspace, tables, options)], dict(selected.readiness.excluded)


def _ensure_sequences(ctx: StageContext) -> None:
    plan = ctx.earlier("sharding-plan").plan
    if not plan.sharded:
        return
    sequences = plan.sequences
    if not sequences:
        return
    ddl = ";".join(SEQUENCE_DDL.format(name=quote_identifier(s)) for s in sequences)
    ctx.vtctld.run("ApplySchema", "--sql", ddl, plan.global_keyspace)
    # One row per sequence; SwitchTraffic --initialize-target-sequences moves next_id past the
    # imported ids at cutover.
    with connect(ctx.vtgate().with_database(plan.global_keyspace)) as conn, conn.cursor() as cur:
        for s in sequences:
            cur.execute(f"INSERT IGNORE INTO {quote_identifier(s)} (id, next_id, cache) VALUES (0, 1, 1000)")


def start(ctx: StageContext) -> ImportStart:
    workflows, excluded = plan_workflows(ctx)
    _ensure_sequences(ctx)
    created = {}
    for w in workflows:
        mt = MoveTables(ctx.vtctld, w.workflow, w.target_keyspace)
        created[w.workflow] = mt.create(source_keyspace=w.source_keyspace, tables=w.tables, extra=w.options)
        ctx.log(
            f"import: MoveTables {w.workflow} {w.source_keyspace} -> {w.target_keyspace} "
            f"({len(w.tables)} tables): {'created' if created[w.workflow] else 'exists, attaching to it'}"
        )
    for table, reason in excluded.items():
        ctx.log(f"import: not importing {table}: {reason}")
    return ImportStart(workflows, excluded, created, time.time())


def restart_advice(rerun: str = "rerun this task") -> str:
    """What to do after a stream error, for the terminal and for an Airflow task alike."""
    return (
        "Fix the cause on the source or target, then restart the streams with "
        f"`vtctldclient Workflow --keyspace <target> start --workflow <name>` and {rerun} "
        "(it attaches to the same workflow)."
    )


def stream_errors(current: list[WorkflowStatus]) -> str | None:
    errors = [f"{s.workflow}: {e}" for s in current for e in s.errors]
    if not errors:
        return None
    return "; ".join(errors) + ". " + restart_advice()


def wait(
    ctx: StageContext,
    started: ImportStart,
    *,
    poll: float = 2.0,
    report_every: float = 30.0,
    timeout: float = 7 * 24 * 3600,
    error_grace: float = 600.0,
) -> None:
    """Block until every workflow has copied and replicates (the terminal's path; Airflow defers).
    Stream errors are waited out while Vitess retries them, up to ``error_grace`` seconds."""
    last = copywait.wait(
        lambda: statuses(ctx.vtctld, started.workflows),
        what="import",
        poll=poll,
        timeout=timeout,
        error_grace=error_grace,
        report_every=report_every,
        log=ctx.log,
        log_prefix="import: ",
    )
    if last.outcome == copywait.FAILED:
        raise WorkflowError(stream_errors(last.statuses) or "; ".join(last.errors))


def copied_within(ctx: StageContext, started: ImportStart, seconds: float, *, poll: float = 2.0) -> bool:
    """Whether every workflow has copied and replicates within ``seconds`` (a small database's copy often
    has): True then, False when it is still copying or retrying; WorkflowError when its streams failed
    for good. Airflow's import task waits this long before it hands the wait over to the triggerer."""
    try:
        wait(ctx, started, poll=poll, report_every=seconds, timeout=seconds)
    except TimeoutError:
        return False
    return True


def finish(ctx: StageContext, started: ImportStart) -> ImportResult:
    current = statuses(ctx.vtctld, started.workflows)
    error = stream_errors(current)
    if error:
        raise WorkflowError(error)
    tables = [
        TableCopyStats(w.target_keyspace, t, n)
        for w in started.workflows
        for t, n in target_row_counts(ctx, w.target_keyspace, w.tables).items()
    ]
    lags = [s.max_lag_seconds for s in current if s.max_lag_seconds is not None]
    return ImportResult(
        list(started.workflows),
        started.excluded,
        started.created,
        tables,
        round(time.time() - started.started_at, 2),
        max(lags) if lags else None,
        {s.workflow: s.traffic_state for s in current},
    )


@register("import", ImportResult)
def run(ctx: StageContext) -> ImportResult:
    started = start(ctx)
    wait(ctx, started)
    return finish(ctx, started)
