"""The cutover's steps over the engagement's MoveTables workflows. Each reads the traffic state first,
so running it again does nothing twice; each writes its outcome into the cutover log.

Reads switch on the cutover run's own authority (the SA triggered it: reads are reversible and the
source still takes every write). Writes, rollback and complete run only when the caller passes the
approval a person gave (``approved_by``).
"""

from __future__ import annotations

from pocflow import cutover_log as log
from pocflow.cutover.checks import Check, run_all
from pocflow.cutover.context import CutoverContext, CutoverRefused

READ_TYPES = "rdonly,replica"
STEPS = ("pre-checks", "switch-reads", "switch-writes", "rollback", "complete")
"""The steps :func:`run_step` runs by name."""


def pre_checks(ctx: CutoverContext) -> list[Check]:
    checks = run_all(ctx)
    failed = [c for c in checks if not c.passed]
    evidence = "\n".join(f"[{'PASS' if c.passed else 'FAIL'}] {c.name}: {c.evidence}" for c in checks)
    ctx.record(
        "pre-checks",
        log.FAILED if failed else log.PASSED,
        f"{len(checks) - len(failed)} of {len(checks)} passed",
        evidence=evidence,
    )
    if failed:
        raise CutoverRefused(
            "pre-checks failed, nothing was switched: " + "; ".join(f"{c.name}: {c.evidence}" for c in failed)
        )
    return checks


def _require(approved_by: str, what: str, mt) -> None:
    if not approved_by:
        raise CutoverRefused(f"{what} ({mt.workflow}) needs a person's approval; none was given, nothing was changed")


def _switch_extra(ctx: CutoverContext) -> list[str]:
    planned = ctx.results.get("sharding-plan")
    sequences = planned is not None and planned.plan.sharded and planned.plan.sequences
    extra = ["--max-replication-lag-allowed", f"{max(ctx.settings.max_lag_seconds, 1):g}s"]
    return extra + (["--initialize-target-sequences"] if sequences else [])


def switch_reads(ctx: CutoverContext) -> str:
    outputs = []
    for mt in ctx.workflows():
        status = mt.status()
        if status.traffic.reads_switched:
            ctx.record("switch reads", log.ALREADY_DONE, f"{mt.workflow}: {status.traffic_state}")
            continue
        dry = mt.switch_traffic(tablet_types=READ_TYPES, dry_run=True)
        ctx.record("switch reads (dry run)", log.INFO, f"{mt.workflow}: what SwitchTraffic would do", evidence=dry)
        out = mt.switch_traffic(tablet_types=READ_TYPES, approved=True)
        ctx.record(
            "switch reads",
            log.DONE,
            f"{mt.workflow}: replica and rdonly reads now go to "
            f"{mt.target_keyspace} (authorised by triggering the cutover)",
            evidence=out,
        )
        outputs.append(out)
    return "\n".join(outputs)


def writes_dry_run(ctx: CutoverContext) -> str:
    """What switching the writes would do, in Vitess's words (shown in the approval request)."""
    parts = []
    for mt in ctx.workflows():
        if mt.status().traffic.writes_switched:
            parts.append(f"{mt.workflow}: writes already switched")
        else:
            parts.append(mt.switch_traffic(dry_run=True, extra=_switch_extra(ctx)))
    return "\n\n".join(parts)


def writes_switched(ctx: CutoverContext) -> bool:
    return all(mt.status().traffic.writes_switched for mt in ctx.workflows())


def switch_writes(ctx: CutoverContext, *, approved_by: str) -> str:
    outputs = []
    for mt in ctx.workflows():
        status = mt.status()
        if status.traffic.writes_switched:
            ctx.record("switch writes", log.ALREADY_DONE, f"{mt.workflow}: {status.traffic_state}")
            continue
        _require(approved_by, "switching writes", mt)
        out = mt.switch_traffic(approved=True, extra=_switch_extra(ctx))
        ctx.record(
            "switch writes",
            log.DONE,
            f"{mt.workflow}: all traffic now goes to {mt.target_keyspace}; reverse replication "
            f"({mt.workflow}_reverse) keeps {ctx.engagement.source.database} current",
            by=approved_by,
            evidence=out,
        )
        outputs.append(out)
    return "\n".join(outputs)


