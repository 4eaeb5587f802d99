"""Copy progress of import workflows: per-table rows, lag, and an ETA from the observed copy rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # movetables waits for copies through copywait, which reports with this module
    from pocflow.vitess.movetables import WorkflowStatus


@dataclass
class CopyProgress:
    """Fed successive workflow statuses; knows the copy rate it has seen and what remains."""

    first_seen: dict[str, tuple[float, int]] = field(default_factory=dict)  # table -> (time, rows copied)
    last: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # table -> (copied, total, phase)
    lag_seconds: float | None = None
    started_at: float | None = None
    now: float = 0.0

    def update(self, statuses: list[WorkflowStatus], now: float) -> None:
        self.now = now
        if self.started_at is None:
            self.started_at = now
        lags = []
        for status in statuses:
            for t in status.tables:
                key = f"{status.target_keyspace}.{t.table}"
                self.first_seen.setdefault(key, (now, t.rows_copied))
                self.last[key] = (t.rows_copied, t.rows_total, t.phase)
            # Tables leave table_copy_state once copied: mark them complete.
            for key, (copied, total, _phase) in list(self.last.items()):
                if key.startswith(status.target_keyspace + ".") and key.split(".", 1)[1] not in {
                    t.table for t in status.tables
                }:
                    self.last[key] = (max(copied, total), max(copied, total), "COMPLETE")
            if status.max_lag_seconds is not None:
                lags.append(status.max_lag_seconds)
        self.lag_seconds = max(lags) if lags else None

    @property
    def rows_per_second(self) -> float | None:
        """Rows copied per second since each table was first seen (None until something moved)."""
        copied = sum(self.last[k][0] - self.first_seen[k][1] for k in self.last if k in self.first_seen)
        elapsed = self.now - (self.started_at or self.now)
        if copied <= 0 or elapsed <= 0:
            return None
        return copied / elapsed

    @property
    def remaining_rows(self) -> int:
        return sum(max(total - copied, 0) for copied, total, phase in self.last.values() if phase != "COMPLETE")

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rows_per_second
        if not self.remaining_rows:
            return 0.0
        return self.remaining_rows / rate if rate else None

    def lines(self) -> list[str]:
        if not self.last:
            return [
                f"copy: no table left to copy; replication lag "
                f"{f'{self.lag_seconds:.0f}s' if self.lag_seconds is not None else 'n/a'}"
            ]
        rate, eta = self.rows_per_second, self.eta_seconds
        head = (
            f"copy: {sum(c for c, _, _ in self.last.values()):,} rows copied; "
            f"rate {f'{rate:,.0f} rows/s' if rate else 'not measured yet'}; "
            f"ETA {_duration(eta) if eta is not None else 'unknown'}; "
            f"lag {f'{self.lag_seconds:.0f}s' if self.lag_seconds is not None else 'n/a'}"
        )
        rows = [
            f"  {key:<40} {copied:>12,} / {total:>12,} {(100 * copied / total if total else 100):6.1f}%  {phase}"
            for key, (copied, total, phase) in sorted(self.last.items())
        ]
        return [head, *rows]


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


class ErrorGrace:
    """Vitess retries a stream error itself (a tablet restarting, the source briefly away). Waiting
    code reports such errors and gives up only when they persist for ``grace`` seconds."""

    def __init__(self, grace: float = 600.0):
        self.grace = grace
        self.since: float | None = None

    def observe(self, errors: list[str], now: float) -> str:
        """ "ok" (no errors), "recovered" (errors just cleared), "wait" or "fail"."""
        if not errors:
            recovered, self.since = self.since is not None, None
            return "recovered" if recovered else "ok"
        self.since = self.since if self.since is not None else now
        return "fail" if now - self.since >= self.grace else "wait"

    def waited(self, now: float) -> float:
        return 0.0 if self.since is None else now - self.since
