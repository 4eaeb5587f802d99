"""The two questions a cutover asks a person, and their answers in the cutover log: may the writes switch
(with the pre-checks, the read soak and Vitess's dry run), and after the write soak, complete or roll back."""

from __future__ import annotations

from dataclasses import dataclass

from pocflow import cutover_log as log
from pocflow.cutover import steps
from pocflow.cutover.context import CutoverContext

WRITES_STEP = "approve writes"
FINISH_STEP = "complete or roll back"
COMPLETE, ROLL_BACK = "Complete the migration", "Roll back to the source"


@dataclass(frozen=True)
class Request:
    """What the person is asked: a subject line and a Markdown body."""

    subject: str
    body: str


def writes_request(ctx: CutoverContext, *, checks: list[dict], soak: dict) -> Request | None:
    """The request to switch the writes (recorded as requested), or None when they were switched before.
    ``checks`` are the pre-checks' results, ``soak`` the read soak's outcome (empty when there is none)."""
    if steps.writes_switched(ctx):
        ctx.record(WRITES_STEP, log.ALREADY_DONE, "writes were switched before: nothing to approve")
        return None
    dry_run = steps.writes_dry_run(ctx)
    e = ctx.engagement
    probe = soak.get("probe", {})
    body = "\n\n".join(
        [
            f"**Engagement** {e.name}; cutover run {ctx.run_id} requested by {ctx.by}.",
            "**What happens on Approve:** Vitess stops writes on the source for the moved tables, waits for the "
            "target to catch up, routes all traffic to the target and starts reverse replication, so the source "
            "stays current and a rollback (ReverseTraffic) loses nothing.",
            "**Pre-checks**\n\n"
            + "\n".join(f"- {'PASS' if c['passed'] else 'FAIL'} {c['name']}: {c['evidence']}" for c in checks),
            "**Read soak:** "
            + (
                f"probe {probe.get('queries', 0)} queries, {probe.get('errors', 0)} errors, p99 "
                f"{probe.get('p99_ms', 0):.1f} ms"
                if soak
                else "no figures"
            ),
            f"**Rollback criteria:** {ctx.settings.criteria()}",
            "**Vitess dry run (`SwitchTraffic --dry-run`)**\n\n```\n" + dry_run + "\n```",
            f"Without an answer within {ctx.settings.approval_hours:g} h nothing more is switched.",
        ]
    )
    ctx.record(WRITES_STEP, log.INFO, "approval requested", evidence=dry_run)
    return Request(f"{e.customer}: switch writes of {e.source.database} to Vitess keyspace {e.target.keyspace}?", body)


def writes_answered(ctx: CutoverContext, *, approved: bool, comment: str, by: str) -> None:
    ctx.record(
        WRITES_STEP,
        log.APPROVED if approved else log.REJECTED,
        (
            "writes may switch"
            if approved
            else "writes stay on the source; reads stay where they are "
            "(a rollback or ReverseTraffic --tablet-types rdonly,replica returns them)"
        )
        + (f": {comment}" if comment else ""),
        by=by,
    )


def finish_request(ctx: CutoverContext, *, breaches: list[str]) -> Request:
    """After the write soak: complete or roll back, with both dry runs; ``breaches`` of the rollback criteria
    (empty when the soak passed) lead the request. Recorded as requested."""
    e = ctx.engagement
    keep = ctx.settings.keep_source_data
    complete_dry = "\n\n".join(mt.complete(keep_data=keep, dry_run=True) for mt in ctx.workflows())
    rollback_dry = "\n\n".join(mt.reverse_traffic(dry_run=True) for mt in ctx.workflows())
    subject = (
        f"{e.customer}: ROLLBACK CRITERIA BREACHED, roll back?"
        if breaches
        else f"{e.customer}: the write soak passed; complete the migration?"
    )
    body = "\n\n".join(
        [
            f"**Traffic now:** {steps.traffic_summary(ctx)}",
            ("**Rollback criteria breached:** " + "; ".join(breaches))
            if breaches
            else f"**Write soak:** no breach of the rollback criteria ({ctx.settings.criteria()}).",
            f"**{COMPLETE}:** removes the reverse replication and the routing rules; the source's tables are "
            f"{'kept' if keep else 'DROPPED'}. Not reversible with ReverseTraffic.\n\n```\n" + complete_dry + "\n```",
            f"**{ROLL_BACK}:** ReverseTraffic: reads and writes back to the source, which reverse replication "
            f"kept current; the target keeps replicating, so the cutover can run again.\n\n```\n"
            + rollback_dry
            + "\n```",
        ]
    )
    ctx.record(FINISH_STEP, log.INFO, "decision requested" + (f" (breach: {'; '.join(breaches)})" if breaches else ""))
    return Request(subject, body)


def finish_answered(ctx: CutoverContext, *, choice: str, comment: str, by: str) -> None:
    ctx.record(FINISH_STEP, log.APPROVED, f"chose {choice}" + (f": {comment}" if comment else ""), by=by)


def timed_out(ctx: CutoverContext, step: str, what: str) -> None:
    """Nobody answered within the settings' approval hours; ``what`` says what that leaves."""
    ctx.record(step, log.TIMED_OUT, f"no answer within {ctx.settings.approval_hours:g} h: {what}")
