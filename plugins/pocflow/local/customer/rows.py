"""Rows for a schema-only dump: N generated rows per table that its types, keys and foreign keys accept.

Seeded (Python's ``random``), so the same schema and seed give the same rows. Unique and primary keys get values
unique by row number, foreign keys take their parent's generated key tuples (self-references take an earlier
row's), enum and set columns take their own values, JSON is valid JSON, strings fit their length in characters,
decimals their precision. Generated columns are left to the server. Rows go in with foreign-key checks off for the
loading session only (every reference is valid by construction; that is what lets cycles load).
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pocflow.sql import quote_identifier as q

DEFAULT_SEED = 20261202
NULL_SHARE = 0.1
"""How often a nullable column outside any key is NULL."""
WORDS = (
    "alpha",
    "bravo",
    "delta",
    "echo",
    "harbor",
    "maple",
    "orbit",
    "pixel",
    "quartz",
    "river",
    "signal",
    "tango",
    "umber",
    "violet",
    "willow",
    "zenith",
)
MULTIBYTE = ("é", "ü", "ø", "東", "京", "✓")
INTEGER_RANGES = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}
BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}


class GenerateError(ValueError):
    """A column no value can be generated for; the message names it."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    column_type: str
    nullable: bool = False
    length: int | None = None
    """Characters for text types, bytes for binary ones."""
    precision: int | None = None
    scale: int | None = None
    generated: bool = False
    multibyte: bool = True
    """The column's character set holds characters beyond ASCII/Latin-1 (utf8mb4, utf8mb3)."""

    @property
    def unsigned(self) -> bool:
        return "unsigned" in self.column_type.lower()

    @property
    def values(self) -> tuple[str, ...]:
        """An enum's or set's values, from its column type."""
        inner = self.column_type[self.column_type.index("(") + 1 : self.column_type.rindex(")")]
        return tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", inner))


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    unique_keys: tuple[tuple[str, ...], ...] = ()
    """The primary key and unique indexes, each a tuple of column names."""
    foreign_keys: tuple[ForeignKey, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass
class Generated:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    short: dict[str, int] = field(default_factory=dict)
    """Tables that got fewer rows than asked for, because their keys have room for no more."""


# --- reading the schema -----------------------------------------------------------------------------------------
def read_schema(cur, database: str) -> list[Table]:
    """The base tables of ``database`` from information_schema (``cur``: a pymysql cursor)."""
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "AND table_type = 'BASE TABLE' ORDER BY table_name",
        (database,),
    )
    names = [r[0] for r in cur.fetchall()]
    cur.execute(
        "SELECT table_name, column_name, data_type, column_type, is_nullable, character_maximum_length, "
        "character_octet_length, numeric_precision, numeric_scale, extra, generation_expression, "
        "character_set_name FROM information_schema.columns WHERE table_schema = %s "
        "ORDER BY table_name, ordinal_position",
        (database,),
    )
    columns: dict[str, list[Column]] = {}
    for (
        table,
        name,
        data_type,
        column_type,
        nullable,
        chars,
        octets,
        precision,
        scale,
        extra,
        expression,
        charset,
    ) in cur.fetchall():
        data_type = data_type.lower()
        extra = (extra or "").upper()
        generated = bool(expression) or any(w in extra for w in ("VIRTUAL", "STORED", "PERSISTENT"))
        length = octets if data_type in BINARY_TYPES else chars
        columns.setdefault(table, []).append(
            Column(
                name,
                data_type,
                column_type,
                nullable == "YES",
                int(length) if length is not None else None,
                int(precision) if precision is not None else None,
                int(scale) if scale is not None else None,
                generated,
                (charset or "").lower().startswith("utf8"),
            )
        )
    cur.execute(
        "SELECT table_name, index_name, column_name FROM information_schema.statistics "
        "WHERE table_schema = %s AND non_unique = 0 ORDER BY table_name, index_name = 'PRIMARY' DESC, "
        "index_name, seq_in_index",
        (database,),
    )
    keys: dict[str, dict[str, list[str]]] = {}
    for table, index, column in cur.fetchall():
        if column is not None:  # a functional key part has no column
            keys.setdefault(table, {}).setdefault(index, []).append(column)
    cur.execute(
        "SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, "
        "k.referenced_column_name FROM information_schema.key_column_usage k WHERE k.table_schema = %s "
        "AND k.referenced_table_schema = %s AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        (database, database),
    )
    fks: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}
    for table, constraint, column, parent, parent_column in cur.fetchall():
        entry = fks.setdefault((table, constraint), (parent, [], []))
        entry[1].append(column)
        entry[2].append(parent_column)
    return [
        Table(
            n,
            tuple(columns.get(n, ())),
            tuple(tuple(k) for k in keys.get(n, {}).values()),
            tuple(
                ForeignKey(tuple(cols), parent, tuple(pcols)) for (t, _), (parent, cols, pcols) in fks.items() if t == n
            ),
        )
        for n in names
    ]


