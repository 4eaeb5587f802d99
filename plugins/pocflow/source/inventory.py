"""Inventory of a source database: a fixed set of catalogue queries, whatever the number of tables.

Every query reads information_schema (or performance_schema / mysql.user) for the whole
database at once; nothing is asked per table. The same code works on MySQL 8+ and MariaDB;
where the two differ it asks pocflow.source.flavor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pocflow.source.flavor import Flavor, column_is_generated, column_is_invisible, server_variables_query

# 'user'@'host' of the connected account, as information_schema writes grantees.
_ME = (
    "CONCAT(CHAR(39), SUBSTRING_INDEX(CURRENT_USER(), '@', 1), CHAR(39), '@', CHAR(39), "
    "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), CHAR(39))"
)
IMPORT_PRIVILEGES = (
    "Select_priv",
    "Reload_priv",
    "Process_priv",
    "Repl_slave_priv",
    "Repl_client_priv",
    "Lock_tables_priv",
)


@dataclass(frozen=True)
class Column:
    name: str
    position: int
    data_type: str
    column_type: str
    nullable: bool
    charset: str | None
    collation: str | None
    extra: str
    generated: bool
    max_length: int | None
    invisible: bool = False
    """Left out of SELECT * (EXTRA holds INVISIBLE); results stored before this field read as visible."""


@dataclass(frozen=True)
class Index:
    name: str
    unique: bool
    columns: tuple[str | None, ...]
    """In key order; None for a functional key part (an expression, MySQL 8.0.13+), which names no column."""
    primary: bool

    @property
    def column_names(self) -> tuple[str, ...]:
        """The columns of an index with no functional part (a key the comparison or the VSchema can use)."""
        names = tuple(c for c in self.columns if c is not None)
        if len(names) != len(self.columns):
            raise ValueError(f"index {self.name} has a functional key part: it names no column")
        return names


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]


@dataclass
class Table:
    name: str
    engine: str | None
    rows_estimate: int
    data_bytes: int
    index_bytes: int
    collation: str | None
    auto_increment: int | None
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    partition_method: str | None = None
    partitions: int = 0

    @property
    def primary_key(self) -> Index | None:
        return next((i for i in self.indexes if i.primary), None)

    def column(self, name: str | None) -> Column | None:
        """The column of that name (any case); None for a functional key part's None."""
        if name is None:
            return None
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    def unique_not_null_keys(self) -> list[Index]:
        """Keys VReplication can use: the primary key, or unique keys whose columns are all NOT NULL (a key with
        a functional part is not one of them)."""
        out = []
        for idx in self.indexes:
            cols = [self.column(c) for c in idx.columns]
            if idx.primary or (idx.unique and cols and all(c is not None and not c.nullable for c in cols)):
                out.append(idx)
        return out

    @property
    def total_bytes(self) -> int:
        return self.data_bytes + self.index_bytes


@dataclass(frozen=True)
class NamedObject:
    name: str
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class Digest:
    digest: str
    text: str
    count: int
    total_latency_ms: float
    rows_examined: int
    rows_sent: int
    sample_text: str = ""
    """A real statement of this digest (MySQL's QUERY_SAMPLE_TEXT); empty on MariaDB. performance_schema
    cuts it at performance_schema_max_sql_text_length and ends a cut one with '...'."""


