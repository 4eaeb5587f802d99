"""Our own source-vs-target comparison, independent of Vitess's VDiff.

Tables are cut into chunks along the primary key; each chunk's row count and checksum (the sum of
its rows' CRC32s, the function pt-table-checksum uses) are computed inside the databases, on both
sides at once: nothing but two numbers per chunk travel. A changed row escapes its chunk's
checksum only if its CRC32 collides (odds of 1 in 2^32). An integer key is cut by value, one
GROUP BY query per segment of many chunks, so the comparison reads each side about once, like a
checksum of the whole table. A chunk whose checksums differ is split until it is small, then its
rows' 60-bit SHA-256 prefixes are compared by key. Keys that still differ are re-read (in batches) a few
times before they are reported, so rows changing under live replication do not show up as
differences. Memory stays bounded by the chunk and narrow sizes.

Value normalisation (each a setting, each reported): text compared as utf8mb4 bytes whatever the
column's charset and collation, FLOAT/DOUBLE rounded to ``float_decimals`` (as a DECIMAL, which
prints alike on MySQL and MariaDB), -0 folded into 0,
TIMESTAMP compared as epoch seconds so session time zones do not matter.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
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
    chunks_per_query: int = 100
    """Integer keys: chunks checksummed by one GROUP BY query (a segment of chunk_rows x this many rows)."""
    fanout: int = 64
    """Integer keys: a differing range is split into at most this many parts per step ..."""
    fetch_rows: int = 5_000
    """... until its checksums per leaf_keys keys number at most this many (well under the 10,000 rows a
    vttablet returns by default); those are compared, and only differing leaves' rows are fetched."""
    leaf_keys: int = 16
    float_decimals: int = 6
    text_as_utf8mb4: bool = True
    recheck_attempts: int = 5
    recheck_wait_seconds: float = 1.0
    max_reported: int = 20


def column_expression(col: Column, settings: DiffSettings) -> tuple[str, str | None]:
    """SQL for one column's comparable value, and the normalisation it applies (None if none)."""
    q = quote_identifier(col.name)
    if col.data_type in FLOAT_TYPES:
        # As DECIMAL: a rounded DOUBLE prints as '1.1' on MySQL 8+ and '1.100000' on MariaDB, a
        # DECIMAL alike on both (and without -0). Beyond 1e59 both sides clip to the same maximum.
        d = int(settings.float_decimals)
        return f"CAST(ROUND({q}, {d}) AS DECIMAL(65, {d}))", \
            f"float precision: {col.name} rounded to {settings.float_decimals} decimals, -0 as 0"
    if col.data_type == "timestamp":
        return f"UNIX_TIMESTAMP({q})", f"time zone: {col.name} compared as epoch seconds"
    if col.data_type in TEXT_TYPES and settings.text_as_utf8mb4 and col.charset and col.charset != "utf8mb4":
        # utf8mb4 text already is its utf8mb4 bytes: converting it costs a fifth of a scan for nothing
        return f"CAST(CONVERT({q} USING utf8mb4) AS BINARY)", \
            f"collation: {col.name} ({col.charset}) compared as utf8mb4 bytes"
    return q, None


def _row_text(columns: Sequence[Column], settings: DiffSettings) -> str:
    """Every column's comparable value in one string; NULLs of nullable columns told from empty values."""
    exprs = [column_expression(c, settings)[0] for c in columns]
    nullable = [c for c in columns if c.nullable]
    if nullable:
        exprs.append("CONCAT(" + ", ".join(f"ISNULL({quote_identifier(c.name)})" for c in nullable) + ")")
    return f"CONCAT_WS('#', {', '.join(exprs)})"


def row_hash_sql(columns: Sequence[Column], settings: DiffSettings) -> str:
    """A 60-bit integer per row from every column: names the rows of a differing chunk.

    SHA2, not MD5: MySQL 9 removed MD5() and SHA1(). SHA2 gives the same value on MySQL and MariaDB
    for the same text. Summed over 1M rows (median of 3): MariaDB 10.11 SHA2 1.0 s, MD5 1.6 s, two
    CRC32s (of the text and its reverse) 0.8 s; MySQL 9.7 SHA2 1.2 s, two CRC32s 1.9 s. CRC32 is
    linear in its input, so a pair of them guards worse against structured changes."""
    return f"CAST(CONV(SUBSTRING(SHA2({_row_text(columns, settings)}, 256), 1, 15), 16, 10) AS UNSIGNED)"


def chunk_hash_sql(columns: Sequence[Column], settings: DiffSettings) -> str:
    """A 32-bit CRC per row, summed per chunk: cheap enough to read whole tables with."""
    return f"CRC32({_row_text(columns, settings)})"


