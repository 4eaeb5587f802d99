"""What an SA asks for when triggering a cutover: the engagement, the window, soaks, rollback criteria."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any

from pocflow.engagement import Engagement, EngagementError


@dataclass(frozen=True)
class CutoverSettings:
    engagement: str
    planned_at: dt.datetime | None = None
    """When writes may switch (UTC); None: as soon as the reads have soaked and a person approves."""
    read_soak_minutes: float = 10.0
    write_soak_minutes: float = 30.0
    probe_seconds: float = 5.0
    """Each soak probe runs the engagement's workload this long against the target."""
    probe_interval_seconds: float = 60.0
    max_error_rate_pct: float = 1.0
    max_p99_ms: float = 250.0
    max_lag_seconds: float = 10.0
    approval_hours: float = 24.0
    """How long each approval request waits for an answer; unanswered means nothing more is switched."""
    keep_source_data: bool = True
    accepted_findings: tuple[str, ...] = ()
    """Blocker findings the customer accepts for this cutover, as ``finding-id:object`` (e.g. a table left
    on the source on purpose: ``no-unique-not-null-key:events``)."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["planned_at"] = self.planned_at.isoformat() if self.planned_at else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CutoverSettings":
        d = dict(d)
        d["planned_at"] = dt.datetime.fromisoformat(d["planned_at"]) if d.get("planned_at") else None
        d["accepted_findings"] = tuple(d.get("accepted_findings") or ())
        return cls(**d)

    def window_ahead(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The planned cutover time while it is still ahead; None when the write approval may be asked now."""
        now = now or dt.datetime.now(dt.UTC)
        return self.planned_at if self.planned_at is not None and self.planned_at > now else None

    def criteria(self) -> str:
        return (f"roll back when the target's error rate exceeds {self.max_error_rate_pct:g}%, its p99 exceeds "
                f"{self.max_p99_ms:g} ms, or replication lag exceeds {self.max_lag_seconds:g}s")


_NUMBERS = {"read_soak_minutes": (0, 7 * 24 * 60), "write_soak_minutes": (0, 7 * 24 * 60),
            "probe_seconds": (1, 600), "probe_interval_seconds": (5, 3600), "max_error_rate_pct": (0, 100),
            "max_p99_ms": (1, 600_000), "max_lag_seconds": (0, 86_400), "approval_hours": (0.01, 24 * 90)}


def parse(form: dict[str, Any], *, now: dt.datetime | None = None) -> CutoverSettings:
    """The trigger form as settings; every bad field is named at once (EngagementError)."""
    problems: dict[str, str] = {}
    known = {f.name for f in fields(CutoverSettings)}
    for key in form:
        if key not in known:
            problems[key] = "unknown field"
    name = str(form.get("engagement") or "").strip()
    if not name:
        problems["engagement"] = "required: the engagement whose import is to be cut over"
    values: dict[str, Any] = {"engagement": name}
    for key, (low, high) in _NUMBERS.items():
        raw = form.get(key)
        if raw in (None, ""):
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            problems[key] = f"not a number: {raw!r}"
            continue
        if not low <= value <= high:
            problems[key] = f"{value:g} is outside {low:g}-{high:g}"
        values[key] = value
    raw = form.get("planned_at")
    if raw not in (None, ""):
        try:
            planned = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            problems["planned_at"] = f"not a date and time (YYYY-MM-DDTHH:MM, UTC unless an offset is given): {raw!r}"
        else:
            planned = planned if planned.tzinfo else planned.replace(tzinfo=dt.timezone.utc)
            now = now or dt.datetime.now(dt.timezone.utc)
            if planned > now + dt.timedelta(days=365):
                problems["planned_at"] = f"{planned.isoformat()} is more than a year away"
            values["planned_at"] = planned.astimezone(dt.timezone.utc)
    accepted = form.get("accepted_findings")
    if accepted not in (None, "", []):
        items = accepted.replace(",", "\n").split() if isinstance(accepted, str) else list(accepted)
        bad = [str(i) for i in items if not isinstance(i, str) or ":" not in i or not i.split(":", 1)[0]]
        if bad:
            problems["accepted_findings"] = (f"each entry is finding-id:object (as the readiness findings name "
                                             f"them, e.g. no-unique-not-null-key:events); not {', '.join(bad)}")
        values["accepted_findings"] = tuple(i.strip() for i in items if isinstance(i, str))
    keep = form.get("keep_source_data")
    if keep not in (None, ""):
        if isinstance(keep, bool):
            values["keep_source_data"] = keep
        elif str(keep).lower() in ("true", "yes", "keep"):
            values["keep_source_data"] = True
        elif str(keep).lower() in ("false", "no", "drop"):
            values["keep_source_data"] = False
        else:
            problems["keep_source_data"] = f"true (keep the source's tables) or false (drop them): {keep!r}"
    if problems:
        raise EngagementError(problems)
    return CutoverSettings(**values)


def find_engagement(name: str) -> Engagement:
    """A known engagement by name (include/engagements/*.yaml or one started from the form)."""
    from pocflow.nightly import known_engagements

    from pocflow.engagement import ENGAGEMENTS_DIR, from_inputs

    known = {e.name: e for e in known_engagements()}
    if name in known:
        return known[name]
    path = ENGAGEMENTS_DIR / (name.removesuffix(".yaml") + ".yaml")  # the file's name works too
    if path.exists():
        return from_inputs(file=path, today=dt.date.min)
    raise EngagementError({"engagement": f"no engagement named {name!r}; known: {', '.join(sorted(known)) or 'none'}"})
