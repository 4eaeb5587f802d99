"""Column aggregates compared exactly, source against target: a check that can fail.

Per table, one query per side (per shard on the target, combined): the row count, every column's
NULL count, MIN and MAX of numeric and temporal columns, the SUM of numeric columns, and, on the
target, the number of distinct keys. FLOAT/DOUBLE go through the comparison's own normalisation
(rounded, as DECIMAL) so their sums are exact and order-free; integers and DECIMAL are summed exactly
by the servers. A key held twice on the target (a row on two shards, a lost unique key) shows as more
distinct keys than the source has rows, even when the row counts agree. The source is not asked for
its distinct keys: the comparison key is its primary key or a unique NOT NULL key, so there they
number its rows (COUNT(DISTINCT) would cost the production server a deduplication of every key).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from pocflow.quality.diff import FLOAT_TYPES, DiffSettings, Side, column_expression
from pocflow.source.inventory import Table
from pocflow.sql import quote_identifier

NUMERIC_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", *FLOAT_TYPES}
TEMPORAL_TYPES = {"date", "datetime", "timestamp", "time", "year"}


@dataclass
class TableAggregates:
    rows: int
    nulls: dict[str, int] = field(default_factory=dict)
    minimum: dict[str, str | None] = field(default_factory=dict)
    maximum: dict[str, str | None] = field(default_factory=dict)
    total: dict[str, str | None] = field(default_factory=dict)
    distinct_keys: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Measure:
    name: str  # rows, nulls, minimum, maximum, total, distinct_keys
    column: str | None
    sql: str


def measures(
    table: Table, keys: Sequence[str], settings: DiffSettings, *, count_distinct: bool = True
) -> list[_Measure]:
    out = [_Measure("rows", None, "COUNT(*)")]
    for c in table.columns:
        q = quote_identifier(c.name)
        if c.nullable:
            out.append(_Measure("nulls", c.name, f"SUM({q} IS NULL)"))
        value = column_expression(c, settings)[0] if c.data_type in FLOAT_TYPES else q
        if c.data_type in NUMERIC_TYPES or c.data_type in TEMPORAL_TYPES:
            out += [_Measure("minimum", c.name, f"MIN({value})"), _Measure("maximum", c.name, f"MAX({value})")]
        if c.data_type in NUMERIC_TYPES:
            out.append(_Measure("total", c.name, f"SUM({value})"))
    if keys and count_distinct:
        out.append(_Measure("distinct_keys", None, f"COUNT(DISTINCT {', '.join(quote_identifier(k) for k in keys)})"))
    return out


DECIMAL_DIGITS = 200
"""Digits Python's decimal arithmetic keeps while the shards' figures are combined and written out: past
MySQL's largest DECIMAL (65 digits) and its sums, so nothing is rounded (the default context keeps 28, which
would round a DECIMAL(36,18) sum on one side and not the other, or hide a difference past the 28th digit)."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        with decimal.localcontext(prec=DECIMAL_DIGITS):
            return format(value.normalize(), "f")
    return str(value)


def _order(value: Any) -> Any:
    """Sort key for one column's values across shards, as MySQL orders them. A zero or partly zero date
    ('0000-00-00', '2020-00-00') comes back as text while the column's other values are dates: dates and
    datetimes are compared as the same ISO text, where '0000-00-00' sorts first as it does in MySQL."""
    return str(value) if isinstance(value, (dt.date, str)) else value


def read(
    side: Side, table: Table, keys: Sequence[str], settings: DiffSettings, *, keys_unique: bool = False
) -> TableAggregates:
    """The table's aggregates on ``side``; a sharded side's rows (one per shard) are combined.
    ``keys_unique``: the side's own index keeps ``keys`` unique (the source), so its distinct keys are
    its rows and are not counted."""
    ms = measures(table, keys, settings, count_distinct=not keys_unique)
    rows = side.rows(f"SELECT {', '.join(m.sql for m in ms)} FROM {quote_identifier(table.name)}")
    out = TableAggregates(rows=0, distinct_keys=0 if keys else None)
    for i, m in enumerate(ms):
        values = [r[i] for r in rows]
        present = [v for v in values if v is not None]
        if m.name == "rows":
            out.rows = sum(int(v) for v in present)
        elif m.name == "distinct_keys":
            out.distinct_keys = sum(int(v) for v in present)
        else:
            column = m.column
            assert column is not None, "every other measure is of one column"
            if m.name == "nulls":
                out.nulls[column] = sum(int(v) for v in present)
            elif m.name == "minimum":
                out.minimum[column] = _text(min(present, key=_order)) if present else None
            elif m.name == "maximum":
                out.maximum[column] = _text(max(present, key=_order)) if present else None
            else:
                with decimal.localcontext(prec=DECIMAL_DIGITS):
                    out.total[column] = _text(sum(present)) if present else None
    if keys and keys_unique:
        out.distinct_keys = out.rows
    return out


def differences(source: TableAggregates, target: TableAggregates, masked: frozenset[str] = frozenset()) -> list[str]:
    """Every aggregate that is not equal on both sides, as 'what: source X, target Y' (for a ``masked``
    column only that it differs)."""
    out = []
    if source.rows != target.rows:
        out.append(f"rows: source {source.rows:,}, target {target.rows:,}")
    if source.distinct_keys is not None and source.distinct_keys != target.distinct_keys:
        out.append(f"distinct keys: source {source.distinct_keys:,}, target {target.distinct_keys:,}")
    for label, a, b in (
        ("NULLs", source.nulls, target.nulls),
        ("MIN", source.minimum, target.minimum),
        ("MAX", source.maximum, target.maximum),
        ("SUM", source.total, target.total),
    ):
        for column in a:
            if a[column] != b.get(column):
                out.append(
                    f"{label}({column}): differs (values masked)"
                    if column.lower() in masked
                    else f"{label}({column}): source {a[column]}, target {b.get(column)}"
                )
    return out
