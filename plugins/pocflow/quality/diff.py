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

Nothing differs silently. A key held by more than one row on a side (a row on two shards, a target
that lost its unique key) is a difference of its own (``duplicate_on_target``/``duplicate_on_source``);
a range whose checksums still differ on recheck while none of its rows can be named is a
``count_only`` difference with its bounds and both row counts; a table without a key whose checksums
differ is a ``checksum_only`` difference. Every kind counts in ``differences_total``.

A row's text is its columns' comparable values joined by '#', where every column whose text may hold a
'#' (text, binary, JSON, BIT, ...) is preceded by its length in bytes: ('x#', 'y') and ('x', '#y') no
longer read alike, and NULL (length -1) is told from '' without markers.

For the reported ``different`` rows each differing column is named, with both values and a diagnosis
(quality/diagnosis.py); the source rows of differing keys are kept for a repair script (quality/repair.py).

Value normalisation (each a setting, each reported): text compared as utf8mb4 bytes whatever the
column's charset and collation, FLOAT/DOUBLE rounded to ``float_decimals`` (as a DECIMAL, which
prints alike on MySQL and MariaDB), -0 folded into 0,
TIMESTAMP compared as epoch seconds so session time zones do not matter. A second pass over the raw
values of normalised columns counts the rows that a normalisation made match (``hidden_by_normalisation``),
re-reading at most ``hidden_rows_limit`` of them per table.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from pocflow.quality.diagnosis import FLOAT_TYPES, TEXT_TYPES, diagnose
from pocflow.source.inventory import Column, Table
from pocflow.sql import quote_identifier

INTEGER_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}
SEPARATOR_FREE_TYPES = (
    INTEGER_TYPES | FLOAT_TYPES | {"decimal", "numeric", "date", "datetime", "time", "year", "timestamp"}
)
"""Types whose comparable text never holds the '#' separator and is never empty: no length prefix needed."""

MISSING_ON_TARGET, EXTRA_ON_TARGET, DIFFERENT = "missing_on_target", "extra_on_target", "different"
DUPLICATE_ON_TARGET, DUPLICATE_ON_SOURCE = "duplicate_on_target", "duplicate_on_source"
COUNT_ONLY, CHECKSUM_ONLY = "count_only", "checksum_only"
KINDS = (
    MISSING_ON_TARGET,
    EXTRA_ON_TARGET,
    DIFFERENT,
    DUPLICATE_ON_TARGET,
    DUPLICATE_ON_SOURCE,
    COUNT_ONLY,
    CHECKSUM_ONLY,
)

MASK = "<masked>"
SHOWN_CHARACTERS = 80
"""Longer values are shortened to this many characters (binary: hex digits), an ellipsis and their length."""


@dataclass(frozen=True)
class DiffSettings:
    chunk_rows: int = 10_000
    narrow_rows: int = 256
    chunks_per_query: int = 100
    """Integer keys: chunks checksummed by one GROUP BY query (a segment of chunk_rows x this many rows)."""
    scan_groups: int = 5_000
    """Integer keys: checksums one scan query returns per side and shard (under the 10,000 rows a vttablet
    returns by default). Each chunk is summed in scan_groups / chunks_per_query sub-chunks in the same
    query, so a differing chunk is narrowed from figures already read: drift scattered over every chunk
    costs a rescan of its sub-chunks only, not of the whole table."""
    block_chunks: int = 10
    """Integer keys: chunks summed by one plain checksum query while the data reads clean."""
    dense_drift: float = 0.2
    """Integer keys: once more than this fraction of a batch's blocks differ, the rest of the table is read in
    sub-chunks straight away (a GROUP BY costs about a quarter more than a plain checksum to read, but names
    drift everywhere from figures already read, where blocks would each be read twice)."""
    pipelined_queries: int = 8
    """Queries each side runs on its own, without waiting for the other, before their figures are compared
    (the sides drift apart in time by at most this many queries)."""
    fanout: int = 64
    """Integer keys: a differing range is split into at most this many parts per step ..."""
    fetch_rows: int = 5_000
    """... until its checksums per leaf_keys keys number at most this many (well under the 10,000 rows a
    vttablet returns by default); those are compared, and only differing leaves' rows are fetched."""
    leaf_keys: int = 16
    ranges_per_query: int = 32
    """Integer keys: key ranges OR-ed into one leaf-checksum or listing query. MySQL tests every row it reads
    against the whole OR, so a query's cost per row grows with its ranges: drift scattered over thousands of
    sub-chunks is named by many small queries rather than a few with hundreds of ranges each."""
    float_decimals: int = 6
    text_as_utf8mb4: bool = True
    recheck_attempts: int = 5
    recheck_wait_seconds: float = 1.0
    max_reported: int = 20
    """Differences listed per table (all are counted); the listed ``different`` rows get their columns named."""
    masked_columns: frozenset[str] = frozenset()
    """Columns whose values never appear in a result (shown as MASK); their differences are still classified."""
    count_hidden_by_normalisation: bool = True
    """Tables with normalised columns get a second pass over those columns' raw values."""
    hidden_rows_limit: int = 1_000
    """The second pass re-reads at most this many differing rows per table; beyond it its counts are capped."""
    repair_rows: int = 1_000
    """Source rows kept per table for the repair script (read by key, 500 per query, after the recheck); a
    table with more differences is re-copied rather than repaired row by row."""

    def __post_init__(self):
        object.__setattr__(self, "masked_columns", frozenset(c.lower() for c in self.masked_columns))


def hidden_rows(hidden: dict) -> str:
    """A ``hidden_by_normalisation`` entry's count as text, said to be capped when it was."""
    capped = " (capped: more were not re-read, see hidden_rows_limit)" if hidden.get("capped") else ""
    return f"{hidden['rows']} differing row(s){capped}"


