"""Stage 6, testing: the customer's workload on the target, side by side with the source.

Correctness replay of every distinct query, the same mix under load on both sides (latency
percentiles per query class), and query insights on the target. The target is reached through
vtgate at ``<keyspace>@replica`` once read traffic is switched to it, which the engagement must
approve (``approve_read_switch``); ReverseTraffic undoes it.

The workload is the engagement's files, or, when it names none, the SELECTs the source sampled
per statement digest (MySQL's performance_schema, read by the select-database stage). Either is
settled before reads are switched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from pocflow.connections import connect
from pocflow.engagement import PROJECT_ROOT
from pocflow.quality.sides import keyspace_shards
from pocflow.sql import quote_identifier
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.table import render
from pocflow.stages.workflows import WorkflowPlan
from pocflow.vitess.movetables import MoveTables, TrafficState
from pocflow.workload.digests import digest_workload
from pocflow.workload.insights import DigestRows, PatternInsight, explain, target_digests
from pocflow.workload.load import LoadResult, run_load
from pocflow.workload.replay import Execution, ReplayedQuery, replay
from pocflow.workload.spec import Workload, WorkloadError, load_workload

PROBLEM_CLASSES = ("unsupported", "different_result", "different_warnings", "error_on_target_only", "slower")
FROM_FILES, FROM_DIGESTS = "files", "source digests"


@dataclass
class TestingResult:
    target_keyspace: str
    reads_switched: bool
    skipped_reason: str
    replay: list[ReplayedQuery] = field(default_factory=list)
    source_load: LoadResult | None = None
    target_load: LoadResult | None = None
    insights: list[PatternInsight] = field(default_factory=list)
    target_digests: list[DigestRows] = field(default_factory=list)
    workload_source: str = ""
    """Where the workload came from: ``files`` (the engagement's) or ``source digests``; empty if none ran."""

    def workload_described(self) -> str:
        """Where the replayed and loaded queries came from, in words for the review."""
        if self.workload_source == FROM_DIGESTS:
            return (
                "the source's own SELECTs, sampled per statement digest by performance_schema "
                "(the engagement names no workload files)"
            )
        return "the engagement's workload files"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for q in self.replay:
            out[q.classification] = out.get(q.classification, 0) + 1
        return out

    def p99_comparison(self) -> list[dict]:
        """Per query class: source and target p99 and the regression in percent."""
        rows: list[dict] = []
        if not (self.source_load and self.target_load):
            return rows
        for name, s in self.source_load.classes.items():
            t = self.target_load.classes.get(name)
            if t is None:
                continue
            pct = (t.p99_ms - s.p99_ms) / s.p99_ms * 100 if s.p99_ms else 0.0
            rows.append(
                {
                    "class": name,
                    "source_p99_ms": s.p99_ms,
                    "target_p99_ms": t.p99_ms,
                    "regression_pct": round(pct, 1),
                    "target_errors": t.errors,
                }
            )
        return rows

    def to_dict(self) -> dict:
        return {
            "target_keyspace": self.target_keyspace,
            "reads_switched": self.reads_switched,
            "skipped_reason": self.skipped_reason,
            "replay": [q.to_dict() for q in self.replay],
            "source_load": self.source_load.to_dict() if self.source_load else None,
            "target_load": self.target_load.to_dict() if self.target_load else None,
            "insights": [i.to_dict() for i in self.insights],
            "target_digests": [d.to_dict() for d in self.target_digests],
            "counts": self.counts(),
            "p99_comparison": self.p99_comparison(),
            "workload_source": self.workload_source,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TestingResult:
        replayed = [
            ReplayedQuery(**{**q, "source": Execution(**q["source"]), "target": Execution(**q["target"])})
            for q in d.get("replay", [])
        ]
        return cls(
            d["target_keyspace"],
            d["reads_switched"],
            d["skipped_reason"],
            replayed,
            LoadResult.from_dict(d["source_load"]) if d.get("source_load") else None,
            LoadResult.from_dict(d["target_load"]) if d.get("target_load") else None,
            [PatternInsight(**i) for i in d.get("insights", [])],
            [DigestRows(**x) for x in d.get("target_digests", [])],
            # results stored before digests could stand in always ran the engagement's files
            d.get("workload_source", "" if d["skipped_reason"] else FROM_FILES),
        )

    def summary(self) -> str:
        if self.skipped_reason:
            return f"testing skipped: {self.skipped_reason}"
        assert self.source_load and self.target_load, "a testing run that was not skipped measured both sides"
        by_class = {q.name: q for q in self.replay}
        insight = {i.name: i for i in self.insights}
        rows = []
        for c in self.p99_comparison():
            q, i = by_class.get(c["class"]), insight.get(c["class"])
            s = self.source_load.classes[c["class"]]
            t = self.target_load.classes[c["class"]]
            rows.append(
                [
                    c["class"],
                    s.count,
                    f"{s.p50_ms:.2f}",
                    f"{s.p99_ms:.2f}",
                    t.count,
                    f"{t.p50_ms:.2f}",
                    f"{t.p99_ms:.2f}",
                    f"{c['regression_pct']:+.0f}%",
                    t.errors,
                    q.classification if q else "-",
                    "scatter" if i and i.scatter else "",
                ]
            )
        head = (
            f"testing on {self.target_keyspace}@replica (reads switched), workload from "
            f"{self.workload_source or FROM_FILES}: replay {self.counts()}; "
            f"source {self.source_load.throughput_qps:,.0f} q/s, target {self.target_load.throughput_qps:,.0f} q/s "
            f"at concurrency {self.target_load.concurrency}"
            + (
                f", {self.target_load.target_rate:g} q/s target rate (latency corrected for coordinated omission)"
                if self.target_load.coordinated_omission_corrected
                else ""
            )
        )
        parts = [
            head,
            "",
            render(
                [
                    "class",
                    "src n",
                    "src p50",
                    "src p99",
                    "tgt n",
                    "tgt p50",
                    "tgt p99",
                    "p99 Δ",
                    "tgt err",
                    "replay",
                    "",
                ],
                rows,
            ),
        ]
        problems = [
            [q.name, q.classification, (q.target.error or "")[:90]]
            for q in self.replay
            if q.classification in PROBLEM_CLASSES
        ]
        if problems:
            parts += ["", render(["query", "problem", "target says"], problems, max_width=90)]
        return "\n".join(parts)


def switch_reads(ctx: StageContext, workflows: list[WorkflowPlan]) -> bool:
    """Switch rdonly/replica reads of every workflow to the target (approved by the engagement)."""
    for w in workflows:
        mt = MoveTables(ctx.vtctld, w.workflow, w.target_keyspace)
        if not mt.status().traffic.reads_switched:
            ctx.log(
                f"testing: switching reads of {w.workflow} to {w.target_keyspace} "
                f"(approved by approve_read_switch; undo with ReverseTraffic)"
            )
            mt.switch_reads(approved=ctx.engagement.testing.approve_read_switch)
    return True


def choose_workload(ctx: StageContext) -> tuple[Workload, str]:
    """The workload and where it came from: the engagement's files, else the source's sampled SELECTs.
    Raises WorkloadError (naming what to do) when there is neither."""
    e = ctx.engagement
    settings = {
        "duration_seconds": e.testing.duration_seconds,
        "concurrency": e.testing.concurrency,
        "target_rate": e.testing.target_rate,
    }
    if e.workloads:
        paths = [Path(w) if Path(w).is_absolute() else PROJECT_ROOT / w for w in e.workloads]
        return load_workload(paths, **settings), FROM_FILES
    digests = ctx.earlier("select-database").inventory.digests
    workload = digest_workload(digests, **settings)
    ctx.log(
        f"testing: the engagement names no workload files; the workload is {len(workload.queries)} SELECT(s) "
        f"the source sampled per statement digest, weighted by count "
        f"({', '.join(q.name for q in workload.queries[:10])}{', ...' if len(workload.queries) > 10 else ''})"
    )
    return workload, FROM_DIGESTS


@register("testing", TestingResult)
def run(ctx: StageContext) -> TestingResult:
    e = ctx.engagement
    keyspace = e.target.keyspace
    # The workload first: nothing is switched for a test that cannot run.
    try:
        workload, workload_source = choose_workload(ctx)
    except WorkloadError as err:
        if e.workloads:
            raise  # a broken workload file: the engagement must be fixed
        ctx.log(f"testing: skipped: {err}")
        return TestingResult(keyspace, False, str(err))
    imported = ctx.earlier("import")
    current = {
        w.workflow: MoveTables(ctx.vtctld, w.workflow, w.target_keyspace).status().traffic_state
        for w in imported.workflows
    }
    already = all(TrafficState(s).reads_switched for s in current.values())
    if not already and not e.testing.approve_read_switch:
        return TestingResult(
            keyspace,
            False,
            "reads are not switched to the target and the engagement does not "
            "approve switching them (approve_read_switch: true)",
        )
    if not already:
        switch_reads(ctx, imported.workflows)

    rng = random.Random(20261128)
    queries = [(t.name, t.render(rng)) for t in workload.queries]

    source = ctx.source()
    gate = ctx.vtgate().with_database(f"{keyspace}@replica")
    with connect(source) as s_conn, connect(gate) as t_conn:
        replayed = replay(queries, s_conn, t_conn, slower_factor=workload.slower_factor, log=ctx.log)
        plans = {q.name: explain(t_conn, q.sql) for q in replayed}

    ctx.log(f"testing: load on the source, {workload.concurrency} workers, {workload.duration_seconds:g}s")
    source_load = run_load(
        side="source",
        host=source.host,
        port=source.port,
        user=source.user,
        password=source.password,
        database=source.database,
        workload=workload,
    )
    ctx.log(f"testing: load on the target, {workload.concurrency} workers, {workload.duration_seconds:g}s")
    target_load = run_load(
        side="target",
        host=gate.host,
        port=gate.port,
        user=gate.user,
        password=gate.password,
        database=gate.database,
        workload=workload,
    )

    insights = []
    for q in replayed:
        c = target_load.classes.get(q.name)
        scatter, summary, plan = plans[q.name]
        insights.append(
            PatternInsight(
                q.name,
                q.fingerprint,
                c.count if c else 0,
                c.p50_ms if c else None,
                c.p99_ms if c else None,
                q.target.rows,
                scatter,
                summary,
                plan,
            )
        )
    if target_load.errors:
        ctx.log(
            f"testing: {target_load.errors} of {target_load.queries} target queries failed; first: "
            + "; ".join(f"{c.name}: {c.first_error}" for c in target_load.classes.values() if c.first_error)[:500]
        )
    conns, digests = [], []
    try:
        for w in imported.workflows:
            for shard in keyspace_shards(ctx.vtctld, w.target_keyspace):
                conn = connect(ctx.vtgate().with_database(None))
                with conn.cursor() as cur:
                    cur.execute(f"USE {quote_identifier(w.target_keyspace + ':' + shard + '@replica')}")
                conns.append(conn)
        digests = target_digests(conns)
    except pymysql.MySQLError as e:  # the target went away after the load: report what was measured
        ctx.log(f"testing: rows-examined digests not read from the target: {e}")
    finally:
        for conn in conns:
            conn.close()
    return TestingResult(keyspace, True, "", replayed, source_load, target_load, insights, digests, workload_source)
