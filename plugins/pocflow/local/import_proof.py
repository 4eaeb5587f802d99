"""The import proof: a real MoveTables from the source keyspace into the target keyspace.

Creates the workflow for the importable tables, waits for the copy and for replication,
writes a new row on the source and reads it back through vtgate from the target, runs VDiff,
and cancels the workflow (dropping the copied tables on the target), leaving things as found.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pocflow.connections import Endpoint, connect
from pocflow.source.inventory import take
from pocflow.source.readiness import assess
from pocflow.sql import quote_identifier
from pocflow.vitess.movetables import MoveTables, VDiff, VDiffReport, WorkflowStatus, copy_options
from pocflow.vitess.vtctldclient import NotApproved, Vtctld

WORKFLOW = "pocflow_import_proof"


@dataclass(frozen=True)
class ImportProofResult:
    workflow: str
    source_keyspace: str
    target_keyspace: str
    tables: list[str]
    excluded: dict[str, str]
    rows_copied: dict[str, int]
    copy_seconds: float
    replication_seconds: float
    """From the INSERT on the source until the row was readable through vtgate from the target."""
    vdiff: VDiffReport
    cancelled: bool

    @property
    def passed(self) -> bool:
        return (
            not self.vdiff.has_mismatch
            and self.vdiff.state == "completed"
            and self.cancelled
            and all(self.rows_copied.values())
        )

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def render_markdown(result: ImportProofResult) -> str:
    """A one-screen report: per table, rows on the target and what VDiff found."""
    vdiff = {t.table: t for t in result.vdiff.tables}
    lines = [
        f"# Import proof: {'PASSED' if result.passed else 'FAILED'}",
        "",
        f"MoveTables `{result.workflow}`: `{result.source_keyspace}` -> `{result.target_keyspace}`; "
        f"copy {result.copy_seconds:.1f} s; a row written on the source was served by the target "
        f"through vtgate after {result.replication_seconds:.2f} s; VDiff `{result.vdiff.uuid}` "
        f"{result.vdiff.state}; workflow {'cancelled' if result.cancelled else 'NOT cancelled'}.",
        "",
        "| table | rows on target | VDiff compared | mismatched | extra (source/target) |",
        "|---|---:|---:|---:|---:|",
    ]
    for table in result.tables:
        v = vdiff.get(table)
        if v is None:
            lines.append(f"| {table} | {result.rows_copied.get(table, 0):,} | not compared | | |")
        else:
            lines.append(
                f"| {table} | {result.rows_copied.get(table, 0):,} | {v.rows_compared:,} | "
                f"{v.mismatched_rows:,} | {v.extra_rows_source:,}/{v.extra_rows_target:,} |"
            )
    if result.excluded:
        lines += ["", "Not imported:", ""]
        lines += [f"- `{table}`: {reason}" for table, reason in result.excluded.items()]
    return "\n".join(lines) + "\n"


def target_rows(vtgate: Endpoint, keyspace: str, shard: str, table: str) -> int:
    """Rows of ``table`` in the target shard, read through vtgate from its replica.

    Before traffic is switched, vtgate routes the keyspace's tables to the source; a shard
    target (``keyspace:shard@replica``) reads the target's own copy.
    """
    with connect(vtgate.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"USE {quote_identifier(f'{keyspace}:{shard}@replica')}")
        cur.execute(f"SELECT COUNT(*) FROM {quote_identifier(table)}")
        return (cur.fetchone() or (0,))[0]


def run(
    *,
    vtctld: Vtctld,
    source_admin: Endpoint,
    source_readonly: Endpoint,
    vtgate: Endpoint,
    source_keyspace: str,
    target_keyspace: str,
    approve_cancel: bool = False,
    progress: Callable[[str], None] = print,
    timeout: float = 900,
) -> ImportProofResult:
    """Copy, replicate, VDiff, then cancel the proof's own workflow (dropping its copy on the target)."""
    if not approve_cancel:
        raise NotApproved(
            f"MoveTables cancel ({WORKFLOW})",
            "The proof ends by cancelling its workflow and dropping "
            f"the copied tables in {target_keyspace}: approve with approve_cancel=True "
            f"(CLI: --approve-cancel).",
        )
    movetables = MoveTables(vtctld, WORKFLOW, target_keyspace)
    if not source_readonly.database:
        raise ValueError("the import proof needs the source database in the read-only endpoint")
    with connect(source_readonly) as conn:
        inventory = take(conn, source_readonly.database)
    plan = assess(inventory)
    for table, reason in plan.excluded.items():
        progress(f"excluded {table}: {reason}")
    if movetables.exists():
        progress(f"an earlier {WORKFLOW} workflow exists; cancelling it first")
        movetables.cancel(approved=approve_cancel)

    started = time.monotonic()
    movetables.create(
        source_keyspace=source_keyspace, tables=plan.importable, extra=copy_options(inventory, plan.importable)
    )
    progress(f"MoveTables {WORKFLOW}: {source_keyspace} -> {target_keyspace}, {len(plan.importable)} tables")
    cancelled = False
    try:
        last = [0.0]

        def report(status: WorkflowStatus) -> None:
            if time.monotonic() - last[0] < 5:
                return
            last[0] = time.monotonic()
            done = sum(t.rows_copied for t in status.tables)
            total = sum(t.rows_total for t in status.tables) or 1
            progress(
                f"  copying: {done:,}/{total:,} rows (estimate) in {len(status.tables)} tables still copying; "
                f"streams: {', '.join(s.status for s in status.streams) or 'starting'}"
            )

        movetables.wait_for_copy(timeout=timeout, on_progress=report)
        copy_seconds = time.monotonic() - started
        progress(f"copy done in {copy_seconds:.1f}s; replication running")

        replication_seconds = _round_trip(source_admin, vtgate, target_keyspace, timeout=120)
        progress(
            f"a row written on the source was read through vtgate from the target after {replication_seconds:.2f}s"
        )

        rows_copied = {t: target_rows(vtgate, target_keyspace, "0", t) for t in plan.importable}

        vdiff = VDiff(vtctld, WORKFLOW, target_keyspace)
        vdiff_id = vdiff.create()
        report_ = vdiff.wait(vdiff_id, timeout=timeout)
        progress(
            f"VDiff {vdiff_id}: {report_.rows_compared:,} rows compared, "
            f"{'MISMATCH' if report_.has_mismatch else 'no mismatch'}"
        )
    finally:
        movetables.cancel(approved=approve_cancel)
        cancelled = not movetables.exists()
        progress(f"workflow {WORKFLOW} cancelled; copied tables dropped from {target_keyspace}")
    return ImportProofResult(
        WORKFLOW,
        source_keyspace,
        target_keyspace,
        plan.importable,
        plan.excluded,
        rows_copied,
        round(copy_seconds, 2),
        round(replication_seconds, 3),
        report_,
        cancelled,
    )