def column_expression(col: Column, settings: DiffSettings) -> tuple[str, str | None]:
    """SQL for one column's comparable value, and the normalisation it applies (None if none)."""
    q = quote_identifier(col.name)
    if col.data_type in FLOAT_TYPES:
        # As DECIMAL: a rounded DOUBLE prints as '1.1' on MySQL 8+ and '1.100000' on MariaDB, a
        # DECIMAL alike on both (and without -0). Beyond 1e59 both sides clip to the same maximum.
        d = int(settings.float_decimals)
        return (
            f"CAST(ROUND({q}, {d}) AS DECIMAL(65, {d}))",
            f"float precision: {col.name} rounded to {settings.float_decimals} decimals, -0 as 0",
        )
    if col.data_type == "timestamp":
        return f"UNIX_TIMESTAMP({q})", f"time zone: {col.name} compared as epoch seconds"
    if _converted_text(col, settings):
        # utf8mb4 text already is its utf8mb4 bytes: converting it costs a fifth of a scan for nothing
        return (
            f"CAST(CONVERT({q} USING utf8mb4) AS BINARY)",
            f"collation: {col.name} ({col.charset}) compared as utf8mb4 bytes",
        )
    return q, None


def _converted_text(col: Column, settings: DiffSettings) -> bool:
    return bool(col.data_type in TEXT_TYPES and settings.text_as_utf8mb4 and col.charset and col.charset != "utf8mb4")


def raw_expression(col: Column) -> str | None:
    """SQL for a normalised column's value as stored, told apart exactly on MySQL and MariaDB alike
    (None for TIMESTAMP: its epoch seconds are what is stored, only the session's time zone changes its text)."""
    q = quote_identifier(col.name)
    if col.data_type in FLOAT_TYPES:
        return f"({q} + 0e0)"  # as DOUBLE: a FLOAT's own text has 6 significant digits
    if col.data_type in TEXT_TYPES:
        return f"CAST({q} AS BINARY)"  # the bytes in the column's own charset
    return None


UTF8_CHARSETS = {"utf8mb4", "utf8mb3", "utf8", "ascii"}
SEPARATOR = "CAST(X'FF' AS BINARY)"
"""Between a row's fields: the byte 0xFF, which no UTF-8 (or ASCII) text holds. As a BINARY value the
whole row text is bytes (a bare X'FF' would be converted to a column's utf8mb4, which MySQL 8+ refuses)."""
NULL_TEXT = "CAST(X'FE' AS BINARY)"
"""A NULL of a text column: 0xFE, which no UTF-8 text is either, so NULL differs from ''."""


def _separator_free(column: Column) -> bool:
    """Whether a column's comparable text can never hold the 0xFF separator: numbers and dates, and text
    stored as UTF-8 or ASCII (a server keeps such columns valid). Binary, BLOB, BIT and text of other
    character sets (latin1's 0xFF is 'ÿ') can."""
    if column.data_type in SEPARATOR_FREE_TYPES or column.data_type == "json":
        return True
    return column.data_type in TEXT_TYPES and (column.charset or "").lower() in UTF8_CHARSETS


def _text_arguments(columns: Sequence[Column], exprs: Sequence[str]) -> list[list[str]]:
    """Per column, its CONCAT_WS(0xFF, ...) arguments in a row text that no two different rows share.

    Numbers, dates and UTF-8 text go as they are (the cheap, common case: nothing added per row); their
    NULL is '' for numbers and dates (which never print empty) and 0xFE for text. A column whose text may
    hold 0xFF is preceded by its length in bytes (LENGTH reads the stored length); NULL has length -1 and
    no value (CONCAT_WS skips NULLs). The last such column needs no length when it is NOT NULL: it is
    what lies between the fields before and after it."""
    open_ = [i for i, c in enumerate(columns) if not _separator_free(c)]
    last = open_[-1] if open_ else None
    out = []
    for i, (c, e) in enumerate(zip(columns, exprs, strict=True)):
        if _separator_free(c):
            empty = "''" if c.data_type in SEPARATOR_FREE_TYPES else NULL_TEXT
            out.append([f"COALESCE({e}, {empty})" if c.nullable else e])
        elif i == last and not c.nullable:
            out.append([e])
        else:
            out.append([f"COALESCE(LENGTH({e}), -1)" if c.nullable else f"LENGTH({e})", e])
    return out


def _row_text(columns: Sequence[Column], settings: DiffSettings) -> str:
    """Every column's comparable value in one string."""
    return _joined(_text_arguments(columns, [column_expression(c, settings)[0] for c in columns]))


def _joined(arguments: Iterable[Sequence[str]]) -> str:
    return f"CONCAT_WS({SEPARATOR}, {', '.join(a for args in arguments for a in args)})"


def _sha2_prefix(text: str) -> str:
    return f"CAST(CONV(SUBSTRING(SHA2({text}, 256), 1, 15), 16, 10) AS UNSIGNED)"


def row_hash_sql(columns: Sequence[Column], settings: DiffSettings) -> str:
    """A 60-bit integer per row from every column: names the rows of a differing chunk.

    SHA2, not MD5: MySQL 9 removed MD5() and SHA1(). SHA2 gives the same value on MySQL and MariaDB
    for the same text. Summed over 1M rows (median of 3): MariaDB 10.11 SHA2 1.0 s, MD5 1.6 s, two
    CRC32s (of the text and its reverse) 0.8 s; MySQL 9.7 SHA2 1.2 s, two CRC32s 1.9 s. CRC32 is
    linear in its input, so a pair of them guards worse against structured changes."""
    return _sha2_prefix(_row_text(columns, settings))


def chunk_hash_sql(columns: Sequence[Column], settings: DiffSettings) -> str:
    """A 32-bit CRC per row, summed per chunk: cheap enough to read whole tables with."""
    return f"CRC32({_row_text(columns, settings)})"


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

    def bounds(self, keys: Sequence[str]) -> dict:
        """{"after": key or None (exclusive), "through": key or None (inclusive)}, JSON-ready."""

        def as_key(t):
            return None if t is None else {k: _jsonable(v) for k, v in zip(keys, t, strict=True)}

        return {"after": as_key(self.lower), "through": as_key(self.upper)}


@dataclass
class ColumnDifference:
    column: str
    source: Any
    target: Any
    cls: str
    """A diagnosis class, a key of quality.diagnosis.CATALOGUE."""

    def to_dict(self) -> dict:
        return {"column": self.column, "source": self.source, "target": self.target, "class": self.cls}

    @classmethod
    def from_dict(cls, d: dict) -> ColumnDifference:
        return cls(d["column"], d.get("source"), d.get("target"), d.get("class", "unexplained"))


