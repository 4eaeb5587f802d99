"""The soak: the engagement's workload rerun briefly against the target, now and then, judged against
the rollback criteria (error rate, p99, replication lag). A breach ends it: during the read soak reads go
back to the source and the cutover stops; during the write soak the breach goes to the person deciding
between complete and roll back."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pocflow import cutover_log as log
from pocflow.cutover import steps
from pocflow.cutover.checks import live_workflow
from pocflow.cutover.context import CutoverContext
from pocflow.engagement import PROJECT_ROOT
from pocflow.workload.load import run_load
from pocflow.workload.spec import load_workload


@dataclass(frozen=True)
class Probe:
    at: str
    database: str
    queries: int
    errors: int
    p99_ms: float
    lag_seconds: float | None
    first_error: str | None = None
    breaches: list[str] = field(default_factory=list)

    @property
    def error_rate_pct(self) -> float:
        return 100.0 * self.errors / self.queries if self.queries else 100.0

    def to_dict(self) -> dict:
        return {**asdict(self), "error_rate_pct": round(self.error_rate_pct, 3)}

    def line(self) -> str:
        lag = f"{self.lag_seconds:g}s" if self.lag_seconds is not None else "n/a"
        return (
            f"{self.queries} queries on {self.database}, {self.errors} errors ({self.error_rate_pct:.2f}%), "
            f"p99 {self.p99_ms:.1f} ms, replication lag {lag}"
        )


def breaches(ctx: CutoverContext, queries: int, errors: int, p99_ms: float, lag: float | None) -> list[str]:
    s = ctx.settings
    out = []
    rate = 100.0 * errors / queries if queries else 100.0
    if rate > s.max_error_rate_pct:
        out.append(f"error rate {rate:.2f}% > {s.max_error_rate_pct:g}%")
    if p99_ms > s.max_p99_ms:
        out.append(f"p99 {p99_ms:.1f} ms > {s.max_p99_ms:g} ms")
    if lag is not None and lag > s.max_lag_seconds:
        out.append(f"replication lag {lag:g}s > {s.max_lag_seconds:g}s")
    return out


def probe(ctx: CutoverContext, *, writes_switched: bool) -> Probe:
    """One probe: the workload for ``probe_seconds`` through vtgate, at the reads' tablet type until the
    writes switch (``keyspace@replica``), then at the primary; and the live workflow's lag."""
    e = ctx.engagement
    paths = [Path(w) if Path(w).is_absolute() else PROJECT_ROOT / w for w in e.workloads]
    workload = load_workload(
        paths,
        duration_seconds=ctx.settings.probe_seconds,
        concurrency=min(e.testing.concurrency or 2, 4),
        target_rate=e.testing.target_rate,
    )
    gate = ctx.stage_context().vtgate()
    database = e.target.keyspace if writes_switched else f"{e.target.keyspace}@replica"
    result = run_load(
        side="target",
        host=gate.host,
        port=gate.port,
        user=gate.user,
        password=gate.password,
        database=database,
        workload=workload,
    )
    p99 = max((c.p99_ms for c in result.classes.values()), default=0.0)
    first_error = next((c.first_error for c in result.classes.values() if c.first_error), None)
    lags = []
    for mt in ctx.workflows():
        _, status = live_workflow(ctx, mt)
        if status.max_lag_seconds is not None:
            lags.append(status.max_lag_seconds)
    lag = max(lags) if lags else None
    return Probe(
        log.now(),
        database,
        result.queries,
        result.errors,
        p99,
        lag,
        first_error,
        breaches(ctx, result.queries, result.errors, p99, lag),
    )


class ReadSoakBreached(RuntimeError):
    """The read soak breached the rollback criteria: reads are back on the source, writes were not switched."""


@dataclass(frozen=True)
class SoakCheck:
    """One look at a soak: whether it is over, and what the probe found."""

    over: bool
    probe: Probe

    def to_dict(self) -> dict:
        return {"breaches": self.probe.breaches, "probe": self.probe.to_dict()}


def check(ctx: CutoverContext, *, writes: bool) -> SoakCheck:
    """Probe the target once in the read soak (``writes`` False) or the write soak. The soak is over after
    its minutes without a breach, or at a breach; a read soak's breach sends the reads back to the source
    and raises ReadSoakBreached. Start, breach and pass go into the cutover log."""
    step = "write soak" if writes else "read soak"
    minutes = ctx.settings.write_soak_minutes if writes else ctx.settings.read_soak_minutes
    current = log.read(ctx.engagement, ctx.run_id)
    started = current.last(f"{step} started")
    if started is None:
        current = ctx.record(
            f"{step} started",
            log.INFO,
            f"{minutes:g} min, a probe every {ctx.settings.probe_interval_seconds:g}s; {ctx.settings.criteria()}",
        )
        started = current.last(f"{step} started")
    sample = probe(ctx, writes_switched=writes)
    ctx.log(f"{step} probe: {sample.line()}")
    elapsed = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(started.at)).total_seconds()
    if sample.breaches:
        ctx.record(step, log.BREACH, "; ".join(sample.breaches), evidence=sample.line())
        if not writes:
            steps.reverse_reads(ctx, "read soak breached the rollback criteria: " + "; ".join(sample.breaches))
            raise ReadSoakBreached(
                f"read soak breached the rollback criteria ({'; '.join(sample.breaches)}); "
                f"reads are back on the source and writes were not switched"
            )
        return SoakCheck(True, sample)
    if elapsed >= minutes * 60:
        ctx.record(step, log.PASSED, f"{elapsed / 60:.1f} min without a breach; last probe: {sample.line()}")
        return SoakCheck(True, sample)
    return SoakCheck(False, sample)
