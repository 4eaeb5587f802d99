"""What an SA asks for when triggering a cutover: the engagement, the window, soaks, rollback criteria."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from pocflow.engagement import ENGAGEMENTS_DIR, Engagement, EngagementError, from_inputs
from pocflow.fields import Check, Context, Form, Invalid, Number, declare, read, unknown

SECTIONS = ("Cutover", "Soak", "Rollback criteria", "Approvals")
"""The trigger form's sections, in the order it shows them."""


class _EngagementName(Check):
    """The engagement to cut over, as text (it is looked up by name afterwards)."""

    required_message = "required: the engagement whose import is to be cut over"

    def missing(self, raw: Any) -> bool:
        return not str(raw or "").strip()

    def read(self, raw: Any, ctx: Context) -> str:
        return str(raw).strip()


@dataclass(frozen=True)
class _Number(Number):
    """A number in [low, high]."""

    def read(self, raw: Any, ctx: Context) -> float:
        try:
            float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"not a number: {raw!r}") from None
        return super().read(raw, ctx)


class _Time(Check):
    """A date and time within a year, UTC unless an offset is given; as UTC."""

    def read(self, raw: Any, ctx: Context) -> dt.datetime:
        try:
            planned = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"not a date and time (YYYY-MM-DDTHH:MM, UTC unless an offset is given): {raw!r}") from None
        planned = planned if planned.tzinfo else planned.replace(tzinfo=dt.UTC)
        now = ctx.now or dt.datetime.now(dt.UTC)
        if planned > now + dt.timedelta(days=365):
            raise Invalid(f"{planned.isoformat()} is more than a year away")
        return planned.astimezone(dt.UTC)

    def schema(self) -> dict[str, Any]:
        return {"format": "date-time"}


class _Keep(Check):
    json_type = "boolean"

    def read(self, raw: Any, ctx: Context) -> bool:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "yes", "keep"):
            return True
        if str(raw).lower() in ("false", "no", "drop"):
            return False
        raise Invalid(f"true (keep the source's tables) or false (drop them): {raw!r}")


class _Findings(Check):
    """finding-id:object entries, as a list or as text split at commas and whitespace."""

    json_type = "array"

    def missing(self, raw: Any) -> bool:
        return raw in (None, "", [])

    def read(self, raw: Any, ctx: Context) -> tuple[str, ...]:
        items = raw.replace(",", "\n").split() if isinstance(raw, str) else list(raw)
        bad = [str(i) for i in items if not isinstance(i, str) or ":" not in i or not i.split(":", 1)[0]]
        if bad:
            raise Invalid(
                f"each entry is finding-id:object (as the readiness findings name them, e.g. "
                f"no-unique-not-null-key:events); not {', '.join(bad)}"
            )
        return tuple(i.strip() for i in items)

    def schema(self) -> dict[str, Any]:
        return {"items": {"type": "string", "pattern": r"^[a-z0-9-]+:.+$"}}


@dataclass(frozen=True)
class CutoverSettings:
    engagement: str = declare(_EngagementName())
    """Its form field, whose examples are the engagement files, is written out in airflow/params.py."""
    planned_at: dt.datetime | None = declare(
        _Time(),
        None,
        help="Writes are not switched before this time; the approval request waits for it. Empty: as "
        "soon as the reads have soaked.",
        form=Form("Cutover", "Planned cutover time (UTC)"),
    )
    read_soak_minutes: float = declare(
        _Number(0, 7 * 24 * 60),
        10.0,
        help="How long reads run on Vitess, probed, before the write switch is offered.",
        form=Form("Soak", "Read soak (min)"),
    )
    write_soak_minutes: float = declare(
        _Number(0, 7 * 24 * 60),
        30.0,
        help="How long all traffic runs on Vitess before complete or roll back is asked.",
        form=Form("Soak", "Write soak (min)"),
    )
    probe_seconds: float = declare(
        _Number(1, 600),
        5.0,
        help="Each probe replays the engagement's workload this long against the target.",
        form=Form("Soak", "Probe length (s)"),
    )
    probe_interval_seconds: float = declare(
        _Number(5, 3600), 60.0, help="Time between probes.", form=Form("Soak", "Probe interval (s)")
    )
    max_error_rate_pct: float = declare(
        _Number(0, 100),
        1.0,
        help="Rollback criterion: failed probe queries.",
        form=Form("Rollback criteria", "Max error rate (%)"),
    )
    max_p99_ms: float = declare(
        _Number(1, 600_000),
        250.0,
        help="Rollback criterion: the slowest query class's p99 in a probe.",
        form=Form("Rollback criteria", "Max p99 (ms)"),
    )
    max_lag_seconds: float = declare(
        _Number(0, 86_400),
        10.0,
        help="Pre-check and rollback criterion: lag of the workflow keeping both sides in step.",
        form=Form("Rollback criteria", "Max replication lag (s)"),
    )
    approval_hours: float = declare(
        _Number(0.01, 24 * 90),
        24.0,
        help="How long each approval request waits; unanswered means nothing more is switched.",
        form=Form("Approvals", "Approval window (h)"),
    )
    keep_source_data: bool = declare(
        _Keep(),
        True,
        help="Complete removes reverse replication and routing rules; the source's tables stay unless this is off.",
        form=Form("Approvals", "Keep the source's tables on complete"),
    )
    accepted_findings: tuple[str, ...] = declare(
        _Findings(),
        (),
        help="Blocker findings the customer accepts for this cutover, one per line as finding-id:object (e.g. "
        "no-unique-not-null-key:events for a table left on the source).",
        form=Form("Cutover", "Accepted blocker findings"),
    )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["planned_at"] = self.planned_at.isoformat() if self.planned_at else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CutoverSettings:
        d = dict(d)
        d["planned_at"] = dt.datetime.fromisoformat(d["planned_at"]) if d.get("planned_at") else None
        d["accepted_findings"] = tuple(d.get("accepted_findings") or ())
        return cls(**d)

    def window_ahead(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The planned cutover time while it is still ahead; None when the write approval may be asked now."""
        now = now or dt.datetime.now(dt.UTC)
        return self.planned_at if self.planned_at is not None and self.planned_at > now else None

    def criteria(self) -> str:
        return (
            f"roll back when the target's error rate exceeds {self.max_error_rate_pct:g}%, its p99 exceeds "
            f"{self.max_p99_ms:g} ms, or replication lag exceeds {self.max_lag_seconds:g}s"
        )


def parse(form: dict[str, Any], *, now: dt.datetime | None = None) -> CutoverSettings:
    """The trigger form as settings; every bad field is named at once (EngagementError)."""
    problems = {key: "unknown field" for key in unknown(CutoverSettings, form)}
    settings, found = read(CutoverSettings, form, Context(now=now))
    for name, message in found.items():
        problems.setdefault(name, message)
    if problems:
        raise EngagementError(problems)
    return settings


def find_engagement(name: str) -> Engagement:
    """A known engagement by name (include/engagements/*.yaml or one started from the form)."""
    # Imported here: the poc_cutover DAG reads this module for its form, and the stages nightly imports
    # would slow every parse of it.
    from pocflow.nightly import known_engagements  # noqa: PLC0415

    known = {e.name: e for e in known_engagements()}
    if name in known:
        return known[name]
    path = ENGAGEMENTS_DIR / (name.removesuffix(".yaml") + ".yaml")  # the file's name works too
    if path.exists():
        return from_inputs(file=path, today=dt.date.min)
    raise EngagementError({"engagement": f"no engagement named {name!r}; known: {', '.join(sorted(known)) or 'none'}"})
