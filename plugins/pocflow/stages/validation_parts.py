"""Validation in parts: one part per imported table and, for a table over ``validation.rows_per_part`` rows
with a single integer key, one part per key range. Parts run apart (each its own Airflow task, spread over
the workers) or one after the other (the CLI); either way they merge into the same result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pocflow.quality.diff import Range, TableDiff, comparison_keys, integer_key
from pocflow.source.inventory import Table

TABLE, RANGE, CHECKS = "table", "range", "checks"
"""What a part does: a whole table's rows and its checks; one key range's rows; a split table's checks."""


@dataclass(frozen=True)
class ValidationPart:
    """A table of a workflow, one key range of it (keys above ``low`` (exclusive) through ``high``
    (inclusive), None for no bound), or, for a table cut into ranges, its checks made once per table
    (schema, aggregates and expectations) as a part of their own, so they run beside the ranges."""

    workflow: str
    target_keyspace: str
    table: str
    index: int = 0
    of: int = 1
    low: int | None = None
    high: int | None = None
    note: str = ""
    """Why a large table was not split, when it was not."""
    kind: str = ""
    """TABLE, RANGE or CHECKS; left empty, RANGE for one of several parts (``of`` > 1), else TABLE."""

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", RANGE if self.of > 1 else TABLE)

    @property
    def ranged(self) -> bool:
        return self.kind == RANGE

    @property
    def compares_rows(self) -> bool:
        return self.kind != CHECKS

    @property
    def checks_table(self) -> bool:
        """Whether this part checks the table's schema, aggregates and expectations."""
        return self.kind != RANGE

    @property
    def name(self) -> str:
        """The table, ``<table>.<index>`` for a key range, ``<table>.checks``: names its stored result and its
        repair script."""
        if self.kind == CHECKS:
            return f"{self.table}.checks"
        return f"{self.table}.{self.index}" if self.ranged else self.table

    def key_range(self) -> Range | None:
        if not self.ranged:
            return None
        return Range(None if self.low is None else (self.low,), None if self.high is None else (self.high,))

    def label(self) -> str:
        """The table and its keys, for logs and the mapped task's name."""
        if self.kind == CHECKS:
            return f"{self.table} checks (schema, aggregates, expectations)"
        if not self.ranged:
            return self.table
        low = "" if self.low is None else f"{self.low} < "
        high = "" if self.high is None else f" <= {self.high}"
        return f"{self.table} [{self.index + 1}/{self.of}] {low}key{high}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ValidationPart:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class PartResult:
    """What one part found: the comparison of its rows (none for a CHECKS part) and, for a part that makes
    them, the checks per table."""

    part: ValidationPart
    table: TableDiff | None
    schema: list[str] | None = None
    aggregates: list[str] | None = None
    expectations: list[dict] = field(default_factory=list)
    repair_script: str | None = None
    """Where the SQL that would make this part's rows equal on the target lies (never run)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part.to_dict(),
            "table": self.table.to_dict() if self.table is not None else None,
            "schema": self.schema,
            "aggregates": self.aggregates,
            "expectations": self.expectations,
            "repair_script": self.repair_script,
        }

    @classmethod
    def from_dict(cls, d: dict) -> PartResult:
        return cls(
            ValidationPart.from_dict(d["part"]),
            TableDiff.from_dict(d["table"]) if d.get("table") is not None else None,
            d.get("schema"),
            d.get("aggregates"),
            d.get("expectations", []),
            d.get("repair_script"),
        )


def key_ranges(low: int, high: int, parts: int) -> list[tuple[int | None, int | None]]:
    """``parts`` ranges of equal width over the keys ``low`` through ``high`` as (after, through); the first is
    open below and the last open above, so keys outside [low, high] by the time they are read are covered.
    Fewer parts when there are fewer keys."""
    span = high - low + 1
    parts = max(1, min(parts, span))
    width = -(-span // parts)
    cuts = [c for c in (low - 1 + i * width for i in range(1, parts)) if c < high]
    bounds: list[int | None] = [None, *cuts, None]
    return list(zip(bounds, bounds[1:], strict=False))


def table_parts(
    workflow: str,
    keyspace: str,
    table: Table,
    rows_per_part: int,
    key_bounds: Callable[[str], tuple[int, int] | None],
) -> list[ValidationPart]:
    """The parts of one table. ``key_bounds(column)`` reads MIN and MAX of the key on the source (None: no
    rows); it is asked only for a table that splits. A split table's checks come first: they take longer than
    a range, and parts start in plan order."""
    whole = ValidationPart(workflow, keyspace, table.name)
    if not rows_per_part or table.rows_estimate <= rows_per_part:
        return [whole]
    key = integer_key(table)
    if key is None:
        keys = comparison_keys(table)
        shape = f"its key ({', '.join(keys)}) is not a single integer column" if keys else "it has no key"
        return [ValidationPart(workflow, keyspace, table.name, note=f"over {rows_per_part:,} rows, but {shape}")]
    bounds = key_bounds(key)
    if bounds is None:
        return [ValidationPart(workflow, keyspace, table.name, note="no rows on the source")]
    ranges = key_ranges(*bounds, -(-table.rows_estimate // rows_per_part))
    if len(ranges) == 1:
        return [whole]
    return [ValidationPart(workflow, keyspace, table.name, 0, len(ranges), kind=CHECKS)] + [
        ValidationPart(workflow, keyspace, table.name, i, len(ranges), low, high)
        for i, (low, high) in enumerate(ranges)
    ]


AIRFLOW_MAX_MAP_LENGTH = 1024
"""Airflow's default ``core.max_map_length``: how many tasks one task's output may map to."""


def batches(parts: Sequence[ValidationPart], limit: int) -> list[list[ValidationPart]]:
    """The parts as at most ``limit`` mapped tasks (Airflow fails a task whose output would map more than
    its ``core.max_map_length``, AIRFLOW_MAX_MAP_LENGTH by default: a schema of thousands of tables, or a
    table of billions of rows, plans more parts than that). One part per task while they fit; past that, the
    parts dealt out in turn, so each task gets its share of the long parts (a split table's checks, planned
    first) and each runs its parts one after the other. Every part lands in exactly one batch, in plan order
    within it."""
    if limit < 1:
        raise ValueError(f"at least one task for the parts, not {limit}")
    if len(parts) <= limit:
        return [[p] for p in parts]
    out: list[list[ValidationPart]] = [[] for _ in range(limit)]
    for i, p in enumerate(parts):
        out[i % limit].append(p)
    return out
