"""Our own source-vs-target comparison, independent of Vitess's VDiff.

Tables are cut into chunks along the primary key; each chunk's row count and checksum are
computed inside the databases (nothing but two numbers per chunk travel). A chunk whose
checksums differ is split until it is small, then its rows' hashes are compared by key. Keys that
still differ are re-read a few times before they are reported, so rows changing under live
replication do not show up as differences. Memory stays bounded by the chunk and narrow sizes.

Value normalisation (each a setting, each reported): text compared as utf8mb4 bytes whatever the
column's charset and collation, FLOAT/DOUBLE rounded to ``float_decimals``, -0 folded into 0,
TIMESTAMP compared as epoch seconds so session time zones do not matter.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol, Sequence

from pocflow.source.inventory import Column, Table
from pocflow.sql import quote_identifier

TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"}
FLOAT_TYPES = {"float", "double", "real"}


@dataclass(frozen=True)
class DiffSettings:
    chunk_rows: int = 10_000
    narrow_rows: int = 256
    float_decimals: int = 6
    text_as_utf8mb4: bool = True
    recheck_attempts: int = 5
    recheck_wait_seconds: float = 1.0
    max_reported: int = 20


def column_expression(col: Column, settings: DiffSettings) -> tuple[str, str | None]:
    """SQL for one column's comparable value, and the normalisation it applies (None if none)."""
    q = quote_identifier(col.name)
    if col.data_type in FLOAT_TYPES:
        return f"(ROUND({q}, {int(settings.float_decimals)}) + 0)", \
            f"float precision: {col.name} rounded to {settings.float_decimals} decimals, -0 as 0"
    if col.data_type == "timestamp":
        return f"UNIX_TIMESTAMP({q})", f"time zone: {col.name} compared as epoch seconds"
    if col.data_type in TEXT_TYPES and settings.text_as_utf8mb4:
        note = None
        if col.charset and col.charset != "utf8mb4":
            note = f"collation: {col.name} ({col.charset}) compared as utf8mb4 bytes"
        return f"CAST(CONVERT({q} USING utf8mb4) AS BINARY)", note
    return q, None


def row_hash_sql(columns: Sequence[Column], settings: DiffSettings) -> str:
    """A 60-bit integer per row from every column (NULLs distinguished from empty values)."""
    exprs = [column_expression(c, settings)[0] for c in columns]
    nulls = "CONCAT(" + ", ".join(f"ISNULL({quote_identifier(c.name)})" for c in columns) + ")"
    return f"CAST(CONV(SUBSTRING(MD5(CONCAT_WS('#', {', '.join(exprs)}, {nulls})), 1, 15), 16, 10) AS UNSIGNED)"


def normalisations(columns: Sequence[Column], settings: DiffSettings) -> list[str]:
    return [n for n in (column_expression(c, settings)[1] for c in columns) if n]


class Side(Protocol):
    """One side of the comparison: runs a query and returns its rows (a sharded target runs it on
    every shard and returns all shards' rows)."""

    name: str

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]: ...


def _key_cond(keys: Sequence[str], op: str) -> str:
    cols = [quote_identifier(k) for k in keys]
    if len(cols) == 1:
        return f"{cols[0]} {op} %s"
    return f"({', '.join(cols)}) {op} ({', '.join(['%s'] * len(cols))})"


@dataclass(frozen=True)
class Range:
    lower: tuple | None  # exclusive
    upper: tuple | None  # inclusive

    def where(self, keys: Sequence[str]) -> tuple[str, list]:
        parts, args = [], []
        if self.lower is not None:
            parts.append(_key_cond(keys, ">"))
            args += list(self.lower)
        if self.upper is not None:
            parts.append(_key_cond(keys, "<="))
            args += list(self.upper)
        return (" AND ".join(parts) or "1=1"), args


@dataclass
class RowDifference:
    key: dict[str, Any]
    kind: str  # missing_on_target | extra_on_target | different

    def to_dict(self) -> dict:
        return {"key": {k: _jsonable(v) for k, v in self.key.items()}, "kind": self.kind}


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (int, float, str)) or v is None:
        return v
    return str(v)


@dataclass
class TableDiff:
    table: str
    status: str  # match | mismatch | skipped
    reason: str = ""
    rows_source: int = 0
    rows_target: int = 0
    chunks: int = 0
    chunks_differing: int = 0
    differences: list[RowDifference] = field(default_factory=list)
    differences_total: int = 0
    settled_on_recheck: int = 0
    warnings: list[str] = field(default_factory=list)
    normalisations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["differences"] = [x.to_dict() for x in self.differences]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TableDiff":
        d = dict(d)
        d["differences"] = [RowDifference(x["key"], x["kind"]) for x in d.get("differences", [])]
        return cls(**d)


