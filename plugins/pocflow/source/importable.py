"""Which tables a Vitess import can move, and why the others cannot."""

from __future__ import annotations

from dataclasses import dataclass

from pocflow.connections import Endpoint, connect

# One catalogue query: every base table with its engine and whether it has a key VReplication
# can use (a primary key, or a unique key whose columns are all NOT NULL).
_TABLES_SQL = """
SELECT t.table_name, t.engine,
       COALESCE(MAX(k.is_primary), 0), COALESCE(MAX(k.unique_not_null), 0), COALESCE(MAX(k.unique_nullable), 0)
FROM information_schema.tables t
LEFT JOIN (
    SELECT s.table_name, s.index_name,
           s.index_name = 'PRIMARY' AS is_primary,
           MAX(s.non_unique) = 0 AND s.index_name <> 'PRIMARY' AND SUM(c.is_nullable = 'YES') = 0 AS unique_not_null,
           MAX(s.non_unique) = 0 AND s.index_name <> 'PRIMARY' AND SUM(c.is_nullable = 'YES') > 0 AS unique_nullable
    FROM information_schema.statistics s
    JOIN information_schema.columns c
      ON c.table_schema = s.table_schema AND c.table_name = s.table_name AND c.column_name = s.column_name
    WHERE s.table_schema = %s
    GROUP BY s.table_name, s.index_name
) k ON k.table_name = t.table_name
WHERE t.table_schema = %s AND t.table_type = 'BASE TABLE'
GROUP BY t.table_name, t.engine
ORDER BY t.table_name
"""


@dataclass(frozen=True)
class ImportableTables:
    tables: list[str]
    excluded: dict[str, str]  # table -> reason


def importable_tables(source: Endpoint) -> ImportableTables:
    tables, excluded = [], {}
    with connect(source) as conn, conn.cursor() as cur:
        cur.execute(_TABLES_SQL, (source.database, source.database))
        for name, engine, has_pk, has_unique, has_nullable_unique in cur.fetchall():
            if (engine or "").lower() != "innodb":
                excluded[name] = f"engine {engine} is not InnoDB"
            elif not (has_pk or has_unique):
                hint = " (its unique key allows NULLs)" if has_nullable_unique else ""
                excluded[name] = (f"no primary key or NOT NULL unique key{hint}: VReplication needs one "
                                  f"to copy and replicate rows; add one or leave the table out")
            else:
                tables.append(name)
    return ImportableTables(tables, excluded)
