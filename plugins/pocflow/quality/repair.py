"""The SQL that would make the target's differing rows equal to the source's: written for a person to
review and run, never run by pocflow. Pure: the table, the confirmed differences and the source's rows in,
the script's text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pocflow.quality.diff import (
    CHECKSUM_ONLY,
    COUNT_ONLY,
    DIFFERENT,
    DUPLICATE_ON_SOURCE,
    DUPLICATE_ON_TARGET,
    EXTRA_ON_TARGET,
    MISSING_ON_TARGET,
    RowDifference,
    comparison_keys,
)
from pocflow.source.inventory import Table
from pocflow.sql import quote_identifier, sql_literal


def repair_sql(
    table: Table,
    differences: Sequence[RowDifference],
    source_rows: Mapping[tuple, Sequence[Any]],
    *,
    run: str,
    key: Sequence[str] | None = None,
) -> str:
    """SQL making the target equal to the source for the differing keys: INSERT a row missing on the
    target, DELETE a row only on the target, UPDATE the differing columns of a different row (every
    column when its columns were not named), DELETE and INSERT a key held twice on the target.

    ``source_rows`` maps a key tuple to the source row's raw values in ``table.columns`` order; the key is
    the table's primary key (or first NOT NULL unique key) unless given. Differences that no key can
    repair (count_only, checksum_only, a key duplicated on the source) are listed as comments."""
    if key is None:
        key = comparison_keys(table)
    t = quote_identifier(table.name)
    writable = [c for c in table.columns if not c.generated]
    lines = [
        f"-- Repair of {t} on the target: makes the target's rows equal to the source's for the differences below.",
        f"-- Written by pocflow's validation for run {run}; never run. Review it, then run it on the target.",
        f"-- {len(differences)} difference(s).",
        "-- the text literals below are UTF-8",
        "SET NAMES utf8mb4;",
    ]
    if any(c.data_type == "timestamp" for c in table.columns):
        lines += ["-- the TIMESTAMP values below are UTC", "SET time_zone = '+00:00';"]
    for d in differences:
        lines.append("")
        lines.append(f"-- {d.describe()}")
        if d.kind in (COUNT_ONLY, CHECKSUM_ONLY, DUPLICATE_ON_SOURCE) or not key:
            lines.append("-- not repairable by key: compare the rows of this range on both sides by hand")
            continue
        where = " AND ".join(f"{quote_identifier(k)} = {sql_literal(d.key[k])}" for k in key)
        if d.kind == EXTRA_ON_TARGET:
            lines.append(f"DELETE FROM {t} WHERE {where};")
            continue
        row = source_rows.get(tuple(d.key[k] for k in key))
        if row is None:
            lines.append(
                "-- skipped: the source row was not kept (more differences than the comparison's "
                "repair_rows, or the row is gone from the source)"
            )
            continue
        values = {c.name: v for c, v in zip(table.columns, row, strict=True)}
        insert = (
            f"INSERT INTO {t} ({', '.join(quote_identifier(c.name) for c in writable)}) VALUES "
            f"({', '.join(sql_literal(values[c.name]) for c in writable)});"
        )
        if d.kind == MISSING_ON_TARGET:
            lines.append(insert)
        elif d.kind == DUPLICATE_ON_TARGET:
            lines += [f"DELETE FROM {t} WHERE {where};", insert]
        elif d.kind == DIFFERENT:
            named = {c.column for c in d.columns}
            keys = {k.lower() for k in key}
            columns = [c for c in writable if (c.name in named if named else c.name.lower() not in keys)]
            if not columns:
                lines.append("-- nothing to write: only generated columns differ; the target computes them")
                continue
            sets = ", ".join(f"{quote_identifier(c.name)} = {sql_literal(values[c.name])}" for c in columns)
            lines.append(f"UPDATE {t} SET {sets} WHERE {where};")
    return "\n".join(lines) + "\n"
