"""Bulk load (LOAD DATA, the path `pocflow sample load` uses) against row-by-row INSERTs.

Both load the same generated rows into a scratch database on the local stack's source, in the
same run; the figure that matters is the ratio, since the machine's speed varies.

    python -m bench.sample_load [--customers 20000] [--baseline-rows 20000]
"""

from __future__ import annotations

import argparse
import time

from bench.results import Result
from pocflow.connections import Endpoint, connect
from pocflow.local.sample.generate import COLUMNS, DEFAULT_SEED, FORMAT_VERSION, LOAD_ORDER, Counts, write_files
from pocflow.local.sample.load import load, schema_statements
from pocflow.local.stack import Stack
from pocflow.sql import quote_identifier

SCRATCH = "bench_load"


def reset(admin: Endpoint) -> Endpoint:
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(SCRATCH)}")
        cur.execute(f"CREATE DATABASE {quote_identifier(SCRATCH)} DEFAULT CHARACTER SET utf8mb4")
    return admin.with_database(SCRATCH)


def row_by_row(endpoint: Endpoint, folder, table: str, limit: int) -> tuple[int, float]:
    """One INSERT statement per row, committed every 1000 rows: what a naive loader does."""
    columns = [c for c in COLUMNS[table] if not c.startswith("@")]
    sql = (
        f"INSERT INTO {quote_identifier(table)} ({', '.join(map(quote_identifier, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = []
    with open(folder / f"{table}.tsv", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            rows.append(
                [
                    None if v == "\\N" else v.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")
                    for v in fields
                ]
            )
            if len(rows) == limit:
                break
    with connect(endpoint, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, time_zone = '+00:00'")
        for statement in schema_statements():
            cur.execute(statement)
        started = time.perf_counter()
        for i, row in enumerate(rows, 1):
            cur.execute(sql, row)
            if i % 1000 == 0:
                conn.commit()
        conn.commit()
        return len(rows), time.perf_counter() - started


def run(customers: int = 20_000, baseline_rows: int = 20_000) -> Result:
    stack = Stack()
    admin = Endpoint.from_dsn(stack.env()["POCFLOW_SOURCE_ADMIN_DSN"])
    data_dir = stack.config.state_dir / "sample-data"
    folder = data_dir / f"shop-v{FORMAT_VERSION}-{customers}-{DEFAULT_SEED}"
    if not (folder / "rows.txt").exists():
        (folder / "rows.txt").parent.mkdir(parents=True, exist_ok=True)
        rows = write_files(folder, Counts.for_customers(customers))
        (folder / "rows.txt").write_text("\n".join(f"{k}={v}" for k, v in rows.items()) + "\n")

    scratch = reset(admin)
    base_rows, base_seconds = row_by_row(scratch, folder, "order_lines", baseline_rows)
    scratch = reset(admin)
    result = load(scratch, scale=customers, data_dir=data_dir, force=True, progress=lambda m: None)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(SCRATCH)}")
    base_rate = base_rows / base_seconds
    return Result(
        name="sample load",
        metric="rows/s",
        pocflow=f"LOAD DATA: {result.total_rows:,} rows in {result.load_seconds:.2f} s = "
        f"{result.rows_per_second:,.0f} rows/s",
        baseline=f"row-by-row INSERT: {base_rows:,} rows in {base_seconds:.2f} s = {base_rate:,.0f} rows/s",
        ratio=result.rows_per_second / base_rate,
        goal="faster than row-by-row INSERTs",
        met=result.rows_per_second > base_rate,
        command=f"python -m bench.sample_load --customers {customers} --baseline-rows {baseline_rows}",
        details={"tables": len(LOAD_ORDER), "customers": customers},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    args = parser.parse_args()
    result = run(args.customers, args.baseline_rows)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
