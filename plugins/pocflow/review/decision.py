"""The customer's decision after the opt-out review, as recorded in Airflow (or not)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

# Choices offered to the SA in Airflow's human-in-the-loop form, mapped to recommendations.
OPTIONS = {"Proceed": "proceed", "Proceed with conditions": "proceed with conditions", "Opt out": "opt out"}

RECORDED, NO_DECISION, PENDING, NOT_REQUESTED = "recorded", "no decision recorded", "pending", "not requested"


@dataclass(frozen=True)
class Decision:
    status: str
    """recorded | no decision recorded (the opt-out date passed) | pending | not requested"""
    outcome: str | None = None
    """proceed | proceed with conditions | opt out, when recorded"""
    comment: str = ""
    by: str | None = None
    at: str | None = None
    deadline: str | None = None
    """When the wait ends: the end of the opt-out date (UTC), ISO 8601."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> Decision | None:
        return cls(**d) if d else None

    def sentence(self) -> str:
        """line(), capitalised, for the start of a line."""
        line = self.line()
        return line[0].upper() + line[1:]

    def line(self) -> str:
        if self.status == RECORDED:
            who = f" by {self.by}" if self.by else ""
            when = f" on {self.at[:16].replace('T', ' ')} UTC" if self.at else ""
            comment = f": {self.comment}" if self.comment else ""
            return f"customer decision: {self.outcome}{who}{when}{comment}"
        if self.status == NO_DECISION:
            return f"customer decision: no decision recorded before the opt-out date ended ({self.deadline})"
        if self.status == PENDING:
            return f"customer decision: awaiting the customer's answer in Airflow until {self.deadline}"
        return "customer decision: not requested by this engagement"


def deadline(opt_out_date: dt.date) -> dt.datetime:
    """The wait for a decision ends when the opt-out date ends (midnight UTC after it)."""
    return dt.datetime.combine(opt_out_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def time_left(opt_out_date: dt.date, now: dt.datetime | None = None) -> dt.timedelta:
    now = now or dt.datetime.now(dt.UTC)
    return max(deadline(opt_out_date) - now, dt.timedelta(0))


def from_response(
    chosen_options: list[str],
    params_input: dict | None,
    responded_by: dict | str | None,
    responded_at: dt.datetime | str | None,
    opt_out_date: dt.date,
) -> Decision:
    """A Decision from Airflow's human-in-the-loop response."""
    if not chosen_options or chosen_options[0] not in OPTIONS:
        raise ValueError(f"unexpected decision {chosen_options!r}; expected one of {list(OPTIONS)}")
    by = responded_by.get("name") or responded_by.get("id") if isinstance(responded_by, dict) else responded_by
    at = responded_at.isoformat() if isinstance(responded_at, dt.datetime) else responded_at
    comment = str((params_input or {}).get("comment") or "").strip()
    return Decision(RECORDED, OPTIONS[chosen_options[0]], comment, by, at, deadline(opt_out_date).isoformat())


def timed_out(opt_out_date: dt.date) -> Decision:
    return Decision(NO_DECISION, deadline=deadline(opt_out_date).isoformat())


def pending(opt_out_date: dt.date) -> Decision:
    return Decision(PENDING, deadline=deadline(opt_out_date).isoformat())


def not_requested() -> Decision:
    return Decision(NOT_REQUESTED)
