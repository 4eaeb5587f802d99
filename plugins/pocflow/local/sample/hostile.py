"""The hostile-names sample: tables and columns named with reserved words, quotes, backticks, spaces,
unicode, dots and 64 characters, with deterministic rows. Proves every stage quotes names properly."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from pocflow.connections import Endpoint, connect
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.stack.config import HOSTILE_DATABASE
from pocflow.sql import quote_identifier as q

SCHEMA_FILE = PROJECT_ROOT / "include" / "sample" / "hostile" / "schema.sql"
LONG = "a_table_name_that_is_exactly_sixty_four_characters_long_abcdefgh"
LONG_COLUMN = "a_column_name_that_is_exactly_sixty_four_characters_long_abcdefg"

# table -> (columns, row maker(i, rng))
TABLES: dict[str, tuple[list[str], Callable[[int, random.Random], tuple]]] = {
    "order": (
        ["select", "from", "where clause", '"quoted"', "it's"],
        lambda i, r: (
            i,
            f"from-{i}",
            None if i % 7 == 0 else f"w'{i}\"",
            r.randint(-5, 5),
            round(r.uniform(0, 999), 2),
        ),
    ),
    'it\'s "quoted"': (
        ["key", "col`umn", "group"],
        lambda i, r: (i * 10, f"`{i}`", dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)),
    ),
    "naïve café 表": (["ключ", "値", "emoji ✓"], lambda i, r: (i, f"値{i}", "✓" if i % 2 else None)),
    LONG: ([LONG_COLUMN, "value"], lambda i, r: (i, f"v{i}")),
    "order lines-2024.q1": (
        ["order id", "line#", "qty (units)", "note;--"],
        lambda i, r: (i // 3 + 1, i % 3 + 1, r.randint(1, 9), f"; DROP TABLE x; -- {i}"),
    ),
}


def load(admin: Endpoint, *, rows: int = 300, seed: int = 7) -> dict[str, int]:
    """(Re)create the hostile tables in their own database and fill them; returns rows per table."""
    rng = random.Random(seed)
    statements = [
        s.strip()
        for s in SCHEMA_FILE.read_text().split(";\n")
        if s.strip() and not all(line.startswith("--") for line in s.strip().splitlines())
    ]
    with connect(admin.with_database(HOSTILE_DATABASE)) as conn, conn.cursor() as cur:
        # the sample's own database: start it from nothing
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (HOSTILE_DATABASE,))
        for (table,) in cur.fetchall():
            cur.execute(f"DROP TABLE IF EXISTS {q(table)}")
        for statement in statements:
            cur.execute("\n".join(line for line in statement.splitlines() if not line.startswith("--")))
        counts = {}
        for table, (columns, make) in TABLES.items():
            values = [make(i, rng) for i in range(1, rows + 1)]
            cur.executemany(
                f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                values,
            )
            counts[table] = len(values)
    return counts