@dataclass
class RowDifference:
    key: dict[str, Any]
    kind: str  # one of KINDS
    columns: list[ColumnDifference] = field(default_factory=list)
    """``different``: the columns that differ (rows past max_reported are not attributed)."""
    range: dict | None = None
    """``count_only``: the key range, {"after": key (exclusive), "through": key (inclusive)}, None for no bound."""
    rows_source: int | None = None
    rows_target: int | None = None
    """Rows on each side: of the range (count_only), the table (checksum_only) or the key (duplicate_*)."""

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"key": {k: _jsonable(v) for k, v in self.key.items()}, "kind": self.kind}
        if self.columns:
            d["columns"] = [c.to_dict() for c in self.columns]
        if self.range is not None:
            d["range"] = self.range
        if self.rows_source is not None or self.rows_target is not None:
            d["rows_source"], d["rows_target"] = self.rows_source, self.rows_target
        return d

    @classmethod
    def from_dict(cls, d: dict) -> RowDifference:
        return cls(
            d.get("key", {}),
            d["kind"],
            [ColumnDifference.from_dict(c) for c in d.get("columns", [])],
            d.get("range"),
            d.get("rows_source"),
            d.get("rows_target"),
        )

    def describe(self) -> str:
        """One line for tables and logs: the kind, the key or range, the differing columns and their classes."""
        if self.kind == COUNT_ONLY:
            r = self.range or {}
            return (
                f"count_only keys after {r.get('after')} through {r.get('through')}: {self.rows_source} source "
                f"row(s), {self.rows_target} target row(s), none could be named"
            )
        if self.kind == CHECKSUM_ONLY:
            return f"checksum_only: {self.rows_source} source row(s), {self.rows_target} target row(s)"
        text = f"{self.kind} {self.key}"
        if self.kind in (DUPLICATE_ON_TARGET, DUPLICATE_ON_SOURCE):
            text += f" ({self.rows_source} source row(s), {self.rows_target} target row(s))"
        if self.columns:
            text += ": " + ", ".join(f"{c.column} ({c.cls})" for c in self.columns)
        return text


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (int, float, str)) or v is None:
        return v
    return str(v)


