"""Great Expectations 1.x suites on source and target, generated from the schema and a profile of the source.

Per table: the row count within a tolerance of the source's, NOT NULL where the schema says so,
uniqueness of unique keys, and numeric value ranges seen on the source. An
engagement can add suites of its own as GX JSON files under include/expectations/<engagement>/.
The target is checked shard by shard (through vtgate, ``keyspace:shard@replica``, in Vitess's streaming
OLAP mode: a check of a large table outlasts a tablet's 30 s limit for a query); the row count is checked on
the sum of the shards, the other expectations on each shard.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy.dialects.mysql.reserved_words import RESERVED_WORDS_MARIADB, RESERVED_WORDS_MYSQL

from pocflow.connections import Endpoint
from pocflow.engagement import PROJECT_ROOT
from pocflow.quality.aggregates import TableAggregates
from pocflow.quality.diff import INTEGER_TYPES
from pocflow.source.inventory import Table
from pocflow.sql import quote_identifier

NUMERIC_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "float", "double"}
EXTRA_SUITES_DIR = PROJECT_ROOT / "include" / "expectations"


@dataclass
class TableProfile:
    rows: int
    ranges: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def profile_from_aggregates(table: Table, aggregates: TableAggregates, float_decimals: int) -> TableProfile:
    """The source's profile from its aggregates already read (no second scan of the production table): its
    row count and its numeric columns' MIN and MAX. Integers come
    back exact; FLOAT/DOUBLE were compared rounded to ``float_decimals`` places, so their range is
    widened by one unit of that place (a stored value a rounded bound would cut off stays inside)."""
    ranges: dict[str, tuple[Any, Any]] = {}
    unit = 10.0**-float_decimals
    for c in table.columns:
        if c.data_type not in NUMERIC_TYPES:
            continue
        lo, hi = aggregates.minimum.get(c.name), aggregates.maximum.get(c.name)
        if lo is None or hi is None:
            continue
        if c.data_type in INTEGER_TYPES:
            ranges[c.name] = (int(lo), int(hi))
        elif c.data_type in ("float", "double"):
            ranges[c.name] = (float(lo) - unit, float(hi) + unit)
        else:
            ranges[c.name] = (Decimal(lo), Decimal(hi))
    return TableProfile(aggregates.rows, ranges)


def expectation_specs(table: Table, source: TableProfile, *, row_tolerance: float) -> list[tuple[str, dict]]:
    """(GX expectation class name, keyword arguments) for one table; plain data, testable without GX."""
    low = int(source.rows * (1 - row_tolerance))
    high = int(source.rows * (1 + row_tolerance)) + (1 if row_tolerance else 0)
    specs: list[tuple[str, dict[str, Any]]] = [
        ("ExpectTableRowCountToBeBetween", {"min_value": low, "max_value": high})
    ]
    for c in table.columns:
        if not c.nullable:
            specs.append(("ExpectColumnValuesToNotBeNull", {"column": c.name}))
    for idx in table.indexes:
        # a functional key part (MySQL 8.0.13+) has no column name: such a key is not checked here
        if idx.unique and idx.columns and all(idx.columns):
            specs.append(unique_key_spec(idx.column_names))
    approximate = {c.name for c in table.columns if c.data_type in ("float", "double")}
    for name, (lo, hi) in source.ranges.items():
        lo, hi = _num(lo), _num(hi)
        if name in approximate:
            # FLOAT is single precision: the profile's value is the nearest double, the stored
            # value may sit just outside it. Widen by a relative 1e-6 (the float precision setting).
            lo, hi = lo - abs(lo) * 1e-6 - 1e-9, hi + abs(hi) * 1e-6 + 1e-9
        specs.append(("ExpectColumnValuesToBeBetween", {"column": name, "min_value": lo, "max_value": hi}))
    return specs


UNIQUE = "expect_column_values_to_be_unique"


def unique_key_spec(columns: Sequence[str]) -> tuple[str, dict]:
    """A unique key's values held once each (rows with a NULL in the key left out, as a unique index leaves
    them): GX's query for the keys held more than once, a GROUP BY the key's index serves. GX's own
    ExpectColumnValuesToBeUnique counts with a window over every row (minutes on a large table, past a
    tablet's 30 s limit for a query) and takes one column only."""
    cols = [quote_identifier(c).replace("{", "{{").replace("}", "}}") for c in columns]
    key = ", ".join(cols)
    query = (
        f"SELECT {key} FROM {{batch}} WHERE {' AND '.join(f'{c} IS NOT NULL' for c in cols)} "
        f"GROUP BY {key} HAVING COUNT(*) > 1"
    )
    return (
        "UnexpectedRowsExpectation",
        {"unexpected_rows_query": query, "description": f"{UNIQUE}({', '.join(columns)})"},
    )


def _num(value: Any) -> Any:
    try:
        return float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        return value


def plain_name(name: str) -> bool:
    """A name SQL can carry unquoted: letters, digits and '_', not a reserved word."""
    return (
        re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None
        and name.lower() not in RESERVED_WORDS_MYSQL | RESERVED_WORDS_MARIADB
    )


def sqlalchemy_url(endpoint: Endpoint, database: str, *, init_command: str | None = None) -> str:
    """The SQLAlchemy URL GX connects with; ``init_command`` runs on each of its connections first."""
    auth = quote(endpoint.user, safe="") + (":" + quote(endpoint.password, safe="") if endpoint.password else "")
    url = f"mysql+pymysql://{auth}@{endpoint.host}:{endpoint.port}/{quote(database, safe='')}?charset=utf8mb4"
    return url + (f"&init_command={quote(init_command, safe='')}" if init_command else "")


def extra_suites(engagement: str) -> dict[str, list[dict]]:
    """table -> expectation configurations from include/expectations/<engagement>/<table>.json."""
    folder = EXTRA_SUITES_DIR / engagement
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        data = json.loads(path.read_text())
        out[path.stem] = data.get("expectations", [])
    return out


@dataclass
class SuiteOutcome:
    table: str
    side: str
    success: bool
    evaluated: int
    failed: list[str]

    def to_dict(self) -> dict:
        return {
            "table": self.table,
            "side": self.side,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": self.failed,
        }


class GreatExpectations:
    """One ephemeral GX context for a validation run."""

    def __init__(self):
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx  # noqa: PLC0415 - ~4 s to import: only when validation runs
        from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415 - as above

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._sources: dict[str, Any] = {}

    def _asset(self, url: str, source_name: str, table: str):
        if source_name not in self._sources:
            self._sources[source_name] = self.context.data_sources.add_sql(name=source_name, connection_string=url)
        ds = self._sources[source_name]
        if plain_name(table):
            asset = ds.add_table_asset(name=f"{source_name}-{table}", table_name=table)
        else:
            # GX puts a table asset's name into SQL unquoted, which breaks on names with quotes, spaces or
            # reserved words: read those through a query that quotes the name the one way pocflow does.
            # (Not for every table: GX's queries over a derived table fetch rows, and a Vitess tablet
            # refuses results over 10,000 rows.)
            asset = ds.add_query_asset(name=f"{source_name}-{table}", query=f"SELECT * FROM {quote_identifier(table)}")
        return asset.add_batch_definition_whole_table(f"{source_name}-{table}-all")

    def run(
        self,
        *,
        table: str,
        side: str,
        url: str,
        source_name: str,
        specs: list[tuple[str, dict]],
        extra: Sequence[dict] = (),
    ) -> tuple[SuiteOutcome, dict]:
        gx = self.gx
        suite = gx.ExpectationSuite(name=f"{source_name}-{table}")
        for cls_name, kwargs in specs:
            suite.add_expectation(getattr(gx.expectations, cls_name)(**kwargs))
        for config in extra:
            cls_name = "".join(p.capitalize() for p in config["type"].split("_"))
            suite.add_expectation(getattr(gx.expectations, cls_name)(**config.get("kwargs", {})))
        suite = self.context.suites.add(suite)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"{source_name}-{table}", data=self._asset(url, source_name, table), suite=suite
            )
        )
        # Counts only first (GX's SUMMARY also fetches examples of unexpected values, a scan per expectation
        # that finds none on a clean table); a suite that fails is run again for the examples.
        result = definition.run(result_format="BOOLEAN_ONLY")
        if not result.success:
            result = definition.run(result_format="SUMMARY")
        failed = []
        for r in result.results:
            if r.success:
                continue
            checked = r.expectation_config
            assert checked is not None, "GX reports every result with the expectation it checked"
            column = checked.kwargs.get("column")
            if checked.type == "unexpected_rows_expectation" and checked.description:
                failed.append(checked.description)  # a check of pocflow's own, named as it describes itself
            else:
                failed.append(checked.type + (f"({column})" if column else ""))
        outcome = SuiteOutcome(table, side, bool(result.success), len(result.results), failed)
        return outcome, result.to_json_dict()