@dataclass
class Inventory:
    database: str
    server: dict[str, str]
    tables: list[Table]
    views: list[NamedObject]
    triggers: list[NamedObject]
    routines: list[NamedObject]
    events: list[NamedObject]
    schemas: list[str]
    import_user: str | None = None
    import_user_privileges: dict[str, bool] | None = None
    digests: list[Digest] = field(default_factory=list)
    catalogue_queries: int = 0
    own_privileges: list[str] = field(default_factory=list)

    @property
    def server_flavor(self) -> Flavor:
        """The source's flavour and version, from its version variables."""
        return Flavor.of_server(self.server)

    @property
    def flavor(self) -> str:
        """``mysql`` or ``mariadb``."""
        return self.server_flavor.name

    @property
    def total_bytes(self) -> int:
        return sum(t.total_bytes for t in self.tables)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flavor"] = self.flavor
        d["total_bytes"] = self.total_bytes
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Inventory:
        tables = []
        for t in d["tables"]:
            tables.append(
                Table(
                    **{
                        k: t[k]
                        for k in (
                            "name",
                            "engine",
                            "rows_estimate",
                            "data_bytes",
                            "index_bytes",
                            "collation",
                            "auto_increment",
                            "partition_method",
                            "partitions",
                        )
                    },
                    columns=[Column(**c) for c in t["columns"]],
                    indexes=[Index(i["name"], i["unique"], tuple(i["columns"]), i["primary"]) for i in t["indexes"]],
                    foreign_keys=[
                        ForeignKey(
                            f["name"], tuple(f["columns"]), f["referenced_table"], tuple(f["referenced_columns"])
                        )
                        for f in t["foreign_keys"]
                    ],
                )
            )
        objs = lambda key: [NamedObject(**o) for o in d[key]]  # noqa: E731
        return cls(
            database=d["database"],
            server=d["server"],
            tables=tables,
            views=objs("views"),
            triggers=objs("triggers"),
            routines=objs("routines"),
            events=objs("events"),
            schemas=d["schemas"],
            import_user=d.get("import_user"),
            import_user_privileges=d.get("import_user_privileges"),
            digests=[Digest(**x) for x in d.get("digests", [])],
            catalogue_queries=d.get("catalogue_queries", 0),
            own_privileges=d.get("own_privileges", []),
        )