INTEGER_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}


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
        self.crc = chunk_hash_sql(table.columns, settings)
        self.order = ", ".join(quote_identifier(k) for k in self.keys)
        self.key_list = ", ".join(quote_identifier(k) for k in self.keys)
        key_col = table.column(self.keys[0]) if len(self.keys) == 1 else None
        self.integer_key = key_col is not None and key_col.data_type in INTEGER_TYPES
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="diff-side")

    def both(self, fn: Callable[[Side], Any]) -> tuple[Any, Any]:
        """``fn`` on the source and the target at once (each side has its own connection)."""
        s, t = self._pool.submit(fn, self.source), self._pool.submit(fn, self.target)
        return s.result(), t.result()

    # --- checksums -------------------------------------------------------------------------
    def checksum(self, side: Side, rng: Range) -> tuple[int, int]:
        """(rows, sum of the rows' CRCs) of ``rng``; a sharded side adds its shards' figures up."""
        where, args = rng.where(self.keys)
        rows = side.rows(f"SELECT COUNT(*), COALESCE(SUM({self.crc}), 0) FROM {self.t} WHERE {where}", args)
        return _combine(rows)

    def bucket_checksums(self, side: Side, low: int, high: int, width: int) -> dict[int, tuple[int, int]]:
        """Checksums of the integer-key buckets [low + i*width, low + (i+1)*width) within [low, high), one query."""
        k = quote_identifier(self.keys[0])
        rows = side.rows(f"SELECT ({k} - %s) DIV %s, COUNT(*), COALESCE(SUM({self.crc}), 0) "
                         f"FROM {self.t} WHERE {k} >= %s AND {k} < %s GROUP BY 1", [low, width, low, high])
        out: dict[int, list] = {}
        for bucket, *figures in rows:  # a sharded side returns a row per shard and bucket
            out.setdefault(int(bucket), []).append(figures)
        return {b: _combine(f) for b, f in out.items()}

    def key_bounds(self, side: Side) -> tuple[int, int] | None:
        k = quote_identifier(self.keys[0])
        rows = [r for r in side.rows(f"SELECT MIN({k}), MAX({k}) FROM {self.t}") if r[0] is not None]
        return (min(int(r[0]) for r in rows), max(int(r[1]) for r in rows)) if rows else None

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

    def row_hashes_of(self, side: Side, keys: Sequence[tuple]) -> dict[tuple, int]:
        """Row hashes of the given keys (one query per batch); keys absent on ``side`` are left out."""
        cols = [quote_identifier(k) for k in self.keys]
        target = cols[0] if len(cols) == 1 else f"({', '.join(cols)})"
        one = "%s" if len(cols) == 1 else f"({', '.join(['%s'] * len(cols))})"
        out: dict[tuple, int] = {}
        for i in range(0, len(keys), 500):
            batch = keys[i:i + 500]
            args = [v for key in batch for v in key]
            for r in side.rows(f"SELECT {self.key_list}, {self.hash} FROM {self.t} WHERE {target} IN "
                               f"({', '.join([one] * len(batch))})", args):
                out[tuple(r[:-1])] = int(r[-1])
        return out

    # --- the comparison --------------------------------------------------------------------
    def run(self) -> TableDiff:
        started = time.monotonic()
        result = TableDiff(self.table.name, "match", normalisations=normalisations(self.table.columns, self.settings))
        try:
            if not self.keys:
                result.warnings.append("no primary or NOT NULL unique key: whole-table checksum only, differing "
                                       "rows cannot be named")
                s, t = self.both(lambda side: self.checksum(side, Range(None, None)))
                result.rows_source, result.rows_target, result.chunks = s[0], t[0], 1
                if s != t:
                    result.status, result.chunks_differing = "mismatch", 1
                result.seconds = round(time.monotonic() - started, 3)
                return result
            suspects = self._scan_integer(result) if self.integer_key else self._scan_by_boundaries(result)
            confirmed = self.recheck(suspects)
        finally:
            self._pool.shutdown()
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

    def _scan_by_boundaries(self, result: TableDiff) -> list[tuple[tuple, str]]:
        """Any key: chunks of chunk_rows rows cut at the source's keys."""
        suspects: list[tuple[tuple, str]] = []
        lower: tuple | None = None
        while True:
            upper = self.boundary(self.source, Range(lower, None), self.settings.chunk_rows - 1)
            rng = Range(lower, upper)
            s, t = self.both(lambda side: self.checksum(side, rng))
            result.chunks += 1
            result.rows_source += s[0]
            result.rows_target += t[0]
            if s != t:
                result.chunks_differing += 1
                suspects += self.narrow(rng, max(s[0], t[0]))
            if upper is None:
                return suspects
            lower = upper

    def _scan_integer(self, result: TableDiff) -> list[tuple[tuple, str]]:
        """An integer key: chunks cut by value, a segment of chunks per GROUP BY query on each side."""
        bounds = [b for b in self.both(self.key_bounds) if b is not None]
        if not bounds:
            return []
        low, high = min(b[0] for b in bounds), max(b[1] for b in bounds) + 1
        density = max(self.table.rows_estimate, 1) / (high - low)
        width = max(1, int(self.settings.chunk_rows / min(max(density, 1e-9), 1.0)))
        segment = width * self.settings.chunks_per_query
        suspects: list[tuple[tuple, str]] = []
        for start in range(low, high, segment):
            end = min(start + segment, high)
            s, t = self.both(lambda side: self.bucket_checksums(side, start, end, width))
            for bucket in sorted(s.keys() | t.keys()):
                a, b = s.get(bucket, (0, 0)), t.get(bucket, (0, 0))
                result.chunks += 1
                result.rows_source += a[0]
                result.rows_target += b[0]
                if a != b:
                    result.chunks_differing += 1
                    lo = start + bucket * width
                    suspects += self.narrow_integer(lo, min(lo + width, end), max(a[0], b[0]))
        return suspects

    def narrow_integer(self, low: int, high: int, rows: int) -> list[tuple[tuple, str]]:
        """Split the differing key range [low, high) by value (one GROUP BY per side and step) down to
        fetch_rows rows, then name the differing keys."""
        if rows <= self.settings.fetch_rows * self.settings.leaf_keys or high - low <= self.settings.fanout:
            return self._name_integer(low, high)
        parts = min(self.settings.fanout, max(2, -(-rows // (self.settings.fetch_rows * self.settings.leaf_keys))))
        width = max(1, -(-(high - low) // parts))
        s, t = self.both(lambda side: self.bucket_checksums(side, low, high, width))
        out = []
        for bucket in sorted(s.keys() | t.keys()):
            a, b = s.get(bucket, (0, 0)), t.get(bucket, (0, 0))
            if a != b:
                lo = low + bucket * width
                out += self.narrow_integer(lo, min(lo + width, high), max(a[0], b[0]))
        return out

    def _name_integer(self, low: int, high: int) -> list[tuple[tuple, str]]:
        """Checksums of every leaf_keys keys of [low, high), then the rows of the differing leaves only:
        many scattered differences cost a fraction of fetching every row's hash."""
        width = self.settings.leaf_keys
        s, t = self.both(lambda side: self.bucket_checksums(side, low, high, width))
        leaves = [low + b * width for b in sorted(s.keys() | t.keys()) if s.get(b, (0, 0)) != t.get(b, (0, 0))]
        k = quote_identifier(self.keys[0])
        out: list[tuple[tuple, str]] = []
        per_query = max(1, self.settings.fetch_rows // width)
        for i in range(0, len(leaves), per_query):
            batch = [(a, min(a + width, high)) for a in leaves[i:i + per_query]]
            cond = " OR ".join([f"({k} >= %s AND {k} < %s)"] * len(batch))
            args = [v for pair in batch for v in pair]
            src, tgt = self.both(lambda side: {tuple(r[:-1]): int(r[-1]) for r in side.rows(
                f"SELECT {self.key_list}, {self.hash} FROM {self.t} WHERE {cond}", args)})
            out += _differences(src, tgt)
        return out

    def _name_differences(self, rng: Range) -> list[tuple[tuple, str]]:
        src, tgt = self.both(lambda side: self.row_hashes(side, rng))
        return _differences(src, tgt)

    def narrow(self, rng: Range, rows: int) -> list[tuple[tuple, str]]:
        """Split a differing range until it is small, then name the differing keys."""
        if rows <= self.settings.narrow_rows:
            return self._name_differences(rng)
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
            s, t = self.both(lambda side: self.checksum(side, part))
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
            keys = [k for k, _ in pending]
            src, tgt = self.both(lambda side: self.row_hashes_of(side, keys))
            still = []
            for key in keys:
                s, t = src.get(key), tgt.get(key)
                if s != t:
                    kind = "missing_on_target" if t is None else "extra_on_target" if s is None else "different"
                    still.append((key, kind))
            pending = still
        return pending


def _differences(src: dict[tuple, int], tgt: dict[tuple, int]) -> list[tuple[tuple, str]]:
    out = [(k, "missing_on_target") for k in src.keys() - tgt.keys()]
    out += [(k, "extra_on_target") for k in tgt.keys() - src.keys()]
    out += [(k, "different") for k in src.keys() & tgt.keys() if src[k] != tgt[k]]
    return sorted(out, key=lambda x: tuple(map(str, x[0])))


def _combine(rows: Sequence[Sequence]) -> tuple[int, int]:
    """One (rows, sum) from a row per shard."""
    return sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)
