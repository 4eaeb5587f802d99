"""Bulk load (LOAD DATA, the path `pocflow sample load` uses) against row-by-row INSERTs of the same rows.

Both sides load all seven tables of the same generated files (the same rows, the same schema, the same
session settings) into a scratch database on the local stack's source, alternated under the one
protocol (bench/protocol.py). Each timed call opens its connection, creates the schema and reads the
files; the scratch database is reset before each call, and after it the tables' CHECKSUM TABLE values are
compared across both sides' runs, so both loaded the same data.

    python -m bench.sample_load [--customers 20000] [--repetitions 3]
"""

from __future__ import annotations

import argparse
import re

from bench.protocol import alternate
from bench.results import Result, measured
from pocflow.connections import Endpoint, connect
from pocflow.local.sample.generate import (
    COLUMNS,
    DEFAULT_SEED,
    FORMAT_VERSION,
    LOAD_ORDER,
    LOAD_SET,
    Counts,
    write_files,
)
from pocflow.local.sample.load import load, schema_statements
from pocflow.local.stack import Stack
from pocflow.sql import quote_identifier as q

NAME = "sample load"
"""This benchmark's result (bench/results/<NAME>.json)."""

SCRATCH = "bench_load"
COMMIT_EVERY = 1000
# LOAD DATA's escapes in the generated files (FIELDS ESCAPED BY '\\'); any other escaped character is itself
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def reset(admin: Endpoint) -> None:
    """An empty scratch database (before each timed call, outside the timer)."""
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {q(SCRATCH)}")
        cur.execute(f"CREATE DATABASE {q(SCRATCH)} DEFAULT CHARACTER SET utf8mb4")


def unescape(value: str) -> str | None:
    """One field of a generated file as LOAD DATA reads it (\\N is NULL)."""
    if value == "\\N":
        return None
    return _ESCAPED.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def insert_statement(table: str) -> str:
    """The INSERT of one row of ``table`` with the same conversions LOAD DATA applies (LOAD_SET)."""
    targets, values = [], []
    conversions = {}
    if table in LOAD_SET:
        column, expression = LOAD_SET[table].split(" = ", 1)
        variable = next(c for c in COLUMNS[table] if c.startswith("@") and c in expression)
        conversions[variable] = (column, expression.replace(variable, "%s"))
    for c in COLUMNS[table]:
        column, value = conversions[c] if c.startswith("@") else (c, "%s")
        targets.append(q(column))
        values.append(value)
    return f"INSERT INTO {q(table)} ({', '.join(targets)}) VALUES ({', '.join(values)})"


def row_by_row(endpoint: Endpoint, folder) -> dict:
    """One INSERT statement per row of every table, committed every 1000 rows: what a naive loader does."""
    rows = {}
    with connect(endpoint, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00'")
        for statement in schema_statements():
            cur.execute(statement)
        for table in LOAD_ORDER:
            sql, count = insert_statement(table), 0
            with open(folder / f"{table}.tsv", encoding="utf-8", newline="\n") as f:
                for line in f:
                    cur.execute(sql, [unescape(v) for v in line.rstrip("\n").split("\t")])
                    count += 1
                    if count % COMMIT_EVERY == 0:
                        conn.commit()
            conn.commit()
            rows[table] = count
    return {"rows": sum(rows.values()), "rows_by_table": rows}


def checksums(endpoint: Endpoint) -> dict[str, int]:
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute(f"CHECKSUM TABLE {', '.join(q(t) for t in LOAD_ORDER)}")
        return {str(name).split(".")[-1]: int(value or 0) for name, value in cur.fetchall()}


def run(customers: int = 20_000, repetitions: int = 3) -> Result:
    stack = Stack()
    admin = Endpoint.from_dsn(stack.env()["POCFLOW_SOURCE_ADMIN_DSN"])
    data_dir = stack.config.state_dir / "sample-data"
    folder = data_dir / f"shop-v{FORMAT_VERSION}-{customers}-{DEFAULT_SEED}"
    if not (folder / "rows.txt").exists():
        (folder / "rows.txt").parent.mkdir(parents=True, exist_ok=True)
        rows = write_files(folder, Counts.for_customers(customers))
        (folder / "rows.txt").write_text("\n".join(f"{k}={v}" for k, v in rows.items()) + "\n")
    scratch = admin.with_database(SCRATCH)

    def bulk() -> dict:
        loaded = load(scratch, scale=customers, data_dir=data_dir, force=True, progress=lambda m: None)
        return {"rows": loaded.total_rows, "rows_by_table": loaded.rows}

    c = alternate(
        bulk,
        lambda: row_by_row(scratch, folder),
        repetitions=repetitions,
        setup=lambda side: reset(admin),
        teardown=lambda side: {"checksums": checksums(scratch)},
    )
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {q(SCRATCH)}")
    loaded = {str(r.figures["rows_by_table"]) for r in c.runs}
    sums = {str(r.figures["checksums"]) for r in c.runs}
    assert len(loaded) == 1 and len(sums) == 1, f"the two sides loaded different data: {loaded} {sums}"
    total = c.runs[0].figures["rows"]
    ours, theirs = c.pocflow, c.baseline
    return Result(
        name=NAME,
        metric="row-by-row time / LOAD DATA time, the same rows",
        pocflow=f"LOAD DATA: {total:,} rows of all {len(LOAD_ORDER)} tables, {total / ours.median:,.0f} rows/s "
        "at the median",
        baseline=f"row-by-row INSERT of the same {total:,} rows: {total / theirs.median:,.0f} rows/s at the median",
        ratio=c.ratio,
        goal="faster than row-by-row INSERTs",
        met=c.met(1.0),
        command=f"python -m bench.sample_load --customers {customers} --repetitions {repetitions}",
        details={
            "tables": len(LOAD_ORDER),
            "customers": customers,
            "rows": total,
            "pocflow_runs": c.runs_of("pocflow"),
            "baseline_runs": c.runs_of("baseline"),
            "note": f"Both sides load all {len(LOAD_ORDER)} tables from the same generated files (same rows, "
            "same schema, foreign and unique checks off); each timed call opens its connection, creates the "
            "schema and reads the files. Every run's CHECKSUM TABLE values match across both sides. The "
            f"baseline commits every {COMMIT_EVERY:,} rows.",
        },
        **measured(c),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    args = parser.parse_args()
    result = run(args.customers, args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
