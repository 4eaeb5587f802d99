import hashlib
from decimal import Decimal

import pytest

from pocflow.local.sample.generate import COLUMNS, LOAD_ORDER, SCALES, Counts, resolve_scale, table_rows, write_files
from pocflow.local.sample.load import schema_statements


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.tsv"))}


def test_same_seed_and_scale_give_the_same_bytes(tmp_path):
    a = write_files(tmp_path / "a", Counts.for_customers(200), seed=7, workers=2)
    b = write_files(tmp_path / "b", Counts.for_customers(200), seed=7, workers=1)
    assert a == b
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_another_seed_gives_other_data(tmp_path):
    write_files(tmp_path / "a", Counts.for_customers(100), seed=1)
    write_files(tmp_path / "b", Counts.for_customers(100), seed=2)
    assert digest(tmp_path / "a")["customers.tsv"] != digest(tmp_path / "b")["customers.tsv"]


def test_row_counts_follow_the_scale(tmp_path):
    rows = write_files(tmp_path, Counts.for_customers(1000), seed=3)
    assert rows["customers"] == 1000 and rows["orders"] == 3000 and rows["events"] == 2000
    assert rows["products"] == 100 and rows["inventory"] == 400
    assert 3000 < rows["order_lines"] < 15000 and 2500 < rows["payments"] < 3000
    assert 15 * 1000 < sum(rows.values()) < 18 * 1000


def test_large_preset_reaches_ten_million_rows(tmp_path):
    rows = write_files(tmp_path, Counts.for_customers(2000), seed=1)
    assert sum(rows.values()) / 2000 * SCALES["large"] > 10_000_000


def test_every_row_has_one_field_per_column():
    rows = table_rows(Counts.for_customers(50), seed=5)
    for table in LOAD_ORDER:
        for row in rows[table]():
            assert len(row) == len(COLUMNS[table]), table
            assert not any("\t" in field or "\n" in field for field in row), "fields must be escaped"


def test_order_totals_equal_the_sum_of_their_lines():
    rows = table_rows(Counts.for_customers(40), seed=11)
    lines = {}
    for order_id, _, _, _, qty, price, discount in rows["order_lines"]():
        lines.setdefault(order_id, []).append(int(qty) * float(price) * (1 - float(discount)))
    for order in rows["orders"]():
        assert Decimal(order[4]) == Decimal(f"{round(sum(lines[order[0]]), 2):.2f}")


def test_order_lines_and_payments_carry_their_orders_customer():
    rows = table_rows(Counts.for_customers(40), seed=11)
    customer_of = {o[0]: o[1] for o in rows["orders"]()}
    assert all(customer_of[line[0]] == line[1] for line in rows["order_lines"]())
    assert all(customer_of[p[1]] == p[2] for p in rows["payments"]())


def test_sample_carries_what_breaks_migrations():
    rows = table_rows(Counts.for_customers(300), seed=1)
    names = [r[2] for r in rows["customers"]()]
    assert any(any(ord(ch) > 0xFFFF for ch in n) for n in names), "needs 4-byte utf8mb4 (emoji)"
    assert any(r[3] == "\\N" for r in rows["customers"]()), "needs NULLs"
    assert any("\\t" in (r[3] or "") for r in rows["products"]()), "needs escaped tabs"


@pytest.mark.parametrize("scale, customers", [("tiny", 300), ("small", 3000), (42, 42), ("42", 42)])
def test_scale_is_a_preset_or_a_number(scale, customers):
    assert resolve_scale(scale) == customers


@pytest.mark.parametrize("scale", ["huge", 0, "-3"])
def test_unknown_scales_are_refused(scale):
    with pytest.raises(ValueError):
        resolve_scale(scale)


def test_schema_has_the_tables_the_trigger_and_the_view():
    statements = schema_statements()
    assert sum(s.startswith("CREATE TABLE") for s in statements) == len(LOAD_ORDER)
    assert sum(s.startswith("CREATE TRIGGER") for s in statements) == 1
    assert sum(s.startswith("CREATE VIEW") for s in statements) == 1