def _round_trip(source_admin: Endpoint, vtgate: Endpoint, target_keyspace: str, *, timeout: float) -> float:
    """Insert a customer on the source, wait until vtgate serves it from the target, then delete it."""
    email = f"import-proof-{uuid.uuid4().hex[:12]}@example.com"
    with connect(source_admin) as src:
        with src.cursor() as cur:
            written = time.monotonic()
            cur.execute(
                "INSERT INTO customers (email, full_name, country, created_at) VALUES (%s, %s, %s, NOW(6))",
                (email, "Import Proof ✅", "NL"),
            )
        try:
            with connect(vtgate.with_database(None)) as gate, gate.cursor() as cur:
                cur.execute(f"USE {quote_identifier(f'{target_keyspace}:0@replica')}")
                deadline = written + timeout
                while time.monotonic() < deadline:
                    cur.execute("SELECT full_name FROM customers WHERE email = %s", (email,))
                    row = cur.fetchone()
                    if row is not None:
                        if row[0] != "Import Proof ✅":
                            raise AssertionError(f"the target returned {row[0]!r} for the proof row")
                        return time.monotonic() - written
                    time.sleep(0.05)
            raise TimeoutError(f"the row written on the source did not reach the target in {timeout:.0f}s")
        finally:
            with src.cursor() as cur:
                cur.execute("DELETE FROM customers WHERE email = %s", (email,))