def shown(value: Any, masked: bool = False) -> Any:
    """A value as a result shows it: NULL as None, numbers as they are, binary as 0x-hex, anything longer
    than SHOWN_CHARACTERS cut with an ellipsis and its full length; a masked column's value as MASK."""
    if value is None:
        return None
    if masked:
        return MASK
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (bytes, bytearray)):
        digits = bytes(value).hex()
        if len(digits) > SHOWN_CHARACTERS:
            return f"0x{digits[:SHOWN_CHARACTERS]}… ({len(value)} bytes)"
        return f"0x{digits}"
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    if len(text) > SHOWN_CHARACTERS:
        return f"{text[:SHOWN_CHARACTERS]}… ({len(text)} characters)"
    return text


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
    differences_by_kind: dict[str, int] = field(default_factory=dict)
    """Every confirmed difference (not only the listed ones) per kind."""
    column_classes: dict[str, int] = field(default_factory=dict)
    """Differing columns of the listed ``different`` rows per diagnosis class."""
    hidden_by_normalisation: list[dict] = field(default_factory=list)
    """Per normalised column: {"column", "normalisation", "rows", "capped", "keys"}: rows whose raw values differ
    while their compared (normalised) values matched (counted among the first hidden_rows_limit re-read; "capped"
    when there were more), and a few of their keys."""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["differences"] = [x.to_dict() for x in self.differences]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TableDiff:
        d = dict(d)
        d["differences"] = [RowDifference.from_dict(x) for x in d.get("differences", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class _Pass:
    """What a scan sums per chunk and what it names rows by."""

    crc: str
    names: tuple[str, ...]


@dataclass
class _Found:
    """Suspects of a scan: keys whose rows differ, and differing ranges in which no row could be named."""

    keys: dict[tuple, None] = field(default_factory=dict)
    ranges: list[Range] = field(default_factory=list)


Listing = dict[tuple, list[tuple]]
"""Key -> the names (hash tuples) of every row holding it on one side: a key held twice has two."""

SETTLED = "chunk(s) differed while rows were changing; every differing row matched on recheck"


INEXACT_KEY_TYPES = {"float"}
"""Key column types a key value cannot be matched by: a single-precision FLOAT reaches the client as a short
decimal (0.1) that, sent back, is a DOUBLE (0.1e0) no FLOAT value equals, so no key could be found again."""


def comparison_keys(table: Table) -> list[str]:
    """The columns the comparison orders and names rows by: the primary key, else the first NOT NULL unique
    key, of those with no FLOAT column (INEXACT_KEY_TYPES); none for a table without one."""
    usable = [
        k
        for k in [table.primary_key, *table.unique_not_null_keys()]
        if k is not None
        and not any((c := table.column(name)) is not None and c.data_type in INEXACT_KEY_TYPES for name in k.columns)
    ]
    return list(usable[0].column_names) if usable else []


def integer_key(table: Table) -> str | None:
    """The comparison key's one column when it is a single integer column (cut by value), else None."""
    keys = comparison_keys(table)
    column = table.column(keys[0]) if len(keys) == 1 else None
    return column.name if column is not None and column.data_type in INTEGER_TYPES else None


def merge_table_diffs(parts: Sequence[TableDiff], max_reported: int) -> TableDiff:
    """One table's result from the results of its key ranges (in key order): what a scan of the whole table
    reports, but for its chunks, which are the ranges' (and ``seconds``, their sum)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    listed = [d for p in parts for d in p.differences]
    differences = [d for d in listed if d.kind == COUNT_ONLY] + sorted(
        (d for d in listed if d.kind != COUNT_ONLY), key=lambda d: tuple(map(str, d.key.values()))
    )
    differences = differences[:max_reported]
    by_kind: Counter = Counter()
    for p in parts:
        by_kind.update(p.differences_by_kind)
    merged = TableDiff(
        first.table,
        "mismatch" if any(p.status == "mismatch" for p in parts) else first.status,
        reason=first.reason,
        rows_source=sum(p.rows_source for p in parts),
        rows_target=sum(p.rows_target for p in parts),
        chunks=sum(p.chunks for p in parts),
        chunks_differing=sum(p.chunks_differing for p in parts),
        differences=differences,
        differences_total=sum(p.differences_total for p in parts),
        settled_on_recheck=sum(p.settled_on_recheck for p in parts),
        warnings=list(dict.fromkeys(w for p in parts for w in p.warnings if not w.endswith(SETTLED))),
        normalisations=first.normalisations,
        seconds=round(sum(p.seconds for p in parts), 3),
        differences_by_kind={k: by_kind[k] for k in KINDS if by_kind[k]},
        column_classes=dict(Counter(c.cls for d in differences if d.kind == DIFFERENT for c in d.columns)),
        hidden_by_normalisation=[
            {
                **column[0],
                "rows": sum(h["rows"] for h in column),
                "capped": any(h["capped"] for h in column),
                "keys": [k for h in column for k in h["keys"]][:3],
            }
            for column in zip(*(p.hidden_by_normalisation for p in parts), strict=True)
        ],
    )
    if not merged.differences_total and merged.chunks_differing:
        merged.warnings.append(f"{merged.chunks_differing} {SETTLED}")
    return merged


class TableComparison:
    def __init__(
        self,
        table: Table,
        source: Side,
        target: Side,
        settings: DiffSettings,
        log: Callable[[str], None] = lambda m: None,
        key_range: Range | None = None,
    ):
        self.table, self.source, self.target, self.settings, self.log = table, source, target, settings, log
        self.keys = comparison_keys(table)
        if key_range is not None and not self.keys:
            raise ValueError(f"{table.name} has no key: it is compared whole, not by key range")
        self.key_range = key_range
        """Only the keys of this range are compared (None: the whole table)."""
        self.t = quote_identifier(table.name)
        self.hash = row_hash_sql(table.columns, settings)
        self.crc = chunk_hash_sql(table.columns, settings)
        self.main = _Pass(self.crc, (self.hash,))
        self.order = ", ".join(quote_identifier(k) for k in self.keys)
        self.key_list = ", ".join(quote_identifier(k) for k in self.keys)
        self.integer_key = integer_key(table) is not None
        self.normalised = [
            c for c in table.columns if column_expression(c, settings)[1] and raw_expression(c) is not None
        ]
        self.source_rows: dict[tuple, tuple] = {}
        """Raw source values (in table.columns order) of differing keys, for quality.repair.repair_sql."""
        self.repairable: list[RowDifference] = []
        """Every confirmed keyed difference, up to settings.repair_rows (not only the listed ones)."""
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="diff-side")

    def both(self, fn: Callable[[Side], Any]) -> tuple[Any, Any]:
        """``fn`` on the source and the target at once (each side has its own connection)."""
        s, t = self._pool.submit(fn, self.source), self._pool.submit(fn, self.target)
        return s.result(), t.result()

    # --- checksums -------------------------------------------------------------------------
    def checksum(self, side: Side, rng: Range, p: _Pass | None = None) -> tuple[int, int]:
        """(rows, sum of the rows' CRCs) of ``rng``; a sharded side adds its shards' figures up."""
        where, args = rng.where(self.keys)
        rows = side.rows(f"SELECT COUNT(*), COALESCE(SUM({(p or self.main).crc}), 0) FROM {self.t} WHERE {where}", args)
        return _combine(rows)

    def bucket_checksums(
        self, side: Side, low: int, high: int, width: int, p: _Pass | None = None
    ) -> dict[int, tuple[int, int]]:
        """Checksums of the integer-key buckets [low + i*width, low + (i+1)*width) within [low, high), one query."""
        k = quote_identifier(self.keys[0])
        rows = side.rows(
            f"SELECT ({_minus(k, high - low)}) DIV %s, COUNT(*), COALESCE(SUM({(p or self.main).crc}), 0) "
            f"FROM {self.t} WHERE {k} >= %s AND {k} < %s GROUP BY 1",
            [low, width, low, high],
        )
        out: dict[int, list] = {}
        for bucket, *figures in rows:  # a sharded side returns a row per shard and bucket
            out.setdefault(int(bucket), []).append(figures)
        return {b: _combine(f) for b, f in out.items()}

    def key_bounds(self, side: Side) -> tuple[int, int] | None:
        k = quote_identifier(self.keys[0])
        where, args = self.key_range.where(self.keys) if self.key_range else ("", [])
        sql = f"SELECT MIN({k}), MAX({k}) FROM {self.t}" + (f" WHERE {where}" if where else "")
        rows = [r for r in side.rows(sql, args) if r[0] is not None]
        return (min(int(r[0]) for r in rows), max(int(r[1]) for r in rows)) if rows else None

    def boundary(self, side: Side, rng: Range, offset: int) -> tuple | None:
        """The key ``offset`` rows into ``rng`` on ``side`` (None past the end)."""
        where, args = rng.where(self.keys)
        rows = side.rows(
            f"SELECT {self.key_list} FROM {self.t} WHERE {where} ORDER BY {self.order} LIMIT 1 OFFSET {int(offset)}",
            args,
        )
        if not rows:
            return None
        return min(tuple(r) for r in rows) if len(rows) > 1 else tuple(rows[0])

    def listing(self, side: Side, where: str, args: Sequence[Any], p: _Pass | None = None) -> Listing:
        """The names of the rows matching ``where``, by key; every row of a key held more than once."""
        p = p or self.main
        n = len(self.keys)
        out: Listing = {}
        for r in side.rows(f"SELECT {self.key_list}, {', '.join(p.names)} FROM {self.t} WHERE {where}", args):
            out.setdefault(tuple(r[:n]), []).append(tuple(int(x) for x in r[n:]))
        return out

    def _key_batches(self, keys: Sequence[tuple], size: int = 500) -> Iterable[tuple[str, list]]:
        """(WHERE condition, args) selecting the given keys, per batch."""
        cols = [quote_identifier(k) for k in self.keys]
        target = cols[0] if len(cols) == 1 else f"({', '.join(cols)})"
        one = "%s" if len(cols) == 1 else f"({', '.join(['%s'] * len(cols))})"
        for i in range(0, len(keys), size):
            batch = keys[i : i + size]
            yield f"{target} IN ({', '.join([one] * len(batch))})", [v for key in batch for v in key]

    def row_hashes_of(self, side: Side, keys: Sequence[tuple], p: _Pass | None = None) -> Listing:
        """Row names of the given keys (one query per batch); keys absent on ``side`` are left out."""
        out: Listing = {}
        for where, args in self._key_batches(keys):
            for key, names in self.listing(side, where, args, p).items():
                out.setdefault(key, []).extend(names)
        return out

    # --- the comparison --------------------------------------------------------------------
    def run(self) -> TableDiff:
        started = time.monotonic()
        result = TableDiff(self.table.name, "match", normalisations=normalisations(self.table.columns, self.settings))
        try:
            if not self.keys:
                self._run_keyless(result)
                result.seconds = round(time.monotonic() - started, 3)
                return result
            found = _Found()
            self._scan(result, self.main, found)
            confirmed, ranges, settled = self.recheck(found)
            differences = [
                RowDifference({}, COUNT_ONLY, range=rng.bounds(self.keys), rows_source=s, rows_target=t)
                for rng, s, t in ranges
            ]
            differences += [
                RowDifference(
                    dict(zip(self.keys, key, strict=True)),
                    kind,
                    rows_source=len(s) if kind.startswith("duplicate") else None,
                    rows_target=len(t) if kind.startswith("duplicate") else None,
                )
                for key, kind, s, t in sorted(confirmed, key=lambda x: tuple(map(str, x[0])))
            ]
            result.settled_on_recheck = settled
            result.differences_total = len(differences)
            result.differences_by_kind = dict(Counter(d.kind for d in differences))
            result.differences = differences[: self.settings.max_reported]
            if self.normalised and self.settings.count_hidden_by_normalisation:
                result.hidden_by_normalisation = self.hidden_by_normalisation({k for k, *_ in confirmed})
            self.repairable = [d for d in differences if d.key][: self.settings.repair_rows]
            self._attribute(result)
        finally:
            self._pool.shutdown()
        if differences:
            result.status = "mismatch"
        elif result.chunks_differing:
            result.warnings.append(f"{result.chunks_differing} {SETTLED}")
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _run_keyless(self, result: TableDiff) -> None:
        """A table without a usable key: its whole checksum, re-read after a wait while it differs."""
        result.warnings.append(
            "no primary or NOT NULL unique key to compare by (a key with a FLOAT column cannot be matched "
            "exactly): whole-table checksum only, differing rows cannot be named"
        )
        whole = Range(None, None)
        s, t = self.both(lambda side: self.checksum(side, whole))
        result.rows_source, result.rows_target, result.chunks = s[0], t[0], 1
        if s == t:
            return
        result.chunks_differing = 1
        for _ in range(self.settings.recheck_attempts):
            time.sleep(self.settings.recheck_wait_seconds)
            s, t = self.both(lambda side: self.checksum(side, whole))
            if s == t:
                result.settled_on_recheck = 1
                result.warnings.append(
                    "the table's checksums differed while rows were changing; they matched on recheck"
                )
                return
        d = RowDifference({}, CHECKSUM_ONLY, rows_source=s[0], rows_target=t[0])
        result.status, result.differences, result.differences_total = "mismatch", [d], 1
        result.differences_by_kind = {CHECKSUM_ONLY: 1}

    def _scan(self, result: TableDiff, p: _Pass, found: _Found) -> None:
        if self.integer_key:
            self._scan_integer(result, p, found)
        else:
            self._scan_by_boundaries(result, p, found)

    def _scan_by_boundaries(self, result: TableDiff, p: _Pass, found: _Found) -> None:
        """Any key: chunks of chunk_rows rows cut at the source's keys (within the key range, if any)."""
        lower, end = (self.key_range.lower, self.key_range.upper) if self.key_range else (None, None)
        while True:
            upper = self.boundary(self.source, Range(lower, end), self.settings.chunk_rows - 1)
            rng = Range(lower, end if upper is None else upper)
            s, t = self.both(partial(self.checksum, rng=rng, p=p))
            result.chunks += 1
            result.rows_source += s[0]
            result.rows_target += t[0]
            if s != t:
                result.chunks_differing += 1
                self.narrow(rng, max(s[0], t[0]), p, found)
            if upper is None or upper == end:
                return
            lower = upper

    def _scan_integer(self, result: TableDiff, p: _Pass, found: _Found) -> None:
        """An integer key, cut by value into chunks of about chunk_rows rows. Clean data first: a plain
        checksum per block of block_chunks chunks (no grouping: what a checksum scan costs), the first block
        alone (a probe), then pipelined_queries blocks at a time on each side before they are compared; a
        differing block is re-read in sub-chunks. Once more than dense_drift of a batch's blocks differ, the
        rest is read in sub-chunks straight away, a segment of chunks_per_query chunks per GROUP BY query.
        The differing sub-chunks are then named together."""
        bounds = [b for b in self.both(self.key_bounds) if b is not None]
        if not bounds:
            return
        low, high = min(b[0] for b in bounds), max(b[1] for b in bounds) + 1
        grid = self._grid(low, high)
        suspects: list[tuple[int, int, int]] = []
        """Differing sub-chunks: [low, high) and the larger side's rows."""
        position, batch, by_block = low, 1, True
        while position < high:
            size = grid.width * (self.settings.block_chunks if by_block else self.settings.chunks_per_query)
            group = [(a, min(a + size, high)) for a in range(position, high, size)[:batch]]
            position, batch = group[-1][1], self.settings.pipelined_queries
            if not by_block:
                self._sub_chunks(group, grid, p, result, suspects, count=True)
                continue
            s_all, t_all = self.both(partial(self._sums, spans=group, p=p))
            differing = []
            for (a, b), s, t in zip(group, s_all, t_all, strict=True):
                result.rows_source += s[0]
                result.rows_target += t[0]
                result.chunks += -(-(b - a) // grid.width) if s[0] or t[0] else 0
                if s != t:
                    differing.append((a, b))
            self._sub_chunks(differing, grid, p, result, suspects, count=False)
            by_block = len(differing) <= self.settings.dense_drift * len(group)
        small = [(lo, hi) for lo, hi, rows in suspects if not self._large(lo, hi, rows)]
        for lo, hi, rows in suspects:
            if self._large(lo, hi, rows):
                self.narrow_integer(lo, hi, rows, p, found)
        self._name_leaves(small, p, found)

    def _sub_chunks(
        self,
        spans: Sequence[tuple[int, int]],
        grid: _Grid,
        p: _Pass,
        result: TableDiff,
        suspects: list[tuple[int, int, int]],
        count: bool,
    ) -> None:
        """Read ``spans`` (whole chunks each) in sub-chunks, one GROUP BY query per span, pipelined_queries
        at a time on each side; the differing sub-chunks join ``suspects``. ``count``: the spans are read
        for the first time (their rows and chunks are counted)."""
        for group in _batches(spans, self.settings.pipelined_queries):
            s_all, t_all = self.both(partial(self._segments, segments=group, width=grid.sub_width, p=p))
            for (start, end), s, t in zip(group, s_all, t_all, strict=True):
                differing: set[int] = set()
                for bucket in sorted(s.keys() | t.keys()):
                    a, b = s.get(bucket, (0, 0)), t.get(bucket, (0, 0))
                    if count:
                        result.rows_source += a[0]
                        result.rows_target += b[0]
                    if a != b:
                        differing.add(bucket // grid.subs)
                        lo = start + bucket * grid.sub_width
                        suspects.append((lo, min(lo + grid.sub_width, end), max(a[0], b[0])))
                if count:
                    result.chunks += len({bucket // grid.subs for bucket in s.keys() | t.keys()})
                result.chunks_differing += len(differing)

    def _large(self, low: int, high: int, rows: int) -> bool:
        """Whether a differing range is split further before its leaves are checksummed."""
        return rows > self.settings.fetch_rows * self.settings.leaf_keys and high - low > self.settings.fanout

    def _grid(self, low: int, high: int) -> _Grid:
        """How the key span [low, high) is cut: chunks of at most about chunk_rows rows (from the table's
        estimated density), each in sub-chunks that are whole leaves when wider than a leaf."""
        density = max(self.table.rows_estimate, 1) / (high - low)
        width = max(1, int(self.settings.chunk_rows / min(max(density, 1e-9), 1.0)))
        subs = max(1, min(width, self.settings.scan_groups // max(1, self.settings.chunks_per_query)))
        sub_width = width // subs  # rounded down: a chunk never holds more than chunk_rows rows
        leaf = self.settings.leaf_keys
        if sub_width > leaf:
            sub_width = sub_width // leaf * leaf
        return _Grid(sub_width * subs, subs, sub_width)

    def narrow_integer(self, low: int, high: int, rows: int, p: _Pass, found: _Found) -> None:
        """Split the differing key range [low, high) by value (one GROUP BY per side and step) down to
        fetch_rows rows, then name the differing keys."""
        if not self._large(low, high, rows):
            return self._name_leaves([(low, high)], p, found)
        parts = min(self.settings.fanout, max(2, -(-rows // (self.settings.fetch_rows * self.settings.leaf_keys))))
        width = max(1, -(-(high - low) // parts))
        s, t = self.both(lambda side: self.bucket_checksums(side, low, high, width, p))
        for bucket in sorted(s.keys() | t.keys()):
            a, b = s.get(bucket, (0, 0)), t.get(bucket, (0, 0))
            if a != b:
                lo = low + bucket * width
                self.narrow_integer(lo, min(lo + width, high), max(a[0], b[0]), p, found)

    def _name_leaves(self, ranges: Sequence[tuple[int, int]], p: _Pass, found: _Found) -> None:
        """Name the differing keys of integer key ranges [low, high) of at most fetch_rows x leaf_keys rows
        each: checksums of every leaf_keys keys (ranges batched so that a query returns at most fetch_rows
        leaves), then the rows of the differing leaves only, each side running its queries on its own. Many
        scattered differences cost a fraction of fetching every row's hash. A differing leaf none of whose
        rows differs is kept as a range."""
        width = self.settings.leaf_keys
        batches: list[list[tuple[int, int]]] = [[]]
        leaves = 0
        for lo, hi in sorted(ranges):
            n = -(-(hi - lo) // width)
            if batches[-1] and (
                leaves + n > self.settings.fetch_rows or len(batches[-1]) >= self.settings.ranges_per_query
            ):
                batches.append([])
                leaves = 0
            batches[-1].append((lo, hi))
            leaves += n
        k = quote_identifier(self.keys[0])
        for group in _batches([b for b in batches if b], self.settings.pipelined_queries):
            s_all, t_all = self.both(partial(self._leaves, batches=group, p=p))
            differing: list[tuple[int, int]] = []
            for batch, s, t in zip(group, s_all, t_all, strict=True):
                base, starts = batch[0][0], [lo for lo, _ in batch]
                for leaf in sorted(s.keys() | t.keys()):
                    if s.get(leaf, (0, 0)) != t.get(leaf, (0, 0)):
                        a = base + leaf * width
                        # the leaf within its range: never a key of another range (or another part's)
                        i = max(0, bisect.bisect_right(starts, a) - 1)
                        while i < len(batch) and batch[i][0] < a + width:
                            lo, hi = batch[i]
                            if max(a, lo) < min(a + width, hi):
                                differing.append((max(a, lo), min(a + width, hi)))
                            i += 1
            differing.sort()
            per_query = max(1, min(self.settings.fetch_rows // width, self.settings.ranges_per_query))
            queries = [
                (
                    " OR ".join([f"({k} >= %s AND {k} < %s)"] * len(chunk)),
                    [v for pair in chunk for v in pair],
                )
                for chunk in _batches(differing, per_query)
            ]
            src, tgt = self.both(partial(self._listings, queries=queries, p=p))
            named = _differing(src, tgt)
            found.keys.update(dict.fromkeys(named))
            starts = [a for a, _ in differing]
            named_leaves = {bisect.bisect_right(starts, int(key[0])) - 1 for key in named}
            found.ranges += [Range((a - 1,), (b - 1,)) for i, (a, b) in enumerate(differing) if i not in named_leaves]

    def _segments(
        self, side: Side, segments: Sequence[tuple[int, int]], width: int, p: _Pass
    ) -> list[dict[int, tuple[int, int]]]:
        """bucket_checksums of each segment [low, high), one query each, on one side."""
        return [self.bucket_checksums(side, low, high, width, p) for low, high in segments]

    def _sums(self, side: Side, spans: Sequence[tuple[int, int]], p: _Pass) -> list[tuple[int, int]]:
        """The checksum of each integer key span [low, high), one query each, on one side."""
        return [self.checksum(side, Range((low - 1,), (high - 1,)), p) for low, high in spans]

    def _leaves(self, side: Side, batches: Sequence[Sequence[tuple[int, int]]], p: _Pass) -> list[dict]:
        return [self._leaf_checksums(side, batch, p) for batch in batches]

    def _listings(self, side: Side, queries: Sequence[tuple[str, list]], p: _Pass) -> Listing:
        return _merged(self.listing(side, where, args, p) for where, args in queries)

    def _leaf_checksums(self, side: Side, ranges: Sequence[tuple[int, int]], p: _Pass) -> dict[int, tuple[int, int]]:
        """(rows, sum) per leaf ((key - the first range's low) DIV leaf_keys) of the given key ranges (in key
        order), one query."""
        k = quote_identifier(self.keys[0])
        cond = " OR ".join([f"({k} >= %s AND {k} < %s)"] * len(ranges))
        span = ranges[-1][1] - ranges[0][0]
        rows = side.rows(
            f"SELECT ({_minus(k, span)}) DIV %s, COUNT(*), COALESCE(SUM({p.crc}), 0) FROM {self.t} "
            f"WHERE {cond} GROUP BY 1",
            [ranges[0][0], self.settings.leaf_keys, *(v for pair in ranges for v in pair)],
        )
        out: dict[int, list] = {}
        for leaf, *figures in rows:
            out.setdefault(int(leaf), []).append(figures)
        return {leaf: _combine(f) for leaf, f in out.items()}

    def _name_range(self, rng: Range, p: _Pass, found: _Found) -> None:
        named = _differing(*self.both(lambda side: self.listing(side, *rng.where(self.keys), p)))
        found.keys.update(dict.fromkeys(named))
        if not named:
            found.ranges.append(rng)

    def narrow(self, rng: Range, rows: int, p: _Pass | None = None, found: _Found | None = None) -> _Found:
        """Split a differing range until it is small, then name the differing keys."""
        p, found = p or self.main, found if found is not None else _Found()
        if rows <= self.settings.narrow_rows:
            self._name_range(rng, p, found)
            return found
        s_count = self.checksum(self.source, rng, p)[0]
        side, count = (self.source, s_count) if s_count * 2 >= rows else (self.target, rows)
        middle = self.boundary(side, rng, count // 2 - 1)
        if middle is None or middle == rng.upper:
            # Cannot split further on this side (all rows beyond the source's): compare directly in pieces.
            middle = self.boundary(self.target, rng, rows // 2 - 1)
            if middle is None or middle == rng.upper:
                return self.narrow(rng, 0, p, found)
        for part in (Range(rng.lower, middle), Range(middle, rng.upper)):
            s, t = self.both(partial(self.checksum, rng=part, p=p))
            if s != t:
                self.narrow(part, max(s[0], t[0]), p, found)
        return found

    def recheck(
        self, found: _Found, p: _Pass | None = None
    ) -> tuple[list[tuple[tuple, str, list, list]], list[tuple[Range, int, int]], int]:
        """Keep only what still differs after replication had time to apply pending changes: keys as
        (key, kind, source names, target names), ranges as (range, source rows, target rows), and how
        many suspects settled. A range that still differs is listed again: rows named now join the keys."""
        p = p or self.main
        keys, ranges = list(found.keys), list(found.ranges)
        seen = len(keys) + len(ranges)
        still_keys: list[tuple[tuple, str, list, list]] = []
        still_ranges: list[tuple[Range, int, int]] = []
        for attempt in range(max(1, self.settings.recheck_attempts)):
            if attempt:
                time.sleep(self.settings.recheck_wait_seconds)
            still_ranges = []
            for rng in ranges:
                s, t = self.both(partial(self.checksum, rng=rng, p=p))
                if s == t:
                    continue
                where, args = rng.where(self.keys)
                listings = self.both(partial(self.listing, where=where, args=args, p=p))
                named = [k for k in _differing(*listings) if k not in keys]
                keys += named
                seen += len(named)
                if not named:
                    still_ranges.append((rng, s[0], t[0]))
            ranges = [r for r, _, _ in still_ranges]
            src, tgt = self.both(partial(self.row_hashes_of, keys=keys, p=p)) if keys else ({}, {})
            still_keys = []
            for key in keys:
                s_names, t_names = src.get(key, []), tgt.get(key, [])
                kind = _kind(s_names, t_names)
                if kind:
                    still_keys.append((key, kind, s_names, t_names))
            keys = [k for k, *_ in still_keys]
            if not keys and not ranges:
                break
        return still_keys, still_ranges, seen - len(still_keys) - len(still_ranges)

    # --- what lies behind the differences ----------------------------------------------------
    def hidden_by_normalisation(self, differing: set[tuple]) -> list[dict]:
        """Rows whose normalised columns' raw values differ although the compared row matched, per column:
        the same chunked scan over those columns' raw values only, then the first hidden_rows_limit differing keys
        rechecked."""
        cols = self.normalised
        raws = [raw_expression(c) or quote_identifier(c.name) for c in cols]
        p = _Pass(
            f"CRC32({_joined(_text_arguments(cols, raws))})",
            tuple(_sha2_prefix(_joined(_text_arguments([c], [e]))) for c, e in zip(cols, raws, strict=True)),
        )
        found = _Found()
        self._scan(TableDiff(self.table.name, "match"), p, found)
        suspects = [k for k in found.keys if k not in differing]
        limit = self.settings.hidden_rows_limit
        confirmed, _, _ = self.recheck(_Found(dict.fromkeys(suspects[:limit])), p)
        hidden: dict[str, list[tuple]] = {c.name: [] for c in cols}
        for key, kind, s, t in confirmed:
            if kind != DIFFERENT:
                continue  # a row missing on one side is a difference of the compared values already
            for c, a, b in zip(cols, s[0], t[0], strict=True):
                if a != b:
                    hidden[c.name].append(key)
        notes = {c.name: column_expression(c, self.settings)[1] for c in cols}
        return [
            {
                "column": c.name,
                "normalisation": notes[c.name],
                "rows": len(hidden[c.name]),
                "capped": len(suspects) > limit,
                "keys": [
                    {k: _jsonable(v) for k, v in zip(self.keys, key, strict=True)} for key in sorted(hidden[c.name])[:3]
                ],
            }
            for c in cols
        ]

    def full_rows(self, side: Side, keys: Sequence[tuple]) -> dict[tuple, list[tuple[tuple, tuple]]]:
        """Per key, every row holding it on ``side`` as (comparable texts, raw values), in table.columns order."""
        cols = self.table.columns
        pieces = [
            _joined([args]) for args in _text_arguments(cols, [column_expression(c, self.settings)[0] for c in cols])
        ]
        # TIMESTAMP as epoch seconds (shown in UTC); FLOAT/DOUBLE as DOUBLE with every digit (a FLOAT's own
        # text has 6 significant digits, so two values a copy made differ would print alike)
        raws = [
            f"UNIX_TIMESTAMP({quote_identifier(c.name)})"
            if c.data_type == "timestamp"
            else f"({quote_identifier(c.name)} + 0e0)"
            if c.data_type in FLOAT_TYPES
            else quote_identifier(c.name)
            for c in cols
        ]
        select = ", ".join(f"{a}, {b}" for a, b in zip(pieces, raws, strict=True))
        n = len(self.keys)
        out: dict[tuple, list[tuple[tuple, tuple]]] = {}
        for where, args in self._key_batches(keys):
            for r in side.rows(f"SELECT {self.key_list}, {select} FROM {self.t} WHERE {where}", args):
                values = r[n:]
                raw = tuple(
                    _utc(v) if c.data_type == "timestamp" else v for c, v in zip(cols, values[1::2], strict=True)
                )
                out.setdefault(tuple(r[:n]), []).append((tuple(values[0::2]), raw))
        return out

    def _attribute(self, result: TableDiff) -> None:
        """Name the differing columns of the listed ``different`` rows (both values, a diagnosis) and keep
        the source rows the repair script needs: one batched query per side."""
        listed = [d for d in result.differences if d.kind == DIFFERENT]
        needs_source = [d for d in self.repairable if d.kind in (MISSING_ON_TARGET, DIFFERENT, DUPLICATE_ON_TARGET)]
        listed_keys = [tuple(d.key[k] for k in self.keys) for d in listed]
        source_keys = list(dict.fromkeys(listed_keys + [tuple(d.key[k] for k in self.keys) for d in needs_source]))
        if not source_keys:
            return
        src, tgt = self.both(lambda side: self.full_rows(side, source_keys if side is self.source else listed_keys))
        self.source_rows = {key: rows[0][1] for key, rows in src.items() if len(rows) == 1}
        classes: Counter = Counter()
        for d, key in zip(listed, listed_keys, strict=True):
            if len(src.get(key, [])) != 1 or len(tgt.get(key, [])) != 1:
                continue  # changed since the recheck
            (s_text, s_raw), (t_text, t_raw) = src[key][0], tgt[key][0]
            for c, a, b, x, y in zip(self.table.columns, s_text, t_text, s_raw, t_raw, strict=True):
                if a != b:
                    cls = diagnose(c, x, y)
                    masked = c.name.lower() in self.settings.masked_columns
                    d.columns.append(ColumnDifference(c.name, shown(x, masked), shown(y, masked), cls))
                    classes[cls] += 1
        result.column_classes = dict(classes)


def _utc(epoch: Any) -> dt.datetime | None:
    """A TIMESTAMP's epoch seconds as a UTC DATETIME, whatever the session's time zone."""
    if epoch is None:
        return None
    seconds = Decimal(str(epoch))
    whole = int(seconds)
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=whole, microseconds=int((seconds - whole) * 1_000_000))


def _kind(source: list, target: list) -> str | None:
    """How a key's rows differ, from their names on each side (None: they match)."""
    if sorted(source) == sorted(target):
        return None
    if len(target) > 1 and len(target) >= len(source):
        return DUPLICATE_ON_TARGET
    if len(source) > 1:
        return DUPLICATE_ON_SOURCE
    if not target:
        return MISSING_ON_TARGET
    if not source:
        return EXTRA_ON_TARGET
    return DIFFERENT


def _differing(src: Listing, tgt: Listing) -> list[tuple]:
    """Keys whose rows differ between two listings (a key held twice on a side always does)."""
    return sorted(
        (k for k in src.keys() | tgt.keys() if _kind(src.get(k, []), tgt.get(k, []))), key=lambda k: tuple(map(str, k))
    )


SIGNED_BIGINT_MAX = 2**63 - 1


def _minus(key: str, span: int) -> str:
    """SQL for ``key - %s`` over keys less than ``span`` past the subtrahend: in MySQL's integer arithmetic
    while the difference fits a signed BIGINT, in DECIMAL past that (a signed BIGINT key from near -2^63 to
    near 2^63, where the integer subtraction fails with "BIGINT value is out of range")."""
    return f"{key} - %s" if span <= SIGNED_BIGINT_MAX else f"CAST({key} AS DECIMAL(20)) - %s"


def _combine(rows: Sequence[Sequence]) -> tuple[int, int]:
    """One (rows, sum) from a row per shard."""
    return sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)


@dataclass(frozen=True)
class _Grid:
    """An integer key span's cut: chunks of ``width`` keys, each of ``subs`` sub-chunks of ``sub_width`` keys."""

    width: int
    subs: int
    sub_width: int


def _batches(items: Sequence, size: int) -> list[list]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _merged(listings: Iterable[Listing]) -> Listing:
    out: Listing = {}
    for listing in listings:
        for key, names in listing.items():
            out.setdefault(key, []).extend(names)
    return out
