"""Assessment at scale: the inventory of a schema of many tables, against a per-table assessor.

pocflow's inventory runs a fixed set of catalogue queries whatever the number of tables; the
baseline asks per table (SHOW CREATE TABLE, SHOW INDEX, SHOW TABLE STATUS), as hand-written
assessment scripts do. Both read the same scratch schema in the same run.

    python -m bench.assessment [--tables 10000]
"""

from __future__ import annotations

import argparse
import time

from bench.results import Result
from pocflow.connections import Endpoint, connect
from pocflow.local.stack import Stack
from pocflow.source.inventory import take
from pocflow.source.readiness import assess
from pocflow.sql import quote_identifier as q

SCRATCH = "bench_catalogue"


def create_schema(admin: Endpoint, tables: int) -> Endpoint:
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")  # a scratch schema: keep it out of the binlog (and its fsyncs)
        cur.execute(f"DROP DATABASE IF EXISTS {q(SCRATCH)}")
        cur.execute(f"CREATE DATABASE {q(SCRATCH)} DEFAULT CHARACTER SET utf8mb4")
        cur.execute(f"USE {q(SCRATCH)}")
        for i in range(tables):
            cur.execute(
                f"CREATE TABLE {q(f't{i:05d}')} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                f"name VARCHAR(64) NOT NULL, amount DECIMAL(12,2), created_at DATETIME, KEY (name)) "
                f"ENGINE=InnoDB"
            )
    return admin.with_database(SCRATCH)


def per_table(endpoint: Endpoint) -> tuple[int, float]:
    """The baseline: three statements per table."""
    started, queries = time.perf_counter(), 0
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        queries += 1
        for (table,) in cur.fetchall():
            for sql in (f"SHOW CREATE TABLE {q(table)}", f"SHOW INDEX FROM {q(table)}", "SHOW TABLE STATUS LIKE %s"):
                cur.execute(sql, (table,)) if "%s" in sql else cur.execute(sql)
                cur.fetchall()
                queries += 1
    return queries, time.perf_counter() - started


def ours(endpoint: Endpoint) -> tuple[int, float, int]:
    started = time.perf_counter()
    with connect(endpoint) as conn:
        inv = take(conn, SCRATCH)
    assess(inv)
    return inv.catalogue_queries, time.perf_counter() - started, len(inv.tables)


def run(tables: int) -> Result:
    admin = Endpoint.from_dsn(Stack().env()["POCFLOW_SOURCE_ADMIN_DSN"])
    small = create_schema(admin, 100)
    small_queries, _, _ = ours(small)
    t0 = time.perf_counter()
    endpoint = create_schema(admin, tables)
    created = time.perf_counter() - t0
    base_queries, base_seconds = per_table(endpoint)
    our_queries, our_seconds, seen = ours(endpoint)
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute(f"DROP DATABASE IF EXISTS {q(SCRATCH)}")
    assert seen == tables, f"inventory saw {seen} of {tables} tables"
    return Result(
        name="assessment at scale",
        metric="time",
        pocflow=f"{tables:,} tables: {our_queries} catalogue queries in {our_seconds:.1f} s "
        f"(100 tables: {small_queries})",
        baseline=f"per-table SHOW statements: {base_queries:,} queries in {base_seconds:.1f} s",
        ratio=base_seconds / our_seconds,
        goal="catalogue queries constant in the number of tables",
        met=our_queries == small_queries,
        command=f"python -m bench.assessment --tables {tables}",
        details={
            "tables": tables,
            "schema_created_seconds": round(created, 1),
            "pocflow_seconds": round(our_seconds, 2),
            "baseline_seconds": round(base_seconds, 2),
            "pocflow_queries": our_queries,
            "queries_at_100_tables": small_queries,
            "baseline_queries": base_queries,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=10_000)
    result = run(parser.parse_args().tables)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
