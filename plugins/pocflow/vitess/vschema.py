"""The sharding plan: a VSchema per keyspace, from the inventory, its keys and the known queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from pocflow.source.inventory import Column, Inventory, Table
from pocflow.workload.queries import QueryShape

INTEGER_TYPES = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}
STRING_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}
REFERENCE_MAX_ROWS = 100_000
REFERENCE_MAX_BYTES = 256 * 1024 * 1024


def shard_ranges(count: int) -> list[str]:
    """Evenly split key ranges: 1 -> ['0'], 2 -> ['-80', '80-'], 4 -> ['-40', '40-80', '80-c0', 'c0-']."""
    if count < 1:
        raise ValueError("a keyspace has at least one shard")
    if count == 1:
        return ["0"]
    bounds = []
    for i in range(1, count):
        value = f"{i * 0x10000 // count:04x}"
        while value.endswith("00") and len(value) > 2:
            value = value[:-2]
        bounds.append(value)
    edges = [""] + bounds + [""]
    return [f"{edges[i]}-{edges[i + 1]}" for i in range(count)]


def vindex_type(column: Column) -> str:
    """hash for integers, unicode_loose_xxhash for case-insensitive text, xxhash for anything else."""
    if column.data_type in INTEGER_TYPES:
        return "hash"
    if column.data_type in STRING_TYPES and (column.collation or "").endswith("_ci"):
        return "unicode_loose_xxhash"
    return "xxhash"


@dataclass
class ShardingPlan:
    sharded: bool
    keyspace: str
    shards: list[str]
    global_keyspace: str | None
    vschemas: dict[str, dict]
    rationale: dict[str, str]
    scatter_queries: list[dict[str, str]] = field(default_factory=list)
    root_table: str | None = None
    lookup_vindexes: dict[str, dict] = field(default_factory=dict)
    reference_candidates: list[str] = field(default_factory=list)
    """Small tables not owned by the root: imported sharded, recommended as reference tables."""
    """Recommended lookup vindexes, not in the applied VSchema: their lookup tables are filled by
    `vtctldclient LookupVindex create` once the data is imported (MoveTables does not fill them)."""

    @property
    def sequences(self) -> list[str]:
        """The sequence tables of the global keyspace (one per auto-increment key of a sharded table)."""
        if not self.global_keyspace:
            return []
        return sorted(
            t
            for t, spec in self.vschemas[self.global_keyspace].get("tables", {}).items()
            if spec.get("type") == "sequence"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def plan_unsharded(keyspace: str, tables: list[str]) -> ShardingPlan:
    vschema = {"sharded": False, "tables": {t: {} for t in tables}}
    return ShardingPlan(
        False,
        keyspace,
        ["0"],
        None,
        {keyspace: vschema},
        {t: "unsharded keyspace: every table on one shard" for t in tables},
    )


def _fk_parents(table: Table) -> dict[str, tuple[str, str]]:
    """child column -> (parent table, parent column), single-column foreign keys only."""
    return {
        fk.columns[0]: (fk.referenced_table, fk.referenced_columns[0])
        for fk in table.foreign_keys
        if len(fk.columns) == 1
    }


def _root_of(inv: Inventory, tables: list[Table]) -> tuple[Table | None, set[str]]:
    """The entity most other tables hang off (by foreign keys), and the column names that name it."""
    names = {t.name for t in tables}
    refs: Counter[str] = Counter()
    key_names: dict[str, set[str]] = {}
    for t in tables:
        for col, (parent, _pcol) in _fk_parents(t).items():
            if parent in names:
                refs[parent] += 1
                key_names.setdefault(parent, set()).add(col)

    def family(root: str) -> int:  # tables reaching the root through FKs or a column of the same name
        cols = key_names.get(root, set())
        return sum(1 for t in tables if any(t.column(c) for c in cols) or t.name == root)

    def entity(name: str) -> Table | None:  # a table keyed by one column and itself no child of another
        t = inv.table(name)
        if t is None or t.primary_key is None or len(t.primary_key.columns) != 1 or _fk_parents(t):
            return None
        return t

    candidates = [t for t in map(entity, refs) if t is not None]
    if not candidates:
        return None, set()
    root = max(candidates, key=lambda t: (family(t.name), t.total_bytes))
    return root, key_names.get(root.name, set())


def plan_sharded(
    inv: Inventory, tables: list[str], keyspace: str, shard_count: int, queries: list[QueryShape]
) -> ShardingPlan:
    global_ks = f"{keyspace}_global"
    chosen = [t for t in map(inv.table, tables) if t is not None]
    root, root_key_names = _root_of(inv, chosen)
    vindexes: dict[str, dict] = {}
    sharded_tables: dict[str, dict] = {}
    global_tables: dict[str, dict] = {}
    rationale: dict[str, str] = {}
    sharding_column: dict[str, str] = {}

    def use_vindex(column: Column) -> str:
        kind = vindex_type(column)
        vindexes.setdefault(kind, {"type": kind})
        return kind

    root_pk: str | None = None
    if root is not None:
        assert root.primary_key is not None, "_root_of picks only tables with a primary key"
        root_pk = root.primary_key.columns[0]
    reference: list[str] = []  # reference-table candidates
    for t in chosen:
        family_col = None
        if root is not None:
            if t.name == root.name:
                family_col = root_pk
            else:
                family_col = next(
                    (c for c in sorted(root_key_names) if (tc := t.column(c)) is not None and not tc.nullable), None
                )
        if family_col is not None:
            assert root is not None, "only a root gives a family column"
            col = t.column(family_col)
            assert col is not None, "the family column is a column of the table"
            sharding_column[t.name] = col.name
            sharded_tables[t.name] = {"column_vindexes": [{"column": col.name, "name": use_vindex(col)}]}
            why = "root entity" if t.name == root.name else f"co-located with {root.name} by {col.name}"
            rationale[t.name] = f"sharded by {col.name} ({vindex_type(col)}): {why}"
        else:
            pk = t.primary_key or next(iter(t.unique_not_null_keys()), None)
            col = t.column(pk.columns[0]) if pk else t.columns[0]
            assert col is not None, "a key's columns are columns of its table"
            sharding_column[t.name] = col.name
            sharded_tables[t.name] = {"column_vindexes": [{"column": col.name, "name": use_vindex(col)}]}
            related = root.name if root else "another table"
            if t.rows_estimate <= REFERENCE_MAX_ROWS and t.total_bytes <= REFERENCE_MAX_BYTES:
                # Imported sharded so every query works from the first day; joins with the root's
                # family then cross shards until the table is copied whole into every shard.
                reference.append(t.name)
                rationale[t.name] = (
                    f"sharded by its own key {col.name} ({vindex_type(col)}); small "
                    f"({t.rows_estimate:,} rows) and not owned by {related}: make it a reference "
                    f"table (vtctldclient Materialize --reference-tables) for shard-local joins"
                )
            else:
                rationale[t.name] = (
                    f"sharded by its own key {col.name} ({vindex_type(col)}): large and not "
                    f"related to {related} by a key"
                )

    # Sequences for auto-increment keys of sharded tables.
    for t in chosen:
        entry = sharded_tables.get(t.name, {})
        auto = next((c for c in t.columns if "auto_increment" in c.extra.lower()), None)
        if auto is not None and "column_vindexes" in entry:
            seq = f"{t.name}_seq"
            global_tables[seq] = {"type": "sequence"}
            entry["auto_increment"] = {"column": auto.name, "sequence": f"{global_ks}.{seq}"}
            rationale[t.name] += f"; {auto.name} from sequence {global_ks}.{seq}"

    # Lookup vindexes: known queries that filter on a unique column other than the sharding key.
    lookup_cols: dict[str, set[str]] = {}
    for q in queries:
        for table, column in q.equality_columns:
            queried = inv.table(table)
            if queried is None or table not in sharding_column or column == sharding_column[table].lower():
                continue
            unique = any(
                i.unique and len(i.columns) == 1 and (i.columns[0] or "").lower() == column for i in queried.indexes
            )
            if unique:
                lookup_cols.setdefault(table, set()).add(column)
    lookups: dict[str, dict] = {}
    for table, cols in sorted(lookup_cols.items()):
        owner = inv.table(table)
        assert owner is not None, "lookup columns are collected only for tables of the inventory"
        for column in sorted(cols):
            col = owner.column(column)
            assert col is not None, "a lookup column is a column of a unique index of the table"
            name = f"{table}_{col.name}_lookup"
            lookups[name] = {
                "vindex": {
                    "type": "consistent_lookup_unique",
                    "owner": table,
                    "params": {"table": f"{global_ks}.{name}", "from": col.name, "to": "keyspace_id"},
                },
                "column": {"table": table, "column": col.name},
                "create_after_import": (
                    f"vtctldclient LookupVindex --name {name} --table-keyspace {global_ks} "
                    f"create --keyspace {keyspace} --type consistent_lookup_unique "
                    f"--table-owner {table} --table-owner-columns {col.name} "
                    f"--tablet-types PRIMARY"
                ),
            }
            rationale[table] += f"; lookup vindex on {col.name} recommended (queried by it)"

    scatter = []
    for q in queries:
        reason = _scatter_reason(q, sharding_column, lookup_cols)
        if reason:
            scatter.append({"query": q.sql, "reason": reason})

    vschemas = {
        keyspace: {"sharded": True, "vindexes": vindexes, "tables": sharded_tables},
        global_ks: {"sharded": False, "tables": global_tables},
    }
    return ShardingPlan(
        True,
        keyspace,
        shard_ranges(shard_count),
        global_ks,
        vschemas,
        rationale,
        scatter,
        root.name if root else None,
        lookups,
        reference,
    )


def _scatter_reason(q: QueryShape, sharding_column: dict[str, str], lookup_cols: dict[str, set[str]]) -> str | None:
    sharded = [t for t in q.tables if t in sharding_column]
    if not sharded:
        return None
    routed = {t for t in sharded if (t, sharding_column[t].lower()) in q.equality_columns}
    via_lookup = {t for t in sharded if any((t, c) in q.equality_columns for c in lookup_cols.get(t, ()))}
    if not routed and via_lookup:
        return (
            "scatters until the recommended lookup vindex on "
            + ", ".join(
                f"{t}.{c}" for t in sorted(via_lookup) for c in sorted(lookup_cols[t]) if (t, c) in q.equality_columns
            )
            + " is created"
        )
    if routed:
        # A join reaches the other sharded tables on one shard only through their sharding keys.
        for (a, ac), (b, bc) in q.join_columns:
            if (
                a in sharding_column
                and b in sharding_column
                and (ac != sharding_column[a].lower() or bc != sharding_column[b].lower())
            ):
                if not any(
                    (a, sharding_column[a].lower()) in j or (b, sharding_column[b].lower()) in j for j in q.join_columns
                ):
                    return f"joins {a}.{ac} = {b}.{bc}, not on the sharding keys"
        return None
    return "no filter on " + ", ".join(f"{t}.{sharding_column[t]}" for t in sharded) + ": every shard is asked"


def plan(
    inv: Inventory, tables: list[str], *, keyspace: str, sharded: bool, shard_count: int, queries: list[QueryShape]
) -> ShardingPlan:
    if not sharded:
        return plan_unsharded(keyspace, tables)
    return plan_sharded(inv, tables, keyspace, shard_count, queries)