def rollback(ctx: CutoverContext, *, approved_by: str) -> str:
    """ReverseTraffic for every tablet type: reads and writes back to the source, forward replication resumes."""
    outputs = []
    for mt in ctx.workflows():
        status = mt.status()
        if status.traffic.untouched:
            ctx.record("roll back", log.ALREADY_DONE, f"{mt.workflow}: {status.traffic_state}")
            continue
        _require(approved_by, "rolling back", mt)
        out = mt.reverse_traffic(approved=True)
        ctx.record(
            "roll back",
            log.DONE,
            f"{mt.workflow}: traffic back on {ctx.engagement.source.database}; the target keeps replicating from it",
            by=approved_by,
            evidence=out,
        )
        outputs.append(out)
    return "\n".join(outputs)


def reverse_reads(ctx: CutoverContext, reason: str) -> None:
    """Reads back to the source after a failed read soak (writes were never switched)."""
    for mt in ctx.workflows():
        status = mt.status()
        if status.traffic.writes_switched or status.traffic.untouched:
            continue
        out = mt.reverse_traffic(tablet_types=READ_TYPES, approved=True)
        ctx.record(
            "roll back reads",
            log.DONE,
            f"{mt.workflow}: {reason}",
            by=f"rollback criteria set by {ctx.by}",
            evidence=out,
        )


def complete(ctx: CutoverContext, *, approved_by: str) -> str:
    outputs = []
    keep = ctx.settings.keep_source_data
    for mt in ctx.workflows():
        if not mt.exists(settle=10):
            ctx.record("complete", log.ALREADY_DONE, f"{mt.workflow} no longer exists: completed before")
            continue
        status = mt.status()
        if not status.traffic.writes_switched:
            raise CutoverRefused(
                f"{mt.workflow}: writes are not switched ({status.traffic_state}); complete only after the write switch"
            )
        _require(approved_by, "completing the migration", mt)
        out = mt.complete(keep_data=keep, approved=True)
        ctx.record(
            "complete",
            log.DONE,
            f"{mt.workflow}: migration completed; reverse replication and routing rules removed; source "
            f"tables {'kept' if keep else 'dropped'}",
            by=approved_by,
            evidence=out,
        )
        outputs.append(out)
    return "\n".join(outputs)


def traffic_summary(ctx: CutoverContext) -> str:
    parts = []
    for mt in ctx.workflows():
        parts.append(
            f"{mt.workflow}: {mt.status().traffic_state}" if mt.exists(settle=10) else f"{mt.workflow}: completed"
        )
    return "; ".join(parts)


def run_step(ctx: CutoverContext, step: str, *, approved_by: str = "") -> dict:
    """One of :data:`STEPS` by name; what it did, for the next task. A failure goes into the cutover log
    (the pre-checks record their own, with the evidence) and is raised again."""
    if step not in STEPS:
        raise ValueError(f"unknown cutover step {step!r}; one of {STEPS}")
    try:
        if step == "pre-checks":
            return {"checks": [c.to_dict() for c in pre_checks(ctx)]}
        if step == "switch-reads":
            switch_reads(ctx)
        elif step == "switch-writes":
            switch_writes(ctx, approved_by=approved_by)
        elif step == "rollback":
            rollback(ctx, approved_by=approved_by)
        elif step == "complete":
            complete(ctx, approved_by=approved_by)
    except Exception as e:
        if step != "pre-checks":
            ctx.record(step, log.FAILED, str(e)[:2000])
        raise
    return {"step": step, "traffic": traffic_summary(ctx)}
