"""Small hand-made inventories for rule and planner tests."""

from pocflow.source.inventory import Column, ForeignKey, Index, Inventory, NamedObject, Table

GOOD_SERVER = {
    "version": "8.0.36",
    "version_comment": "MySQL Community Server",
    "log_bin": "ON",
    "binlog_format": "ROW",
    "binlog_row_image": "FULL",
    "gtid_mode": "ON",
    "enforce_gtid_consistency": "ON",
    "binlog_row_value_options": "",
    "server_id": "7",
    "binlog_expire_logs_seconds": "604800",
    "sql_mode": "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE",
    "max_connections": "500",
    "max_allowed_packet": "67108864",
    "time_zone": "SYSTEM",
}


def col(
    name,
    data_type="bigint",
    *,
    nullable=False,
    extra="",
    charset=None,
    collation=None,
    position=1,
    generated=False,
    invisible=False,
    column_type=None,
):
    return Column(
        name,
        position,
        data_type,
        column_type or data_type,
        nullable,
        charset,
        collation,
        extra,
        generated,
        None,
        invisible,
    )


def table(
    name,
    columns,
    *,
    pk=("id",),
    uniques=(),
    fks=(),
    engine="InnoDB",
    rows=1000,
    size=1_000_000,
    collation="utf8mb4_general_ci",
    auto_increment=None,
    partition=None,
):
    indexes = [Index("PRIMARY", True, tuple(pk), True)] if pk else []
    indexes += [Index(f"uk_{'_'.join(u)}", True, tuple(u), False) for u in uniques]
    return Table(
        name,
        engine,
        rows,
        size,
        0,
        collation,
        auto_increment,
        list(columns),
        indexes,
        [ForeignKey(f"fk_{name}_{i}", (c,), t, (rc,)) for i, (c, t, rc) in enumerate(fks)],
        partition,
        4 if partition else 0,
    )


def inventory(tables, *, server=None, schemas=("shop",), triggers=(), views=(), own=("SELECT", "TRIGGER", "EVENT")):
    return Inventory(
        "shop",
        {**GOOD_SERVER, **(server or {})},
        list(tables),
        [NamedObject(v, "view") for v in views],
        [NamedObject(t, "trigger", "BEFORE UPDATE ON x") for t in triggers],
        [],
        [],
        list(schemas),
        own_privileges=list(own),
    )


def shop():
    return inventory(
        [
            table(
                "customers",
                [
                    col("id", extra="auto_increment"),
                    col("email", "varchar", charset="utf8mb4", collation="utf8mb4_general_ci"),
                ],
                uniques=[("email",)],
                auto_increment=1000,
                rows=50_000_000,
                size=20 * 1024**3,
            ),
            table(
                "orders",
                [col("id", extra="auto_increment"), col("customer_id")],
                fks=[("customer_id", "customers", "id")],
                auto_increment=5000,
                rows=200_000_000,
                size=80 * 1024**3,
            ),
            table(
                "order_lines",
                [col("order_id"), col("customer_id"), col("line_no", "smallint")],
                pk=("order_id", "line_no"),
                fks=[("order_id", "orders", "id")],
                rows=500_000_000,
                size=90 * 1024**3,
            ),
            table(
                "countries",
                [col("code", "char", charset="utf8mb4", collation="utf8mb4_general_ci")],
                pk=("code",),
                rows=250,
                size=16_384,
            ),
            table("audit_log", [col("id"), col("at", "datetime")], rows=900_000_000, size=300 * 1024**3),
        ]
    )
