"""Pre-checks before any traffic moves, each with the evidence it rests on."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pocflow.connections import connect
from pocflow.cutover.context import CutoverContext
from pocflow.sql import quote_identifier
from pocflow.stages import RunResults
from pocflow.vitess.movetables import MoveTables, WorkflowStatus

REVERSE_PRIVILEGES = ("Insert_priv", "Update_priv", "Delete_priv")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    evidence: str

    def to_dict(self) -> dict:
        return asdict(self)


def validation_clean(ctx: CutoverContext) -> Check:
    """The newest validation of the engagement (its run's, or a nightly one) found no difference."""
    store = ctx.results.store
    runs = store.runs_with("validation.json")
    if not runs:
        return Check("latest validation clean", False, "no validation has run for this engagement")
    v = RunResults(store.for_run(runs[-1])).require("validation")
    vdiff = (
        ", ".join(
            f"{w}: {d.get('state')}{' with mismatches' if d.get('has_mismatch') else ''}" for w, d in v.vdiff.items()
        )
        or "none"
    )
    evidence = (
        f"run {runs[-1]}: {len(v.tables)} table(s), {v.mismatched_rows} differing row(s), "
        f"schema differences in {sum(bool(x) for x in v.schema.values())} table(s), VDiff {vdiff}"
    )
    return Check("latest validation clean", v.passed and v.mismatched_rows == 0, evidence)


def live_workflow(ctx: CutoverContext, mt: MoveTables) -> tuple[MoveTables, WorkflowStatus]:
    """The workflow that keeps the two sides in step now: forward until writes switch, then the reverse one."""
    status = mt.status()
    if status.traffic.writes_switched:
        reverse = ctx.reverse(mt)
        return reverse, reverse.status()
    return mt, status


def workflow_running(ctx: CutoverContext) -> Check:
    parts, ok = [], True
    for mt in ctx.workflows():
        if not mt.exists(settle=10):
            return Check(
                "import workflow running",
                False,
                f"workflow {mt.workflow} on {mt.target_keyspace} does not exist (completed or cancelled?)",
            )
        live, status = live_workflow(ctx, mt)
        running = bool(status.streams) and all(s.status == "Running" for s in status.streams)
        copied = live is not mt or status.copy_complete
        ok &= running and copied and not status.errors
        parts.append(
            f"{live.workflow}: {len(status.streams)} stream(s) "
            + ", ".join(sorted({s.status for s in status.streams}))
            + ("" if copied else ", copy not finished")
            + (f"; errors: {'; '.join(status.errors)}" if status.errors else "")
            + f"; traffic: {status.traffic_state or mt.status().traffic_state}"
        )
    return Check("import workflow running", ok, "; ".join(parts))


def replication_lag(ctx: CutoverContext) -> Check:
    limit = ctx.settings.max_lag_seconds
    parts, ok = [], True
    for mt in ctx.workflows():
        live, status = live_workflow(ctx, mt)
        lag = status.max_lag_seconds
        if lag is None:
            ok &= bool(status.streams) and all(s.status == "Running" for s in status.streams)
            parts.append(
                f"{live.workflow}: Vitess reports no lag figure "
                f"(streams {', '.join(s.status for s in status.streams) or 'none'})"
            )
        else:
            ok &= lag <= limit
            parts.append(f"{live.workflow}: {lag:g}s (limit {limit:g}s)")
    return Check("replication lag below the limit", ok, "; ".join(parts))


def no_open_blockers(ctx: CutoverContext) -> Check:
    selected = ctx.results.get("select-database")
    if selected is None:
        return Check("no open blocker findings", False, "the engagement run has no readiness assessment")
    accepted = set(ctx.settings.accepted_findings)
    blockers = selected.readiness.blockers
    open_ = [f for f in blockers if f"{f.id}:{f.object}" not in accepted]
    shown = "; ".join(f"{f.id}:{f.object} ({f.evidence})" for f in open_)
    taken = [f"{f.id}:{f.object}" for f in blockers if f"{f.id}:{f.object}" in accepted]
    evidence = (
        f"{len(blockers)} blocker finding(s)"
        + (f"; accepted for this cutover by {ctx.by}: {', '.join(taken)}" if taken else "")
        + (f"; open: {shown}. Fix them, or accept them in the form (accepted_findings)" if open_ else "")
    )
    return Check("no open blocker findings", not open_, evidence)


def sequences_initialised(ctx: CutoverContext) -> Check:
    planned = ctx.results.get("sharding-plan")
    if planned is None:
        return Check("sequences initialised", False, "the engagement run has no sharding plan")
    plan = planned.plan
    if not plan.sharded or not plan.global_keyspace:
        return Check(
            "sequences initialised",
            True,
            f"{plan.keyspace} is unsharded: AUTO_INCREMENT stays with MySQL, no sequence is needed",
        )
    sequences = plan.sequences
    if not sequences:
        return Check("sequences initialised", True, "no table of the plan takes its ids from a sequence")
    found: list[str] = []
    missing: list[str] = []
    with connect(ctx.stage_context().vtgate().with_database(plan.global_keyspace)) as conn, conn.cursor() as cur:
        for s in sequences:
            try:
                cur.execute(f"SELECT next_id, cache FROM {quote_identifier(s)} WHERE id = 0")
                row = cur.fetchone()
            except Exception as e:
                missing.append(f"{s} ({e})")
                continue
            (found if row else missing).append(f"{s} next_id {row[0]}" if row else f"{s} (no row)")
    evidence = (
        f"{len(found)} of {len(sequences)} sequence(s) in {plan.global_keyspace}: {', '.join(found)}"
        + (f"; missing: {', '.join(missing)}" if missing else "")
        + "; the write switch passes --initialize-target-sequences so next_id moves past the imported ids"
    )
    return Check("sequences initialised", not missing, evidence)


def reverse_replication_possible(ctx: CutoverContext) -> Check:
    """Once writes switch, Vitess replicates back into the source through the import account: it must be
    allowed to change the rows of the source database."""
    e = ctx.engagement
    user = e.source.import_user
    if not user:
        return Check(
            "source accepts reverse replication",
            False,
            "no import account named (source_import_user): its write privileges cannot be checked",
        )
    source = ctx.stage_context().source()
    cols = ", ".join(REVERSE_PRIVILEGES)
    try:
        with connect(source.with_database(None)) as conn, conn.cursor() as cur:
            cur.execute(f"SELECT {cols} FROM mysql.user WHERE User = %s", (user,))
            globals_ = cur.fetchall()
            cur.execute(f"SELECT {cols} FROM mysql.db WHERE User = %s AND %s LIKE Db", (user, e.source.database))
            per_db = cur.fetchall()
    except Exception as exc:
        return Check(
            "source accepts reverse replication",
            False,
            f"could not read the privileges of {user!r} ({exc}); grant the source connection's account "
            f"SELECT on mysql.user and mysql.db, or check by hand",
        )
    have = {
        p for rows in (globals_, per_db) for r in rows for p, v in zip(REVERSE_PRIVILEGES, r, strict=True) if v == "Y"
    }
    lacking = [p.removesuffix("_priv").upper() for p in REVERSE_PRIVILEGES if p not in have]
    if lacking:
        return Check(
            "source accepts reverse replication",
            False,
            f"{user!r} lacks {', '.join(lacking)} on {e.source.database}: after the write switch Vitess "
            f"could not keep the source current, and a rollback would lose writes. GRANT {', '.join(lacking)} "
            f"ON `{e.source.database}`.* TO the import account",
        )
    return Check(
        "source accepts reverse replication", True, f"{user!r} may INSERT, UPDATE and DELETE in {e.source.database}"
    )


ALL = (
    validation_clean,
    workflow_running,
    replication_lag,
    no_open_blockers,
    sequences_initialised,
    reverse_replication_possible,
)


def run_all(ctx: CutoverContext) -> list[Check]:
    out = []
    for check in ALL:
        try:
            out.append(check(ctx))
        except Exception as exc:
            out.append(Check(check.__name__.replace("_", " "), False, f"could not check: {exc}"))
    return out