class TableComparison:
    def __init__(self, table: Table, source: Side, target: Side, settings: DiffSettings,
                 log: Callable[[str], None] = lambda m: None):
        self.table, self.source, self.target, self.settings, self.log = table, source, target, settings, log
        pk = table.primary_key or (table.unique_not_null_keys() or [None])[0]
        self.keys = list(pk.columns) if pk else []
        self.t = quote_identifier(table.name)
        self.hash = row_hash_sql(table.columns, settings)
        self.order = ", ".join(quote_identifier(k) for k in self.keys)
        self.key_list = ", ".join(quote_identifier(k) for k in self.keys)

    # --- checksums -------------------------------------------------------------------------
    def checksum(self, side: Side, rng: Range) -> tuple[int, int]:
        where, args = rng.where(self.keys)
        rows = side.rows(f"SELECT COUNT(*), COALESCE(SUM({self.hash}), 0) FROM {self.t} WHERE {where}", args)
        return sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)

    def boundary(self, side: Side, rng: Range, offset: int) -> tuple | None:
        """The key ``offset`` rows into ``rng`` on ``side`` (None past the end)."""
        where, args = rng.where(self.keys)
        rows = side.rows(f"SELECT {self.key_list} FROM {self.t} WHERE {where} ORDER BY {self.order} "
                         f"LIMIT 1 OFFSET {int(offset)}", args)
        if not rows:
            return None
        return min(tuple(r) for r in rows) if len(rows) > 1 else tuple(rows[0])

    def row_hashes(self, side: Side, rng: Range) -> dict[tuple, int]:
        where, args = rng.where(self.keys)
        return {tuple(r[:-1]): int(r[-1]) for r in side.rows(
            f"SELECT {self.key_list}, {self.hash} FROM {self.t} WHERE {where}", args)}

    def row_hash(self, side: Side, key: tuple) -> int | None:
        rows = side.rows(f"SELECT {self.hash} FROM {self.t} WHERE {_key_cond(self.keys, '=')}", list(key))
        return int(rows[0][0]) if rows else None

    # --- the comparison --------------------------------------------------------------------
    def run(self) -> TableDiff:
        started = time.monotonic()
        result = TableDiff(self.table.name, "match", normalisations=normalisations(self.table.columns, self.settings))
        if not self.keys:
            result.warnings.append("no primary or NOT NULL unique key: whole-table checksum only, differing rows "
                                   "cannot be named")
            s, t = self.checksum(self.source, Range(None, None)), self.checksum(self.target, Range(None, None))
            result.rows_source, result.rows_target, result.chunks = s[0], t[0], 1
            if s != t:
                result.status, result.chunks_differing = "mismatch", 1
            result.seconds = round(time.monotonic() - started, 3)
            return result
        suspects: list[tuple[tuple, str]] = []
        lower: tuple | None = None
        while True:
            upper = self.boundary(self.source, Range(lower, None), self.settings.chunk_rows - 1)
            rng = Range(lower, upper)
            s, t = self.checksum(self.source, rng), self.checksum(self.target, rng)
            result.chunks += 1
            result.rows_source += s[0]
            result.rows_target += t[0]
            if s != t:
                result.chunks_differing += 1
                suspects += self.narrow(rng, max(s[0], t[0]))
            if upper is None:
                break
            lower = upper
        confirmed = self.recheck(suspects)
        result.settled_on_recheck = len(suspects) - len(confirmed)
        result.differences_total = len(confirmed)
        result.differences = [RowDifference(dict(zip(self.keys, k)), kind) for k, kind in confirmed[:self.settings.max_reported]]
        if confirmed:
            result.status = "mismatch"
        elif result.chunks_differing:
            result.warnings.append(f"{result.chunks_differing} chunk(s) differed while rows were changing; "
                                   f"every differing row matched on recheck")
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def narrow(self, rng: Range, rows: int) -> list[tuple[tuple, str]]:
        """Split a differing range until it is small, then name the differing keys."""
        if rows <= self.settings.narrow_rows:
            src, tgt = self.row_hashes(self.source, rng), self.row_hashes(self.target, rng)
            out = [(k, "missing_on_target") for k in src.keys() - tgt.keys()]
            out += [(k, "extra_on_target") for k in tgt.keys() - src.keys()]
            out += [(k, "different") for k in src.keys() & tgt.keys() if src[k] != tgt[k]]
            return sorted(out, key=lambda x: tuple(map(str, x[0])))
        s_count = self.checksum(self.source, rng)[0]
        side, count = (self.source, s_count) if s_count * 2 >= rows else (self.target, rows)
        middle = self.boundary(side, rng, count // 2 - 1)
        if middle is None or middle == rng.upper:
            # Cannot split further on this side (all rows beyond the source's): compare directly in pieces.
            middle = self.boundary(self.target, rng, rows // 2 - 1)
            if middle is None or middle == rng.upper:
                return self.narrow(rng, 0)
        out = []
        for part in (Range(rng.lower, middle), Range(middle, rng.upper)):
            s, t = self.checksum(self.source, part), self.checksum(self.target, part)
            if s != t:
                out += self.narrow(part, max(s[0], t[0]))
        return out

    def recheck(self, suspects: list[tuple[tuple, str]]) -> list[tuple[tuple, str]]:
        """Keep only keys that still differ after replication had time to apply pending changes."""
        pending = list(suspects)
        for attempt in range(self.settings.recheck_attempts):
            if not pending:
                break
            if attempt:
                time.sleep(self.settings.recheck_wait_seconds)
            still = []
            for key, _ in pending:
                s, t = self.row_hash(self.source, key), self.row_hash(self.target, key)
                if s != t:
                    kind = "missing_on_target" if t is None else "extra_on_target" if s is None else "different"
                    still.append((key, kind))
            pending = still
        return pending
