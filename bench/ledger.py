"""The large table shared by the import, validation and drift benchmarks: ``ledger`` in the stack's
bench database (generated inside the source server from a digits cross join, kept out of the binlog), and its
engagement (bench/bench-ledger.yaml), imported into keyspace ``bench``.
"""

from __future__ import annotations

import time
from pathlib import Path

from pocflow.connections import Endpoint, connect
from pocflow.engagement import Engagement, from_inputs
from pocflow.local.stack import Stack
from pocflow.stages import StageContext, run_stage
from pocflow.vitess.movetables import MoveTables

TABLE = "ledger"
COLUMNS = ("id", "account_id", "amount", "currency", "status", "memo", "created_at")
ENGAGEMENT_FILE = Path(__file__).with_name("bench-ledger.yaml")
BATCH = 500_000
LAYOUT = "pocflow bench ledger, inserted in key order"
"""The table's comment: a ledger built otherwise (by an older bench, out of key order, its pages half
full after splits) is rebuilt rather than reused, so both sides of every benchmark read a table laid out
as an append-only production table is."""
_DIGITS = "(SELECT 0 AS d UNION ALL " + " UNION ALL ".join(f"SELECT {i}" for i in range(1, 10)) + ")"


def numbers(low: int, high: int) -> str:
    """A derived table of one column ``seq`` holding low..high (at most 1,000,000 numbers), on MySQL and
    MariaDB alike (MariaDB's seq_1_to_N engine does not exist on MySQL)."""
    assert high - low < 1_000_000
    places = [f"p{i}.d * {10**i}" for i in range(6)]
    joins = " CROSS JOIN ".join(f"{_DIGITS} p{i}" for i in range(6))
    return (
        f"(SELECT {low} + {' + '.join(places)} AS seq FROM {joins} "
        f"WHERE {' + '.join(places)} <= {high - low}) AS numbers"
    )


def engagement() -> Engagement:
    return from_inputs(file=ENGAGEMENT_FILE)


def admin() -> Endpoint:
    return Endpoint.from_dsn(Stack().env()["POCFLOW_SOURCE_ADMIN_DSN"]).with_database(engagement().source.database)


def source_rows() -> int | None:
    """The ledger's rows in the source, None when it is missing or laid out otherwise (see LAYOUT)."""
    with connect(admin()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s",
            (TABLE,),
        )
        found = cur.fetchone()
        if not found or found[0] != LAYOUT:
            return None
        cur.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return int(cur.fetchone()[0])


def ensure_table(rows: int, log=print) -> float:
    """``rows`` rows in the source's ledger; returns the seconds spent creating them (0 when already there)."""
    if source_rows() == rows:
        return 0.0
    e = engagement()
    MoveTables(StageContext(e, "bench").vtctld, workflow_name(), e.target.keyspace).cancel(approved=True)
    started = time.perf_counter()
    with connect(admin()) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")  # generated here, copied by MoveTables' snapshot: no binlog needed
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(
            f"CREATE TABLE {TABLE} (id BIGINT NOT NULL PRIMARY KEY, account_id INT NOT NULL, "
            f"amount DECIMAL(12,2) NOT NULL, currency CHAR(3) NOT NULL, status VARCHAR(16) NOT NULL, "
            f"memo VARCHAR(64) NOT NULL, created_at DATETIME(6) NOT NULL, KEY (account_id)) "
            f"ENGINE=InnoDB COMMENT '{LAYOUT}'"
        )
        for low in range(1, rows + 1, BATCH):
            high = min(low + BATCH - 1, rows)
            cur.execute(
                f"INSERT INTO {TABLE} SELECT seq, seq % 100003, (seq * 7919 % 1000000) / 100, "
                f"ELT(1 + seq % 3, 'EUR', 'USD', 'GBP'), ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'refunded'), "
                f"CONCAT('payment ', seq, ' of account ', seq % 100003), "
                f"TIMESTAMP'2026-01-01 00:00:00' + INTERVAL seq SECOND FROM {numbers(low, high)} ORDER BY seq"
            )
            log(f"  ledger: {high:,} of {rows:,} rows")
    return time.perf_counter() - started


def workflow_name() -> str:
    from pocflow.stages.import_data import workflow_name as name

    return name(engagement())


def context(run_id: str = "bench", log=lambda m: None) -> StageContext:
    return StageContext(engagement(), run_id, log=log)


def plan(ctx: StageContext) -> None:
    """Assessment, tablets and VSchema for the bench keyspace (fast; the import is measured separately)."""
    for stage in ("select-database", "provision", "sharding-plan"):
        run_stage(stage, ctx)


def ensure_imported(rows: int, log=print) -> StageContext:
    """The ledger of ``rows`` rows imported by pocflow's import stage (reused when already there)."""
    ensure_table(rows, log)
    ctx = context()
    plan(ctx)
    mt = MoveTables(ctx.vtctld, workflow_name(), ctx.engagement.target.keyspace)
    if mt.exists() and mt.status().copy_complete:
        return ctx
    log(f"  importing {rows:,} ledger rows into keyspace {ctx.engagement.target.keyspace} ...")
    run_stage("import", ctx)
    return ctx
