"""The soak: the engagement's workload rerun briefly against the target, now and then, judged against
the rollback criteria (error rate, p99, replication lag)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pocflow import cutover_log as log
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
        return (f"{self.queries} queries on {self.database}, {self.errors} errors ({self.error_rate_pct:.2f}%), "
                f"p99 {self.p99_ms:.1f} ms, replication lag {lag}")


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
    workload = load_workload(paths, duration_seconds=ctx.settings.probe_seconds,
                             concurrency=min(e.testing.concurrency or 2, 4), target_rate=e.testing.target_rate)
    gate = ctx.stage_context().vtgate()
    database = e.target.keyspace if writes_switched else f"{e.target.keyspace}@replica"
    result = run_load(side="target", host=gate.host, port=gate.port, user=gate.user, password=gate.password,
                      database=database, workload=workload)
    p99 = max((c.p99_ms for c in result.classes.values()), default=0.0)
    first_error = next((c.first_error for c in result.classes.values() if c.first_error), None)
    lags = []
    for mt in ctx.workflows():
        _, status = live_workflow(ctx, mt)
        if status.max_lag_seconds is not None:
            lags.append(status.max_lag_seconds)
    lag = max(lags) if lags else None
    return Probe(log.now(), database, result.queries, result.errors, p99, lag, first_error,
                 breaches(ctx, result.queries, result.errors, p99, lag))
