"""Load the sample shop database into a source server with LOAD DATA (the bulk path)."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pocflow.connections import Endpoint, connect
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.sample.generate import (
    COLUMNS,
    DEFAULT_SEED,
    FORMAT_VERSION,
    LOAD_ORDER,
    LOAD_SET,
    Counts,
    resolve_scale,
    write_files,
)
from pocflow.sql import quote_identifier

SCHEMA_FILE = PROJECT_ROOT / "include" / "sample" / "shop" / "schema.sql"
VIEWS = ("customer_order_totals",)


@dataclass(frozen=True)
class LoadResult:
    database: str
    scale_customers: int
    seed: int
    rows: dict[str, int]
    generate_seconds: float
    load_seconds: float
    skipped: bool = False

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.load_seconds if self.load_seconds else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "total_rows": self.total_rows, "rows_per_second": round(self.rows_per_second)}


def schema_statements(text: str | None = None) -> list[str]:
    """The statements of schema.sql, comments removed (the file has no compound statements)."""
    text = SCHEMA_FILE.read_text() if text is None else text
    text = re.sub(r"^\s*--.*$", "", text, flags=re.MULTILINE)
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]


def current_counts(endpoint: Endpoint) -> dict[str, int] | None:
    """Exact row counts of the sample tables, or None when any of them is missing."""
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (endpoint.database,))
        present = {r[0] for r in cur.fetchall()}
        if not set(LOAD_ORDER) <= present:
            return None
        counts = {}
        for table in LOAD_ORDER:
            cur.execute(f"SELECT COUNT(*) FROM {quote_identifier(table)}")
            counts[table] = (cur.fetchone() or (0,))[0]
        return counts


def load(
    endpoint: Endpoint,
    *,
    scale: str | int = "small",
    seed: int = DEFAULT_SEED,
    data_dir: Path,
    force: bool = False,
    progress=print,
) -> LoadResult:
    """Create the sample schema in ``endpoint.database`` and bulk-load generated rows.

    Skips the work when the database already holds exactly this scale and seed's row counts,
    unless ``force``. Recreating drops only the sample's own tables and view.
    """
    if not endpoint.database:
        raise ValueError("the sample needs a database name in the endpoint")
    customers = resolve_scale(scale)
    counts = Counts.for_customers(customers)
    files = data_dir / f"shop-v{FORMAT_VERSION}-{customers}-{seed}"

    started = time.monotonic()
    marker = files / "rows.txt"
    if marker.exists():
        pairs = (line.split("=") for line in marker.read_text().split())
        expected = {k: int(v) for k, v in pairs}
    else:
        progress(f"generating sample data: {customers} customers, seed {seed} -> {files}")
        expected = write_files(files, counts, seed)
        marker.write_text("\n".join(f"{k}={v}" for k, v in expected.items()) + "\n")
    generated = time.monotonic() - started

    if not force and current_counts(endpoint) == expected:
        progress(f"sample already loaded in {endpoint.database} ({sum(expected.values())} rows); skipping")
        return LoadResult(endpoint.database, customers, seed, expected, generated, 0.0, skipped=True)

    started = time.monotonic()
    with connect(endpoint, local_infile=True, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00'")
        for view in VIEWS:
            cur.execute(f"DROP VIEW IF EXISTS {quote_identifier(view)}")
        for table in reversed(LOAD_ORDER):
            cur.execute(f"DROP TABLE IF EXISTS {quote_identifier(table)}")
        for statement in schema_statements():
            cur.execute(statement)
        loaded = {}
        for table in LOAD_ORDER:
            t0 = time.monotonic()
            columns = ", ".join(c if c.startswith("@") else quote_identifier(c) for c in COLUMNS[table])
            set_clause = f" SET {LOAD_SET[table]}" if table in LOAD_SET else ""
            path = conn.escape(str(files / f"{table}.tsv"))
            cur.execute(
                f"LOAD DATA LOCAL INFILE {path} INTO TABLE {quote_identifier(table)} "
                f"CHARACTER SET utf8mb4 ({columns}){set_clause}"
            )
            loaded[table] = cur.rowcount
            conn.commit()
            progress(f"  {table:<12} {loaded[table]:>10,} rows in {time.monotonic() - t0:5.1f}s")
        cur.execute("SHOW WARNINGS LIMIT 5")
        warnings = cur.fetchall()
    seconds = time.monotonic() - started
    if loaded != expected:
        raise RuntimeError(
            f"loaded row counts {loaded} differ from the generated files {expected}; first warnings: {warnings}"
        )
    return LoadResult(endpoint.database, customers, seed, loaded, generated, seconds)