def take(conn, database: str, *, import_user: str | None = None, top_digests: int = 100) -> Inventory:
    """Read the inventory of ``database`` over an open PyMySQL connection (tuple rows)."""
    queries = 0

    def rows(sql: str, args: tuple = ()) -> list[tuple]:
        nonlocal queries
        queries += 1
        with conn.cursor() as cur:
            cur.execute(sql, args or None)
            return list(cur.fetchall())

    server = {k.lower(): v for k, v in rows(*server_variables_query())}
    flavor = Flavor.of_server(server)
    for statement in flavor.catalogue_session_settings:
        rows(statement)

    tables: dict[str, Table] = {}
    for name, engine, rows_est, data, index, collation, auto_inc in rows(
        "SELECT table_name, engine, table_rows, data_length, index_length, table_collation, auto_increment "
        "FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
        "ORDER BY table_name",
        (database,),
    ):
        tables[name] = Table(
            name,
            engine,
            int(rows_est or 0),
            int(data or 0),
            int(index or 0),
            collation,
            int(auto_inc) if auto_inc is not None else None,
        )

    for tname, cname, pos, dtype, ctype, nullable, charset, collation, extra, gen_expr, max_len in rows(
        "SELECT table_name, column_name, ordinal_position, data_type, column_type, is_nullable, "
        "character_set_name, collation_name, extra, generation_expression, character_maximum_length "
        "FROM information_schema.columns WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (database,),
    ):
        if tname in tables:
            tables[tname].columns.append(
                Column(
                    cname,
                    int(pos),
                    dtype.lower(),
                    ctype,
                    nullable == "YES",
                    charset,
                    collation,
                    extra or "",
                    column_is_generated(extra, gen_expr),
                    int(max_len) if max_len is not None else None,
                    column_is_invisible(extra),
                )
            )

    index_cols: dict[tuple[str, str], list[tuple[int, str, bool]]] = {}
    for tname, iname, non_unique, seq, cname in rows(
        "SELECT table_name, index_name, non_unique, seq_in_index, column_name FROM information_schema.statistics "
        "WHERE table_schema = %s ORDER BY table_name, index_name, seq_in_index",
        (database,),
    ):
        index_cols.setdefault((tname, iname), []).append((int(seq), cname, int(non_unique) == 0))
    for (tname, iname), cols in index_cols.items():
        if tname in tables:
            tables[tname].indexes.append(
                Index(iname, cols[0][2], tuple(c for _, c, _ in sorted(cols)), iname == "PRIMARY")
            )

    fk_cols: dict[tuple[str, str], list[tuple[int, str, str, str]]] = {}
    for tname, cname, col, pos, ref_table, ref_col in rows(
        "SELECT k.table_name, k.constraint_name, k.column_name, k.ordinal_position, k.referenced_table_name, "
        "k.referenced_column_name FROM information_schema.key_column_usage k "
        "WHERE k.table_schema = %s AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.table_name, k.constraint_name, k.ordinal_position",
        (database,),
    ):
        fk_cols.setdefault((tname, cname), []).append((int(pos), col, ref_table, ref_col))
    for (tname, cname), fk_parts in fk_cols.items():
        if tname in tables:
            fk_parts.sort()
            tables[tname].foreign_keys.append(
                ForeignKey(cname, tuple(c[1] for c in fk_parts), fk_parts[0][2], tuple(c[3] for c in fk_parts))
            )

    for tname, method, count in rows(
        "SELECT table_name, MAX(partition_method), COUNT(*) FROM information_schema.partitions "
        "WHERE table_schema = %s AND partition_name IS NOT NULL GROUP BY table_name",
        (database,),
    ):
        if tname in tables:
            tables[tname].partition_method, tables[tname].partitions = method, int(count)

    views = [
        NamedObject(n, "view", "")
        for (n,) in rows(
            "SELECT table_name FROM information_schema.views WHERE table_schema = %s ORDER BY table_name", (database,)
        )
    ]
    triggers = [
        NamedObject(n, "trigger", f"{timing} {event} ON {table}")
        for n, timing, event, table in rows(
            "SELECT trigger_name, action_timing, event_manipulation, event_object_table "
            "FROM information_schema.triggers "
            "WHERE trigger_schema = %s ORDER BY trigger_name",
            (database,),
        )
    ]
    routines = [
        NamedObject(n, kind.lower())
        for n, kind in rows(
            "SELECT routine_name, routine_type FROM information_schema.routines WHERE routine_schema = %s "
            "ORDER BY routine_name",
            (database,),
        )
    ]
    events = [
        NamedObject(n, "event", status)
        for n, status in rows(
            "SELECT event_name, status FROM information_schema.events WHERE event_schema = %s ORDER BY event_name",
            (database,),
        )
    ]
    schemas = [s for (s,) in rows("SELECT schema_name FROM information_schema.schemata ORDER BY schema_name")]
    # The assessment account's own privileges: MySQL hides triggers and events from accounts
    # without TRIGGER / EVENT, so an empty list may only mean "not visible".
    own_privileges = sorted(
        {
            p.upper()
            for (p,) in rows(
                "SELECT privilege_type FROM information_schema.user_privileges WHERE grantee = " + _ME + " UNION "
                "SELECT privilege_type FROM information_schema.schema_privileges WHERE grantee = "
                + _ME
                + " AND table_schema = %s",
                (database,),
            )
        }
    )

    privileges = None
    if import_user:
        try:
            found = rows(f"SELECT {', '.join(IMPORT_PRIVILEGES)} FROM mysql.user WHERE User = %s", (import_user,))
            privileges = {p: any(r[i] == "Y" for r in found) for i, p in enumerate(IMPORT_PRIVILEGES)} if found else {}
        except Exception:  # the assessment account may not read mysql.user; reported as a finding
            privileges = None

    digests: list[Digest] = []
    if str(server.get("performance_schema", "")).upper() in ("ON", "1"):
        # Reads only, most frequent first: they stand in for a workload (pocflow.workload.digests), and
        # DDL or the catalogue queries of this very inventory would otherwise fill the list.
        sample = flavor.digest_sample_column or "''"
        try:
            digests = [
                Digest(
                    d or "", text or "", int(n), float(lat or 0) / 1e9, int(ex or 0), int(sent or 0), sample_text or ""
                )
                for d, text, n, lat, ex, sent, sample_text in rows(
                    "SELECT digest, digest_text, count_star, sum_timer_wait, sum_rows_examined, sum_rows_sent, "
                    f"{sample} FROM performance_schema.events_statements_summary_by_digest WHERE schema_name = %s "
                    "AND (digest_text LIKE 'SELECT%%' OR digest_text LIKE 'WITH%%' OR digest_text LIKE '(%%') "
                    "AND digest_text NOT LIKE '%%information_schema%%' "
                    "AND digest_text NOT LIKE '%%performance_schema%%' "
                    "ORDER BY count_star DESC, sum_timer_wait DESC LIMIT %s",
                    (database, top_digests),
                )
            ]
        except Exception:
            digests = []
    return Inventory(
        database,
        server,
        list(tables.values()),
        views,
        triggers,
        routines,
        events,
        schemas,
        import_user,
        privileges,
        digests,
        queries,
        own_privileges,
    )
