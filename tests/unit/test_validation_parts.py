"""Validation in parts: how tables are cut into key ranges, and that the ranges' results merge into what one
comparison of the whole table reports (run for real on two SQLite sides)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventories import col, table
from test_diff_properties import INTEGER_TABLE, SMALL, drift, sides

from pocflow.quality.diff import Range, TableComparison, TableDiff, merge_table_diffs
from pocflow.stages.validation_parts import (
    CHECKS,
    RANGE,
    TABLE,
    PartResult,
    ValidationPart,
    batches,
    key_ranges,
    table_parts,
)


def parts_of(t, rows_per_part=100, bounds=(1, 1000)):
    asked = []

    def key_bounds(column):
        asked.append(column)
        return bounds

    return table_parts("wf", "shop", t, rows_per_part, key_bounds), asked


def test_a_large_table_with_an_integer_key_is_cut_into_equal_key_ranges_open_at_both_ends():
    (checks, *parts), asked = parts_of(table("orders", [col("id"), col("v", "varchar")], rows=350))
    assert asked == ["id"]
    assert [(p.index, p.of, p.low, p.high) for p in parts] == [
        (0, 4, None, 250),
        (1, 4, 250, 500),
        (2, 4, 500, 750),
        (3, 4, 750, None),
    ]
    assert {(p.workflow, p.target_keyspace, p.table) for p in [checks, *parts]} == {("wf", "shop", "orders")}
    assert [p.name for p in parts] == ["orders.0", "orders.1", "orders.2", "orders.3"]
    assert parts[0].key_range() == Range(None, (250,)) and parts[3].key_range() == Range((750,), None)
    # the ranges compare rows only; the checks made once per table are a part of their own, planned first
    assert all(p.ranged and p.compares_rows and not p.checks_table for p in parts)
    assert checks.kind == CHECKS and checks.checks_table and not checks.compares_rows and not checks.ranged
    assert checks.name == "orders.checks" and checks.key_range() is None
    assert checks.label() == "orders checks (schema, aggregates, expectations)"
    assert parts[1].label() == "orders [2/4] 250 < key <= 500"


def test_a_table_within_the_threshold_or_with_splitting_off_is_one_part_and_reads_no_bounds():
    small = table("items", [col("id")], rows=100)
    assert parts_of(small) == ([ValidationPart("wf", "shop", "items")], [])
    large = table("items", [col("id")], rows=10**9)
    assert parts_of(large, rows_per_part=0) == ([ValidationPart("wf", "shop", "items")], [])
    (whole,), _ = parts_of(small)
    assert not whole.ranged and whole.key_range() is None and whole.name == "items" and whole.label() == "items"
    assert whole.kind == TABLE and whole.compares_rows and whole.checks_table


def test_other_keys_are_one_part_that_says_why():
    composite = table("lines", [col("a", "varchar"), col("b"), col("v")], pk=("a", "b"), rows=10**6)
    (part,), asked = parts_of(composite)
    assert asked == [] and not part.ranged
    assert part.note == "over 100 rows, but its key (a, b) is not a single integer column"
    (keyless,), _ = parts_of(table("log", [col("v", "varchar")], pk=(), rows=10**6))
    assert keyless.note == "over 100 rows, but it has no key"
    (empty,), _ = parts_of(table("t", [col("id")], rows=10**6), bounds=None)
    assert empty.note == "no rows on the source" and not empty.ranged


def test_fewer_keys_than_parts_give_fewer_parts():
    assert key_ranges(5, 6, 10) == [(None, 5), (5, None)]
    assert key_ranges(7, 7, 3) == [(None, None)]
    parts, _ = parts_of(table("t", [col("id")], rows=10**6), bounds=(7, 7))
    assert parts == [ValidationPart("wf", "shop", "t")]


@given(st.integers(-(10**6), 10**6), st.integers(0, 500), st.integers(1, 40))
def test_key_ranges_cover_every_key_once_in_order(low, span, parts):
    ranges = key_ranges(low, low + span, parts)
    assert 1 <= len(ranges) <= parts
    assert ranges[0][0] is None and ranges[-1][1] is None
    for key in range(low - 3, low + span + 4):
        assert sum(1 for a, b in ranges if (a is None or key > a) and (b is None or key <= b)) == 1
    cuts = [b for _, b in ranges[:-1]]
    assert cuts == sorted(set(cuts)) and all(low <= c < low + span for c in cuts)


def test_a_part_result_reads_back_as_stored():
    part = ValidationPart("wf", "shop", "orders", 2, 3, 10, None)
    result = PartResult(part, TableDiff("orders", "match", rows_source=4), None, None, [], "repair/orders.2.sql")
    assert PartResult.from_dict(result.to_dict()) == result
    assert ValidationPart.from_dict({**part.to_dict(), "added_later": 1}) == part
    checks = PartResult(ValidationPart("wf", "shop", "orders", 0, 3, kind=CHECKS), None, [], ["rows: 1, 2"], [{}])
    assert PartResult.from_dict(checks.to_dict()) == checks
    # a plan stored before parts had kinds reads back with the kind its shape gives
    older = {k: v for k, v in part.to_dict().items() if k != "kind"}
    assert ValidationPart.from_dict(older).kind == RANGE


def comparable(result: TableDiff) -> dict:
    """All but what depends on how the table was cut: its chunks and time."""
    d = result.to_dict()
    for k in ("chunks", "chunks_differing", "seconds", "warnings"):
        d.pop(k)
    return d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drift(INTEGER_TABLE, st.tuples(st.integers(1, 120))), st.integers(2, 6), st.sampled_from([3, 10_000]))
def test_key_ranges_merge_into_what_one_comparison_of_the_whole_table_reports(data, k, max_reported):
    source_rows, target_rows, *_, shards = data
    t = replace(INTEGER_TABLE, rows_estimate=len(source_rows))
    s = replace(SMALL, max_reported=max_reported)
    source, target = sides(t, source_rows, target_rows, shards)
    whole = TableComparison(t, source, target, s).run()
    keys = [r[0] for r in source_rows]
    parts = [
        TableComparison(
            t,
            source,
            target,
            s,
            key_range=Range(None if a is None else (a,), None if b is None else (b,)),
        ).run()
        for a, b in key_ranges(min(keys), max(keys), k)
    ]
    merged = merge_table_diffs(parts, max_reported)
    assert comparable(merged) == comparable(whole)
    assert merged.rows_source == len(source_rows) and merged.rows_target == len(target_rows)


def test_the_stage_merges_its_parts_in_plan_order_with_the_tables_left_out(tmp_path):
    from pocflow.engagement import from_inputs
    from pocflow.quality.diff import RowDifference
    from pocflow.stages import StageContext
    from pocflow.stages.import_data import ImportResult
    from pocflow.stages.validation import PLAN, merge, stored_parts
    from pocflow.stages.workflows import WorkflowPlan

    engagement = from_inputs({"artifact_location": str(tmp_path)}, file="demo-shop.yaml")
    ctx = StageContext(engagement, "run-1", log=lambda m: None)
    workflow = WorkflowPlan("wf", "shop_source", "shop", ["orders", "items"])
    ctx.results.hold("import", ImportResult([workflow], {"events": "no key"}, {"wf": True}, [], 1.0, 0.0, {}))
    parts = [
        ValidationPart("wf", "shop", "orders", i, 3, low, high) for i, (low, high) in enumerate(key_ranges(1, 9, 3))
    ]
    parts.append(ValidationPart("wf", "shop", "items"))
    parts.append(ValidationPart("wf", "shop", "orders", 0, 3, kind=CHECKS))
    missing = RowDifference({"id": 5}, "missing_on_target")
    results = [
        PartResult(parts[0], TableDiff("orders", "match", rows_source=3, rows_target=3, chunks=1)),
        PartResult(
            parts[1],
            TableDiff(
                "orders",
                "mismatch",
                rows_source=3,
                rows_target=2,
                chunks=1,
                differences=[missing],
                differences_total=1,
                differences_by_kind={"missing_on_target": 1},
            ),
            repair_script="repair/orders.1.sql",
        ),
        PartResult(parts[2], TableDiff("orders", "match", rows_source=3, rows_target=3, chunks=1)),
        PartResult(parts[3], TableDiff("items", "match", rows_source=7, rows_target=7), ["index x missing"], []),
        PartResult(parts[4], None, [], ["SUM(v): source 1, target 2"], [{"x": 1}]),
    ]
    ctx.store.put_json(
        PLAN, {"parts": [p.to_dict() for p in parts], "lag_seconds": 0.5, "workflow_states": {"wf": "Running"}}
    )
    for r in results:
        ctx.store.put_json(f"validation-parts/{r.part.name}", r.to_dict())
    assert stored_parts(ctx) == results
    merged = merge(ctx, stored_parts(ctx)[::-1], vdiffs={})  # in any order: merged in the plan's
    assert [(t.table, t.status, t.rows_source, t.rows_target, t.chunks) for t in merged.tables] == [
        ("orders", "mismatch", 9, 8, 3),
        ("items", "match", 7, 7, 0),
        ("events", "skipped", 0, 0, 0),
    ]
    by_table = {t.table: t for t in merged.tables}
    assert by_table["orders"].differences == [missing] and by_table["orders"].differences_total == 1
    assert merged.schema == {"orders": [], "items": ["index x missing"]} and merged.expectations == [{"x": 1}]
    assert merged.aggregates == {"orders": ["SUM(v): source 1, target 2"], "items": []}
    assert merged.repair_scripts == {"orders.1": "repair/orders.1.sql"}
    assert merged.workflows == ["wf"] and merged.lag_seconds == 0.5 and merged.workflow_states == {"wf": "Running"}
    assert merged.mismatched_rows == 1 and not merged.passed


@given(st.integers(0, 60), st.integers(1, 20))
def test_parts_past_airflow_s_map_limit_are_dealt_into_that_many_batches(count, limit):
    parts = [ValidationPart("wf", "ks", f"t{i}") for i in range(count)]
    out = batches(parts, limit)
    assert len(out) == min(count, limit)
    assert sorted(p.table for b in out for p in b) == sorted(p.table for p in parts)  # each part once
    if count <= limit:
        assert out == [[p] for p in parts]  # one part per task while they fit
    else:
        assert [b[0] for b in out] == parts[:limit]  # the long parts, planned first, head different batches
        assert max(map(len, out)) - min(map(len, out)) <= 1
        for b in out:
            assert b == sorted(b, key=parts.index)  # plan order within a batch


def test_no_batches_for_a_limit_below_one():
    import pytest

    with pytest.raises(ValueError, match="at least one task"):
        batches([ValidationPart("wf", "ks", "t")], 0)
