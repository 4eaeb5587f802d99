"""Assessment at scale: the inventory of a schema of many tables, against a per-table assessor.

pocflow's inventory runs a fixed set of catalogue queries whatever the number of tables; the
baseline asks per table (SHOW CREATE TABLE, SHOW INDEX, SHOW TABLE STATUS), as hand-written
assessment scripts do. Both read the same scratch schema in the same run, alternated under the one
protocol (bench/protocol.py), each timed call opening its own connection.

    python -m bench.assessment [--tables 10000] [--repetitions 3]
"""

from __future__ import annotations

import argparse
import time

from bench.protocol import alternate
from bench.results import Result, measured
from pocflow.connections import Endpoint, connect
from pocflow.local.stack import Stack
from pocflow.source.inventory import take
from pocflow.source.readiness import assess
from pocflow.sql import quote_identifier as q

NAME = "assessment at scale"
"""This benchmark's result (bench/results/<NAME>.json)."""

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


def per_table(endpoint: Endpoint) -> dict:
    """The baseline: three statements per table."""
    queries = 0
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        queries += 1
        for (table,) in cur.fetchall():
            for sql in (f"SHOW CREATE TABLE {q(table)}", f"SHOW INDEX FROM {q(table)}", "SHOW TABLE STATUS LIKE %s"):
                cur.execute(sql, (table,)) if "%s" in sql else cur.execute(sql)
                cur.fetchall()
                queries += 1
    return {"queries": queries}


def ours(endpoint: Endpoint) -> dict:
    """pocflow's inventory and readiness findings, its connection opened inside as the baseline's is."""
    with connect(endpoint) as conn:
        inv = take(conn, SCRATCH)
    assess(inv)
    return {"queries": inv.catalogue_queries, "tables": len(inv.tables)}


def run(tables: int, repetitions: int = 3) -> Result:
    admin = Endpoint.from_dsn(Stack().env()["POCFLOW_SOURCE_ADMIN_DSN"])
    small_queries = ours(create_schema(admin, 100))["queries"]
    t0 = time.perf_counter()
    endpoint = create_schema(admin, tables)
    created = time.perf_counter() - t0
    c = alternate(lambda: ours(endpoint), lambda: per_table(endpoint), repetitions=repetitions)
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute(f"DROP DATABASE IF EXISTS {q(SCRATCH)}")
    mine, theirs = c.runs_of("pocflow"), c.runs_of("baseline")
    assert all(m["tables"] == tables for m in mine), f"inventory saw {[m['tables'] for m in mine]} of {tables} tables"
    our_queries = sorted({m["queries"] for m in mine})
    base_queries = sorted({t["queries"] for t in theirs})
    return Result(
        name=NAME,
        metric="time",
        pocflow=f"{tables:,} tables: {'/'.join(map(str, our_queries))} catalogue queries (100 tables: {small_queries})",
        baseline=f"per-table SHOW statements: {'/'.join(f'{n:,}' for n in base_queries)} queries",
        ratio=c.ratio,
        goal="catalogue queries constant in the number of tables",
        # the goal is a count, the same in every run: met only when no run of pocflow's asked more
        met=our_queries == [small_queries],
        command=f"python -m bench.assessment --tables {tables} --repetitions {repetitions}",
        details={
            "tables": tables,
            "schema_created_seconds": round(created, 1),
            "pocflow_runs": mine,
            "baseline_runs": theirs,
            "queries_at_100_tables": small_queries,
            "time_worst_ratio": round(c.worst_ratio, 2),
        },
        **measured(c),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    args = parser.parse_args()
    result = run(args.tables, args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
