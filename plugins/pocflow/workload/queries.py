"""What known queries filter and join on, read with a real SQL parser (sqlglot, MySQL dialect)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.expressions import Column

_QUERY_KINDS = ("select", "update", "delete", "insert", "replace", "with", "(")


@dataclass(frozen=True)
class QueryShape:
    sql: str
    tables: tuple[str, ...]
    equality_columns: frozenset[tuple[str, str]]
    """(table, column) pairs compared with = or IN to a literal or parameter."""
    join_columns: frozenset[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=frozenset)
    weight: int = 1


@cache
def sql_parser() -> ModuleType:
    """sqlglot, imported on first use: its 0.3 s import stays off the DAG files' parse path."""
    import sqlglot  # noqa: PLC0415

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return sqlglot


def split_statements(text: str) -> list[str]:
    """SQL statements of a file, comments dropped."""
    return [s.sql(dialect="mysql") for s in sql_parser().parse(text, read="mysql") if s is not None]


def _is_value(node: exp.Expression) -> bool:
    exp = sql_parser().exp
    return isinstance(node, (exp.Literal, exp.Placeholder, exp.Parameter)) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    )


def shape(sql: str, weight: int = 1) -> QueryShape | None:
    """The tables, filtered columns and join columns of one SELECT/UPDATE/DELETE; None if unparsable."""
    if not sql.lstrip().lower().startswith(_QUERY_KINDS) and not sql.lstrip().startswith("/*"):
        return None
    sqlglot = sql_parser()
    exp = sqlglot.exp
    try:
        tree = sqlglot.parse_one(sql.replace("?", "1"), read="mysql")
    except sqlglot.errors.ParseError:
        return None
    if tree is None:
        return None
    aliases: dict[str, str] = {}
    for t in tree.find_all(exp.Table):
        aliases[(t.alias_or_name or t.name).lower()] = t.name.lower()
        aliases[t.name.lower()] = t.name.lower()
    tables = tuple(sorted({t.name.lower() for t in tree.find_all(exp.Table)}))

    def owner(col: Column) -> str | None:
        if col.table:
            return aliases.get(col.table.lower())
        return tables[0] if len(tables) == 1 else None

    equalities: set[tuple[str, str]] = set()
    joins: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    for node in tree.find_all(exp.EQ, exp.In):
        left = node.this
        if isinstance(node, exp.In):
            rights = node.expressions
            if isinstance(left, exp.Column) and rights and all(_is_value(r) for r in rights):
                table = owner(left)
                if table:
                    equalities.add((table, left.name.lower()))
            continue
        right = node.expression
        for a, b in ((left, right), (right, left)):
            if isinstance(a, exp.Column) and _is_value(b):
                table = owner(a)
                if table:
                    equalities.add((table, a.name.lower()))
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            lt, rt = owner(left), owner(right)
            if lt and rt and lt != rt:
                first, second = sorted(((lt, left.name.lower()), (rt, right.name.lower())))
                joins.add((first, second))
    return QueryShape(
        sql=sql, tables=tables, equality_columns=frozenset(equalities), join_columns=frozenset(joins), weight=weight
    )