# --- values -----------------------------------------------------------------------------------------------------
def _integer_range(c: Column) -> tuple[int, int]:
    bits = INTEGER_RANGES[c.data_type]
    return (0, 2**bits - 1) if c.unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _base36(n: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def capacity(c: Column) -> int | None:
    """How many distinct values the column holds, when that is small enough to matter (None: plenty)."""
    t = c.data_type
    if t in INTEGER_RANGES:
        lo, hi = _integer_range(c)
        return hi - max(lo, 0)
    if t == "bit":
        return 2 ** (c.precision or 1)
    if t == "enum":
        return len(c.values)
    if t == "set":
        return 2 ** len(c.values)
    if t == "year":
        return 255
    if t in TEXT_TYPES or t in BINARY_TYPES:
        n = c.length or 1
        return None if n >= 8 else (36 if t in TEXT_TYPES else 256) ** n
    if t == "decimal":
        return 10 ** (c.precision or 10) - 1
    return None


def value(c: Column, i: int, rng: random.Random, *, unique: bool) -> Any:
    """A value for column ``c`` of row ``i``: distinct for distinct ``i`` when ``unique`` (up to the column's
    capacity), random otherwise."""
    t = c.data_type
    if t in INTEGER_RANGES:
        lo, hi = _integer_range(c)
        if "(1)" in c.column_type and t == "tinyint" and not unique:
            return rng.randint(0, 1)
        if unique:
            return max(lo, 0) + 1 + i % (hi - max(lo, 0))
        return rng.randint(max(lo, -1000) if not c.unsigned else 0, min(hi, 1_000_000))
    if t == "bit":
        top = 2 ** (c.precision or 1)
        return i % top if unique else rng.randrange(top)
    if t == "decimal":
        p, s = c.precision or 10, c.scale or 0
        top = 10**p - 1
        n = (i + 1) % (top + 1) if unique else rng.randint(0, min(top, 10 ** (s + 5)))
        return Decimal(n).scaleb(-s)
    if t in ("float", "double", "real"):
        top = 10 ** (c.precision - c.scale) - 1 if c.scale is not None and c.precision else 100_000
        digits = 2 if c.scale is None else min(c.scale, 2)
        if unique:
            return float(i) + 0.5 if c.scale is None or c.scale >= 1 else float(i % max(top, 1))
        return round(rng.uniform(0, min(top, 1000)), digits)
    if t in TEXT_TYPES:
        return _text(c, i, rng, unique)
    if t in BINARY_TYPES:
        n = min(c.length or 16, 16)
        head = i.to_bytes(8, "big")[-n:] if unique else b""
        return head + rng.randbytes(max(n - len(head), 0))
    if t == "date":
        return date(2020, 1, 1) + timedelta(days=i if unique else rng.randint(0, 2000))
    if t in ("datetime", "timestamp"):
        return datetime(2020, 1, 1) + timedelta(seconds=i * 61 if unique else rng.randint(0, 5 * 365 * 86400))
    if t == "time":
        return timedelta(seconds=i % 86400 if unique else rng.randint(0, 86399))
    if t == "year":
        return 1901 + i % 255 if unique else rng.randint(1990, 2030)
    if t == "enum":
        return c.values[i % len(c.values)] if unique else rng.choice(c.values)
    if t == "set":
        members = c.values
        mask = i % (2 ** len(members)) if unique else rng.randrange(2 ** len(members))
        return ",".join(m for b, m in enumerate(members) if mask >> b & 1)
    if t == "json":
        return json.dumps(
            {"id": i, "name": rng.choice(WORDS), "tags": rng.sample(WORDS, 2), "score": rng.randint(0, 100)}
        )
    raise GenerateError(f"no generator for column {c.name} of type {c.column_type}")


def _text(c: Column, i: int, rng: random.Random, unique: bool) -> str:
    n = min(c.length or 255, 40)
    words = " ".join(rng.choice(WORDS) for _ in range(3))
    if c.multibyte and rng.random() < 0.3:
        words = rng.choice(MULTIBYTE) + words
    if not unique:
        return words[: rng.randint(min(n, 3), n)]
    token = _base36(i % (36 ** min(n, 8)))
    return (token + "-" + words)[:n] if len(token) < n else token[:n]


# --- tables -----------------------------------------------------------------------------------------------------
def load_order(tables: list[Table]) -> list[Table]:
    """Parents before children where the foreign keys allow it (a cycle keeps the schema's order)."""
    by_name = {t.name: t for t in tables}
    done: dict[str, None] = {}
    visiting: set[str] = set()

    def visit(t: Table) -> None:
        if t.name in done or t.name in visiting:
            return
        visiting.add(t.name)
        for fk in t.foreign_keys:
            if fk.parent in by_name and fk.parent != t.name:
                visit(by_name[fk.parent])
        visiting.discard(t.name)
        done[t.name] = None

    for t in tables:
        visit(t)
    return [by_name[n] for n in done]


def generate(tables: list[Table], rows: int, seed: int = DEFAULT_SEED) -> Generated:
    """``rows`` rows for every table (fewer where its unique keys run out of room)."""
    rng = random.Random(seed)
    out = Generated()
    pending: list[tuple[Table, ForeignKey]] = []
    for table in load_order(tables):
        made = _table_rows(table, rows, rng, out.rows, pending)
        out.rows[table.name] = made
        if len(made) < rows:
            out.short[table.name] = len(made)
    for table, fk in pending:  # references into a table of a cycle generated later
        parents = out.rows.get(fk.parent) or []
        for row in out.rows[table.name]:
            if parents:
                parent = rng.choice(parents)
                row.update({col: parent[pcol] for col, pcol in zip(fk.columns, fk.parent_columns, strict=True)})
    return out


def _table_rows(
    table: Table, count: int, rng: random.Random, done: dict[str, list[dict]], pending: list[tuple[Table, ForeignKey]]
) -> list[dict[str, Any]]:
    fk_columns = {col for fk in table.foreign_keys for col in fk.columns}
    keyed = {col for key in table.unique_keys for col in key}
    columns = [c for c in table.columns if not c.generated and c.name not in fk_columns]
    seen: list[set] = [set() for _ in table.unique_keys]
    made: list[dict[str, Any]] = []
    failures = 0
    i = 0
    while len(made) < count and failures < 50:
        row = {}
        for c in columns:
            if c.name in keyed:
                row[c.name] = value(c, i, rng, unique=True)
            elif c.nullable and rng.random() < NULL_SHARE:
                row[c.name] = None
            else:
                row[c.name] = value(c, i, rng, unique=False)
        for fk in table.foreign_keys:
            row.update(_reference(table, fk, row, made, done, rng, pending))
        i += 1
        tuples = [tuple(row.get(col) for col in key) for key in table.unique_keys]
        if any(t in s for t, s in zip(tuples, seen, strict=True) if None not in t):
            failures += 1
            continue
        for t, s in zip(tuples, seen, strict=True):
            s.add(t)
        failures = 0
        made.append(row)
    return made


def _reference(
    table: Table,
    fk: ForeignKey,
    row: dict,
    made: list[dict],
    done: dict[str, list[dict]],
    rng: random.Random,
    pending: list,
) -> dict[str, Any]:
    nullable = all(table.column(col).nullable for col in fk.columns)
    if fk.parent == table.name:  # a self-reference: an earlier row, or this one for the first
        if made and not (nullable and rng.random() < 0.2):
            parent = rng.choice(made)
        elif nullable:
            return {col: None for col in fk.columns}
        else:
            parent = row
    elif fk.parent in done:
        parents = done[fk.parent]
        if not parents:
            return {col: None for col in fk.columns}
        parent = rng.choice(parents)
    else:  # the parent is later in a cycle: NULL now, or filled in once it has rows
        if (table, fk) not in pending and not nullable:
            pending.append((table, fk))
        return {col: None for col in fk.columns}
    return {col: parent.get(pcol) for col, pcol in zip(fk.columns, fk.parent_columns, strict=True)}


def insert(
    conn, tables: list[Table], generated: Generated, *, batch: int = 500, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Insert the generated rows, parents first, foreign-key checks off for this session only."""
    counts = {}
    with conn.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0")
        for table in load_order(tables):
            rows = generated.rows.get(table.name) or []
            if not rows:
                counts[table.name] = 0
                continue
            names = list(rows[0])
            sql = (
                f"INSERT INTO {q(table.name)} ({', '.join(q(n) for n in names)}) "
                f"VALUES ({', '.join(['%s'] * len(names))})"
            )
            for start in range(0, len(rows), batch):
                cur.executemany(sql, [tuple(r[n] for n in names) for r in rows[start : start + batch]])
            counts[table.name] = len(rows)
            progress(f"  {table.name:<24} {len(rows):>8,} rows")
        cur.execute("SET SESSION foreign_key_checks = 1")
    conn.commit()
    return counts
