"""Generated rows for a schema-only dump respect types, keys, foreign keys and enum/set values."""

import json
from decimal import Decimal

from pocflow.local.customer.rows import Column, ForeignKey, Table, generate, load_order

CUSTOMERS = Table(
    "customers",
    (
        Column("id", "int", "int unsigned"),
        Column("email", "varchar", "varchar(12)", length=12),
        Column("tier", "enum", "enum('gold','it''s','basic')"),
        Column("flags", "set", "set('a','b','c')", nullable=True),
        Column("referrer_id", "int", "int unsigned", nullable=True),
        Column("profile", "json", "json", nullable=True),
        Column("name_upper", "varchar", "varchar(20)", length=20, generated=True),
    ),
    unique_keys=(("id",), ("email",)),
    foreign_keys=(ForeignKey(("referrer_id",), "customers", ("id",)),),
)
ORDERS = Table(
    "orders",
    (
        Column("customer_id", "int", "int unsigned"),
        Column("order_no", "smallint", "smallint"),
        Column("total", "decimal", "decimal(6,2)", precision=6, scale=2),
        Column("placed", "datetime", "datetime"),
        Column("note", "varchar", "varchar(5)", length=5, nullable=True),
    ),
    unique_keys=(("customer_id", "order_no"),),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
)
LINES = Table(
    "order_lines",
    (
        Column("customer_id", "int", "int unsigned"),
        Column("order_no", "smallint", "smallint"),
        Column("sku", "char", "char(2)", length=2),
    ),
    unique_keys=(("customer_id", "order_no", "sku"),),
    foreign_keys=(ForeignKey(("customer_id", "order_no"), "orders", ("customer_id", "order_no")),),
)
TAGS = Table("tags", (Column("code", "tinyint", "tinyint unsigned"),), unique_keys=(("code",),))


def test_parents_come_before_children():
    assert [t.name for t in load_order([LINES, ORDERS, CUSTOMERS])] == ["customers", "orders", "order_lines"]


def test_rows_respect_keys_foreign_keys_types_and_values():
    out = generate([LINES, TAGS, ORDERS, CUSTOMERS], 1000, seed=7)
    customers, orders, lines = out.rows["customers"], out.rows["orders"], out.rows["order_lines"]
    assert len(customers) == len(orders) == len(lines) == 1000
    assert len({c["id"] for c in customers}) == len({c["email"] for c in customers}) == 1000
    assert all(len(c["email"]) <= 12 for c in customers)
    assert {c["tier"] for c in customers} == {"gold", "it's", "basic"}
    assert all(c["flags"] is None or set(filter(None, c["flags"].split(","))) <= {"a", "b", "c"} for c in customers)
    assert all(c["profile"] is None or isinstance(json.loads(c["profile"]), dict) for c in customers)
    assert all("name_upper" not in c for c in customers)  # generated: left to the server
    ids = [c["id"] for c in customers]
    assert all(c["referrer_id"] is None or c["referrer_id"] in ids for c in customers)
    assert {o["customer_id"] for o in orders} <= set(ids)
    assert len({(o["customer_id"], o["order_no"]) for o in orders}) == 1000
    assert all(abs(o["total"]) < Decimal("10000") and o["total"].as_tuple().exponent == -2 for o in orders)
    keys = {(o["customer_id"], o["order_no"]) for o in orders}
    assert all((ln["customer_id"], ln["order_no"]) in keys for ln in lines)
    assert len({(ln["customer_id"], ln["order_no"], ln["sku"]) for ln in lines}) == 1000
    assert all(o["note"] is None or len(o["note"]) <= 5 for o in orders)
    # a unique tinyint unsigned holds 255 values: the table gets no more rows than that
    assert out.short == {"tags": len(out.rows["tags"])} and len(out.rows["tags"]) == 255


def test_the_same_seed_gives_the_same_rows():
    assert generate([CUSTOMERS, ORDERS], 50, seed=1).rows == generate([CUSTOMERS, ORDERS], 50, seed=1).rows
    assert generate([CUSTOMERS], 50, seed=1).rows != generate([CUSTOMERS], 50, seed=2).rows


def test_a_foreign_key_cycle_gets_valid_references_once_both_sides_have_rows():
    a = Table(
        "a",
        (Column("id", "int", "int"), Column("b_id", "int", "int")),
        (("id",),),
        (ForeignKey(("b_id",), "b", ("id",)),),
    )
    b = Table(
        "b",
        (Column("id", "int", "int"), Column("a_id", "int", "int")),
        (("id",),),
        (ForeignKey(("a_id",), "a", ("id",)),),
    )
    out = generate([a, b], 20)
    assert all(r["b_id"] in {x["id"] for x in out.rows["b"]} for r in out.rows["a"])
    assert all(r["a_id"] in {x["id"] for x in out.rows["a"]} for r in out.rows["b"])
