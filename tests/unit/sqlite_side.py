"""A comparison side that really runs the SQL the comparison generates: SQLite in memory, with the MySQL
functions that SQL uses registered (CRC32, SHA2, CONV, LENGTH in bytes, CONCAT and CONCAT_WS with MySQL's
NULL rules, UNIX_TIMESTAMP) and the few MySQL-only forms rewritten (%s, DIV, CAST ... AS UNSIGNED / DECIMAL /
BINARY, CONVERT ... USING). Values print as MySQL prints them where the comparison depends on it (DECIMAL
with its scale, -0 as 0).

A side has one or more shards; ``rows`` runs a query on every shard and returns all their rows, as the
target side does over vtgate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import threading
import zlib
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pocflow.source.inventory import Table
from pocflow.sql import quote_identifier

SQLITE_TYPES = {
    "tinyint": "INTEGER",
    "smallint": "INTEGER",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "float": "REAL",
    "double": "REAL",
    "decimal": "TEXT",
    "varbinary": "BLOB",
    "blob": "BLOB",
    "binary": "BLOB",
}


def mysql_text(v: Any) -> str | bytes:
    """A value as MySQL turns it into a string (CONCAT's arguments)."""
    if isinstance(v, bytes):
        return v
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _as_bytes(v: Any) -> bytes:
    t = mysql_text(v)
    return t if isinstance(t, bytes) else t.encode("utf-8")


def concat(*args):
    if any(a is None for a in args):
        return None
    parts = [mysql_text(a) for a in args]
    if any(isinstance(p, bytes) for p in parts):
        return b"".join(_as_bytes(p) for p in parts)
    return "".join(parts)


def concat_ws(sep, *args):
    if sep is None:
        return None
    return concat(*_interleave(sep, [a for a in args if a is not None]))


def _interleave(sep, values):
    out = []
    for i, v in enumerate(values):
        if i:
            out.append(sep)
        out.append(v)
    return out


def length(v):
    return None if v is None else len(_as_bytes(v))


def crc32(v):
    return None if v is None else zlib.crc32(_as_bytes(v))


def sha2(v, bits):
    assert bits == 256
    return None if v is None else hashlib.sha256(_as_bytes(v)).hexdigest()


def conv(v, base_from, base_to):
    assert (base_from, base_to) == (16, 10)
    return None if v is None else str(int(v, 16))


def unix_timestamp(v):
    if v is None:
        return None
    t = dt.datetime.fromisoformat(v).replace(tzinfo=dt.UTC)
    whole = int(t.timestamp())
    return whole if not t.microsecond else f"{whole}.{t.microsecond:06d}"


def mysql_cast(v, to: str):
    if v is None:
        return None
    to = to.upper().replace(" ", "")
    if to == "UNSIGNED":
        return int(v)
    if to == "BINARY":
        return _as_bytes(v)
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", to)
    assert m, to
    d = Decimal(repr(v) if isinstance(v, float) else str(v)).quantize(
        Decimal(1).scaleb(-int(m.group(2))), rounding=ROUND_HALF_UP
    )
    return str(d.copy_abs() if d.is_zero() else d)  # MySQL prints no -0


def _unquoted(text: str, start: int = 0):
    """(index, character, parenthesis depth after it) of every character outside quotes, from ``start``."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield i, ch, depth


def _closing(sql: str, open_at: int) -> int:
    """The index of the parenthesis closing the one at ``open_at`` (quotes skipped)."""
    for i, ch, depth in _unquoted(sql, open_at):
        if ch == ")" and depth == 0:
            return i
    raise ValueError(f"unbalanced parentheses in {sql!r}")


def _top_level_as(inner: str) -> int:
    for i, _, depth in _unquoted(inner):
        if depth == 0 and inner.startswith(" AS ", i):
            return i
    raise ValueError(f"no AS in CAST({inner})")


def _rewrite_casts(sql: str) -> str:
    out, i = [], 0
    while True:
        j = sql.find("CAST(", i)
        if j < 0 or (j > 0 and (sql[j - 1].isalnum() or sql[j - 1] == "_")):
            if j < 0:
                out.append(sql[i:])
                return "".join(out)
            out.append(sql[i : j + 5])
            i = j + 5
            continue
        end = _closing(sql, j + 4)
        inner = sql[j + 5 : end]
        at = _top_level_as(inner)
        out.append(sql[i:j])
        out.append(f"MYSQL_CAST({_rewrite_casts(inner[:at])}, '{inner[at + 4 :].strip()}')")
        i = end + 1


def mysql_to_sqlite(sql: str) -> str:
    sql = sql.replace("%s", "?")
    sql = re.sub(r"\bDIV\b", "/", sql)
    sql = re.sub(r"CONVERT\((`(?:[^`]|``)+`) USING utf8mb4\)", r"\1", sql)
    return _rewrite_casts(sql)


def _connect() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    for name, n, fn in (
        ("CONCAT", -1, concat),
        ("CONCAT_WS", -1, concat_ws),
        ("LENGTH", 1, length),
        ("CRC32", 1, crc32),
        ("SHA2", 2, sha2),
        ("CONV", 3, conv),
        ("UNIX_TIMESTAMP", 1, unix_timestamp),
        ("MYSQL_CAST", 2, mysql_cast),
    ):
        conn.create_function(name, n, fn, deterministic=True)
    return conn


class SqliteSide:
    """One side of a comparison in SQLite; ``queries`` records the MySQL text of every query run."""

    def __init__(self, name: str, table: Table, *, shards: int = 1, unique_key: bool = True):
        self.name, self.table = name, table
        self.conns = [_connect() for _ in range(shards)]
        self.lock = threading.Lock()
        self.queries: list[str] = []
        columns = [f"{quote_identifier(c.name)} {SQLITE_TYPES.get(c.data_type, 'TEXT')}" for c in table.columns]
        pk = table.primary_key
        if unique_key and pk:
            columns.append(f"PRIMARY KEY ({', '.join(quote_identifier(k) for k in pk.columns)})")
        for conn in self.conns:
            conn.execute(f"CREATE TABLE {quote_identifier(table.name)} ({', '.join(columns)})")

    def insert(self, rows: Sequence[Sequence[Any]], shard: int = 0) -> None:
        marks = ", ".join("?" * len(self.table.columns))
        with self.lock:
            self.conns[shard].executemany(
                f"INSERT INTO {quote_identifier(self.table.name)} VALUES ({marks})", [list(r) for r in rows]
            )

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        self.queries.append(sql)
        query = mysql_to_sqlite(sql)
        with self.lock:
            out: list[tuple] = []
            for conn in self.conns:
                out += conn.execute(query, list(args)).fetchall()
            return out
