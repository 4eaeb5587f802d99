"""The comparison run for real on two SQLite sides (tests/unit/sqlite_side.py executes the SQL it generates):
random tables, random drift on the target, and the comparison must name exactly the drifted keys, with
the right kinds and, for changed rows, exactly the changed columns. Small chunk and narrowing settings make
every table go through chunking, narrowing and leaves."""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventories import col, table
from sqlite_side import SqliteSide

from pocflow.quality.diagnosis import CATALOGUE, catalogue, diagnose
from pocflow.quality.diff import (
    MASK,
    ColumnDifference,
    DiffSettings,
    RowDifference,
    TableComparison,
    TableDiff,
    hidden_rows,
    shown,
)
from pocflow.quality.repair import repair_sql, sql_literal

SMALL = DiffSettings(
    chunk_rows=8,
    narrow_rows=4,
    chunks_per_query=3,
    scan_groups=6,
    fanout=4,
    fetch_rows=4,
    leaf_keys=2,
    recheck_attempts=1,
    recheck_wait_seconds=0,
    max_reported=10_000,
)

# texts full of the row text's own separators, NULL-like and empty values
TEXT = st.text(alphabet=st.sampled_from(list("ab#:-1 \\é")), max_size=5)
INTEGER_TABLE = table(
    "items",
    [
        col("id"),
        col("a", "varchar"),
        col("b", "text", nullable=True),
        col("n", "int", nullable=True),
        col("f", "double"),
    ],
)
STRING_KEY_TABLE = table(
    "lines",
    [col("k1", "varchar"), col("k2", "varchar"), col("v", "varchar", nullable=True), col("w", "int")],
    pk=("k1", "k2"),
)
VALUES = {
    "a": TEXT,
    "b": st.none() | TEXT,
    "n": st.none() | st.integers(-50, 50),
    "f": st.integers(-(10**6), 10**6).map(lambda i: i / 1000),
    "v": st.none() | TEXT,
    "w": st.integers(0, 9),
}


def compare(source, target, s: DiffSettings = SMALL, t=None):
    comparison = TableComparison(t or source.table, source, target, s)
    return comparison, comparison.run()


def sides(t, source_rows, target_rows, shards=1):
    """A source with its key enforced; a target of ``shards`` shards without it (a key may be held twice):
    each target row goes to the shard its key hashes to, unless given as (shard, row)."""
    source = SqliteSide("source", t)
    source.insert(source_rows)
    target = SqliteSide("target", t, shards=shards, unique_key=False)
    n = len(t.primary_key.columns) if t.primary_key else 1
    for r in target_rows:
        shard, row = r if isinstance(r[0], int) and isinstance(r[1], tuple) else (None, r)
        target.insert([row], shard if shard is not None else zlib.crc32(repr(row[:n]).encode()) % shards)
    return source, target


@st.composite
def drift(draw, t, keys):
    """A source table and a drifted target: (source rows, target rows, {key: kind}, {key: changed columns},
    keys whose float changed below the compared precision, shards)."""
    n = len(t.primary_key.columns)
    value_columns = [c.name for c in t.columns[n:]]
    source_keys = draw(st.lists(keys, unique=True, min_size=1, max_size=40))
    source = {k: tuple(draw(VALUES[c]) for c in value_columns) for k in source_keys}
    shards = draw(st.sampled_from([1, 2]))
    target: list = []
    expected, changed, hidden = {}, {}, set()
    for k, values in source.items():
        action = draw(st.sampled_from(["same"] * 5 + ["change", "delete", "duplicate", "hide"]))
        row = k + values
        if action == "same" or (action == "hide" and "f" not in value_columns):
            target.append(row)
        elif action == "delete":
            expected[k] = "missing_on_target"
        elif action == "duplicate":
            expected[k] = "duplicate_on_target"
            copy = row if draw(st.booleans()) else k + tuple(draw(VALUES[c]) for c in value_columns)
            target += [(0, row), (shards - 1, copy)]
        elif action == "hide":  # a change the float rounding cannot see
            i = value_columns.index("f")
            target.append(row[: n + i] + (values[i] + 1e-9,) + row[n + i + 1 :])
            hidden.add(k)
        else:
            columns = draw(st.lists(st.sampled_from(value_columns), unique=True, min_size=1))
            new = list(values)
            for c in columns:
                i = value_columns.index(c)
                new[i] = values[i] + 1.0 if c == "f" else draw(VALUES[c].filter(lambda v, old=values[i]: v != old))
            target.append(k + tuple(new))
            expected[k], changed[k] = "different", set(columns)
    for k in draw(st.lists(keys.filter(lambda k: k not in source), unique=True, max_size=4)):
        target.append(k + tuple(draw(VALUES[c]) for c in value_columns))
        expected[k] = "extra_on_target"
    return [k + v for k, v in source.items()], target, expected, changed, hidden, shards


def key_of(d: RowDifference, t) -> tuple:
    return tuple(d.key[k] for k in t.primary_key.columns)


def check(t, data, s: DiffSettings = SMALL):
    source_rows, target_rows, expected, changed, hidden, shards = data
    t.rows_estimate = len(source_rows)
    source, target = sides(t, source_rows, target_rows, shards)
    comparison, result = compare(source, target, s, t=t)
    found = {key_of(d, t): d.kind for d in result.differences}
    assert found == expected
    assert result.differences_total == len(expected) == sum(result.differences_by_kind.values())
    assert result.status == ("mismatch" if expected else "match")
    for d in result.differences:
        if d.kind == "different":
            assert {c.column for c in d.columns} == changed[key_of(d, t)]
        else:
            assert d.columns == []
    if any(c.data_type == "double" for c in t.columns):
        assert result.hidden_by_normalisation[0]["rows"] == len(hidden)
    return comparison, result, source, target


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drift(INTEGER_TABLE, st.tuples(st.integers(1, 120))))
def test_integer_keys_every_drifted_key_is_named_with_its_kind_and_columns(data):
    check(INTEGER_TABLE, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drift(INTEGER_TABLE, st.tuples(st.integers(-60, 120))),
    st.sampled_from([1, 3, 6, 24, 5_000]),
    st.sampled_from([1, 2, 3]),
    st.sampled_from([1, 2, 8]),
    st.sampled_from([1, 2, 32]),
    st.sampled_from([0.0, 0.2, 1.0]),
    st.sampled_from([1, 2, 10]),
)
def test_integer_keys_are_named_whatever_the_sub_chunks_leaves_and_pipelining(
    data, groups, leaf, pipelined, ranges, dense, block
):
    """Sub-chunks of one key up to whole chunks, leaves that do or do not divide them, negative keys, each
    side running one query or several on its own before comparing, one key range per query or many, the
    scan read by blocks of one chunk or several throughout, by sub-chunk after any drift, or switching at a
    fifth of a batch."""
    s = DiffSettings(
        **{
            **SMALL.__dict__,
            "scan_groups": groups,
            "leaf_keys": leaf,
            "pipelined_queries": pipelined,
            "ranges_per_query": ranges,
            "dense_drift": dense,
            "block_chunks": block,
        }
    )
    check(INTEGER_TABLE, data, s)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drift(STRING_KEY_TABLE, st.tuples(TEXT, TEXT)))
def test_composite_string_keys_every_drifted_key_is_named_with_its_kind_and_columns(data):
    check(STRING_KEY_TABLE, data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drift(INTEGER_TABLE, st.tuples(st.integers(1, 120))))
def test_the_repair_script_makes_the_target_equal_to_the_source(data):
    comparison, result, source, target = check(INTEGER_TABLE, data)
    script = repair_sql(
        comparison.table, comparison.repairable, comparison.source_rows, run="run-1", key=comparison.keys
    )
    for statement in script.split(";\n"):
        sql = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        if sql and not sql.startswith("SET "):  # session settings of a MySQL client
            # vtgate routes a row's INSERT to one shard, a DELETE or UPDATE by key to wherever the key is
            for conn in target.conns[:1] if sql.startswith("INSERT") else target.conns:
                conn.execute(sql.replace("_utf8mb4 X'", "X'"))
    _, again = compare(source, target, t=INTEGER_TABLE)
    assert again.status == "match" and again.differences_total == 0


# --- no silent match -----------------------------------------------------------------------------


def test_a_key_held_on_two_shards_is_a_duplicate_not_a_match():
    t = table("t", [col("id"), col("v", "varchar")], rows=20)
    rows = [(i, f"v{i}") for i in range(1, 21)]
    source, target = sides(t, rows, rows + [(1, (5, "v5"))], shards=2)
    _, result = compare(source, target)
    assert [d.to_dict() for d in result.differences] == [
        {"key": {"id": 5}, "kind": "duplicate_on_target", "rows_source": 1, "rows_target": 2}
    ]
    assert result.status == "mismatch" and result.differences_total == 1


def test_a_target_that_lost_its_unique_key_shows_the_duplicate():
    t = table("t", [col("code", "varchar"), col("v", "int")], pk=("code",), rows=10)
    rows = [(f"c{i}", i) for i in range(10)]
    source, target = sides(t, rows, rows + [("c3", 99)])
    _, result = compare(source, target)
    assert [(d.key, d.kind, d.rows_target) for d in result.differences] == [({"code": "c3"}, "duplicate_on_target", 2)]


class ListingStaleSide(SqliteSide):
    """A target whose checksums see its rows while its row listings see an older copy of them (as if
    answered by another replica): a range differs and none of its rows can be named."""

    def __init__(self, name, t, stale_rows):
        super().__init__(name, t, unique_key=False)
        self.stale = SqliteSide(name, t)
        self.stale.insert(stale_rows)

    def rows(self, sql, args=()):
        return self.stale.rows(sql, args) if "SHA2(" in sql else super().rows(sql, args)


def test_a_range_that_differs_with_no_row_named_is_a_count_only_difference():
    t = table("t", [col("id"), col("v", "varchar")], rows=30)
    rows = [(i, f"v{i}") for i in range(1, 31)]
    source = SqliteSide("source", t)
    source.insert(rows)
    target = ListingStaleSide("target", t, stale_rows=rows)
    target.insert([r if r[0] != 7 else (7, "changed") for r in rows])
    _, result = compare(source, target)
    assert [d.to_dict() for d in result.differences] == [
        {
            "key": {},
            "kind": "count_only",
            "range": {"after": {"id": 6}, "through": {"id": 8}},
            "rows_source": 2,
            "rows_target": 2,
        }
    ]
    assert result.status == "mismatch" and result.differences_total == 1
    assert "count_only keys after {'id': 6} through {'id': 8}" in result.differences[0].describe()


def test_a_keyless_table_whose_checksum_differs_is_a_checksum_only_difference():
    t = table("log", [col("at", "datetime"), col("msg", "varchar")], pk=(), rows=3)
    source, target = sides(
        t,
        [("2026-01-01 00:00:00", "a"), ("2026-01-01 00:00:01", "b")],
        [("2026-01-01 00:00:00", "a"), ("2026-01-01 00:00:01", "B")],
    )
    _, result = compare(source, target)
    assert result.status == "mismatch" and result.differences_total == 1
    assert [d.to_dict() for d in result.differences] == [
        {"key": {}, "kind": "checksum_only", "rows_source": 2, "rows_target": 2}
    ]


def test_a_separator_inside_a_value_does_not_hide_a_difference():
    """('x#', 'y') and ('x', '#y') joined by '#' both read 'x##y': the former row text made them one."""
    t = table("t", [col("id"), col("a", "varchar"), col("b", "varchar")], rows=1)
    source, target = sides(t, [(1, "x#", "y")], [(1, "x", "#y")])
    old_row_text = "SELECT CRC32(CONCAT_WS('#', `id`, `a`, `b`)) FROM `t`"
    assert source.rows(old_row_text) == target.rows(old_row_text)
    _, result = compare(source, target)
    assert [(d.kind, [c.column for c in d.columns]) for d in result.differences] == [("different", ["a", "b"])]


def test_null_and_empty_text_differ():
    t = table("t", [col("id"), col("a", "varchar", nullable=True), col("b", "varchar", nullable=True)], rows=1)
    source, target = sides(t, [(1, None, "")], [(1, "", None)])
    _, result = compare(source, target)
    assert [c.to_dict() for c in result.differences[0].columns] == [
        {"column": "a", "source": None, "target": "", "class": "unexplained"},
        {"column": "b", "source": "", "target": None, "class": "unexplained"},
    ]


# --- the columns of a differing row ---------------------------------------------------------------


def test_differing_columns_are_named_with_both_values_masked_and_shortened():
    t = table(
        "customers",
        [
            col("id"),
            col("email", "varchar"),
            col("note", "text"),
            col("photo", "blob"),
            col("score", "double"),
            col("same", "varchar"),
        ],
        rows=1,
    )
    long = "é" * 100
    source, target = sides(
        t,
        [(1, "ann@example.com", long, b"\x00\x01", 1.2345678, "s")],
        [(1, "bob@example.com", long + "!", b"\x00\x02", 1.23457, "s")],
    )
    s = DiffSettings(**{**SMALL.__dict__, "masked_columns": {"EMAIL"}})
    _, result = compare(source, target, s)
    assert [c.to_dict() for c in result.differences[0].columns] == [
        {"column": "email", "source": MASK, "target": MASK, "class": "unexplained"},
        {
            "column": "note",
            "source": "é" * 80 + "… (100 characters)",
            "target": "é" * 80 + "… (101 characters)",
            "class": "unexplained",
        },
        {"column": "photo", "source": "0x0001", "target": "0x0002", "class": "unexplained"},
        {"column": "score", "source": 1.2345678, "target": 1.23457, "class": "float_precision"},
    ]
    assert result.column_classes == {"unexplained": 3, "float_precision": 1}


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        (5, 5),
        (1.5, 1.5),
        ("short", "short"),
        (b"\xff", "0xff"),
        ("x" * 81, "x" * 80 + "… (81 characters)"),
        (b"\x01" * 41, "0x" + "01" * 40 + "… (41 bytes)"),
        (Decimal("1.10"), "1.10"),
        (dt.datetime(2026, 1, 2, 3, 4, 5), "2026-01-02 03:04:05"),
    ],
)
def test_values_are_shown_short_and_binary_as_hex(value, expected):
    assert shown(value) == expected


def test_a_masked_value_is_the_mask_but_null_stays_null():
    assert shown("secret", masked=True) == MASK and shown(None, masked=True) is None


def test_a_change_the_float_rounding_cannot_see_is_counted_as_hidden():
    t = table("t", [col("id"), col("price", "double")], rows=3)
    source, target = sides(t, [(1, 0.000123456789), (2, 1.5), (3, 2.5)], [(1, 0.000123457), (2, 1.5), (3, 2.5)])
    _, result = compare(source, target)
    assert result.status == "match"
    assert result.hidden_by_normalisation == [
        {"column": "price", "normalisation": result.normalisations[0], "rows": 1, "capped": False, "keys": [{"id": 1}]}
    ]
    off = DiffSettings(**{**SMALL.__dict__, "count_hidden_by_normalisation": False})
    source.queries.clear()
    _, result = compare(source, target, off)
    assert result.hidden_by_normalisation == [] and not any("0e0" in q for q in source.queries)


def test_the_hidden_rows_re_read_are_capped_and_the_cap_is_said():
    t = table("t", [col("id"), col("price", "double")], rows=6)
    rows = [(i, i + 0.5) for i in range(1, 7)]
    source, target = sides(t, rows, [(i, v + 1e-9) for i, v in rows])
    _, result = compare(source, target, DiffSettings(**{**SMALL.__dict__, "hidden_rows_limit": 4}))
    assert result.status == "match"
    assert [(h["rows"], h["capped"]) for h in result.hidden_by_normalisation] == [(4, True)]
    assert hidden_rows(result.hidden_by_normalisation[0]) == (
        "4 differing row(s) (capped: more were not re-read, see hidden_rows_limit)"
    )
    _, result = compare(source, target)
    assert [(h["rows"], h["capped"]) for h in result.hidden_by_normalisation] == [(6, False)]


def test_a_table_without_normalised_columns_gets_no_second_pass():
    t = table("t", [col("id"), col("v", "varchar")], rows=3)
    source, target = sides(t, [(1, "a"), (2, "b")], [(1, "a"), (2, "b")])
    compare(source, target)
    assert len(source.queries) == 2  # key bounds, one segment of chunk checksums


# --- diagnosis ------------------------------------------------------------------------------------

LATIN1 = col("name", "varchar", charset="latin1", collation="latin1_swedish_ci")


@pytest.mark.parametrize(
    "column, source, target, expected",
    [
        (col("f", "float"), 1.2345678, 1.23457, "float_precision"),
        (col("f", "double"), 123456789.0, 123457000.0, "float_precision"),
        (col("f", "double"), 1.0, 1.1, "unexplained"),
        (col("f", "double"), 1234567.0, 1234568.0, "unexplained"),  # a changed value, not a 6-digit text
        (col("s", "varchar"), "Straße", "STRASSE", "collation_or_charset"),
        (col("s", "varchar"), "café", "cafe", "collation_or_charset"),
        (LATIN1, "é", "Ã©", "collation_or_charset"),
        (LATIN1, b"\xe9", "é", "collation_or_charset"),
        (col("s", "char"), "ab  ", "ab", "trailing_spaces"),
        (col("b", "binary"), b"ab\x00\x00", b"ab", "trailing_spaces"),
        (col("t", "datetime"), dt.datetime(2026, 3, 1, 12, 0), dt.datetime(2026, 3, 1, 14, 0), "time_zone"),
        (col("t", "timestamp"), "2026-03-01 12:00:00", "2026-03-01 06:30:00", "time_zone"),
        (col("t", "datetime"), dt.datetime(2026, 3, 1, 12, 0), dt.datetime(2026, 3, 2, 3, 0), "unexplained"),
        (
            col("t", "datetime"),
            dt.datetime(2026, 3, 1, 12, 0, 0, 600000),
            dt.datetime(2026, 3, 1, 12, 0, 1),
            "fractional_seconds",
        ),
        (col("t", "datetime"), "2026-03-01 12:00:00.123456", "2026-03-01 12:00:00", "fractional_seconds"),
        (col("t", "time"), dt.timedelta(hours=30, microseconds=5), dt.timedelta(hours=30), "fractional_seconds"),
        (col("j", "json"), '{"a": 1, "b": [1, 2]}', '{"b":[1,2],"a":1}', "json_formatting"),
        (col("j", "json"), '{"a": 1}', '{"a": 2}', "unexplained"),
        (col("s", "text"), "[1, 2.50]", "[1,2.5]", "json_formatting"),
        (col("s", "varchar"), "abc", "abd", "unexplained"),
        (col("s", "varchar"), None, "", "unexplained"),
        (col("n", "int"), 1, 2, "unexplained"),
    ],
)
def test_a_differing_column_is_diagnosed_from_its_type_and_values(column, source, target, expected):
    assert diagnose(column, source, target) == expected


def test_every_class_says_what_it_means_and_what_to_do():
    assert set(CATALOGUE) == {
        "float_precision",
        "collation_or_charset",
        "trailing_spaces",
        "time_zone",
        "json_formatting",
        "fractional_seconds",
        "unexplained",
    }
    assert all(c["explanation"] and c["what_to_do"] for c in catalogue())
    assert "DOUBLE or DECIMAL" in CATALOGUE["float_precision"].what_to_do


# --- repair script --------------------------------------------------------------------------------

REPAIRED = table(
    "orders",
    [
        col("id"),
        col("note", "varchar", nullable=True),
        col("total", "decimal"),
        col("paid_at", "timestamp", nullable=True),
        col("total_x2", "decimal", generated=True),
    ],
)


def test_the_repair_script_inserts_deletes_and_updates_by_key():
    differences = [
        RowDifference({"id": 1}, "missing_on_target"),
        RowDifference({"id": 2}, "extra_on_target"),
        RowDifference({"id": 3}, "different", [ColumnDifference("note", "a", "b", "unexplained")]),
        RowDifference({"id": 4}, "duplicate_on_target", rows_source=1, rows_target=2),
        RowDifference(
            {}, "count_only", range={"after": {"id": 10}, "through": {"id": 20}}, rows_source=3, rows_target=4
        ),
        RowDifference({"id": 5}, "different"),
    ]
    rows = {
        (1,): (1, "it's", Decimal("9.50"), dt.datetime(2026, 1, 2, 3, 4, 5), Decimal("19.00")),
        (3,): (3, "back\\slash", Decimal("1.00"), None, Decimal("2.00")),
        (4,): (4, None, Decimal("0.10"), None, Decimal("0.20")),
    }
    assert (
        repair_sql(REPAIRED, differences, rows, run="manual__2026-05-01")
        == """\
-- Repair of `orders` on the target: makes the target's rows equal to the source's for the differences below.
-- Written by pocflow's validation for run manual__2026-05-01; never run. Review it, then run it on the target.
-- 6 difference(s).
-- the text literals below are UTF-8
SET NAMES utf8mb4;
-- the TIMESTAMP values below are UTC
SET time_zone = '+00:00';

-- missing_on_target {'id': 1}
INSERT INTO `orders` (`id`, `note`, `total`, `paid_at`) VALUES (1, 'it''s', 9.50, '2026-01-02 03:04:05');

-- extra_on_target {'id': 2}
DELETE FROM `orders` WHERE `id` = 2;

-- different {'id': 3}: note (unexplained)
UPDATE `orders` SET `note` = _utf8mb4 X'6261636B5C736C617368' WHERE `id` = 3;

-- duplicate_on_target {'id': 4} (1 source row(s), 2 target row(s))
DELETE FROM `orders` WHERE `id` = 4;
INSERT INTO `orders` (`id`, `note`, `total`, `paid_at`) VALUES (4, NULL, 0.10, NULL);

-- count_only keys after {'id': 10} through {'id': 20}: 3 source row(s), 4 target row(s), none could be named
-- not repairable by key: compare the rows of this range on both sides by hand

-- different {'id': 5}
-- skipped: the source row was not kept (more differences than the comparison's repair_rows, or the row is gone \
from the source)
"""
    )


@pytest.mark.parametrize(
    "value, literal",
    [
        (None, "NULL"),
        (True, "1"),
        (-7, "-7"),
        (Decimal("1E+2"), "100"),
        (0.1, "0.1"),
        (b"\x00\xff", "X'00FF'"),
        ("O'Brien", "'O''Brien'"),
        ("a\nb", "_utf8mb4 X'610A62'"),
        (dt.date(2026, 1, 2), "'2026-01-02'"),
        (dt.timedelta(hours=-30, minutes=-1), "'-30:01:00'"),
        ({"b", "a"}, "'a,b'"),
    ],
)
def test_values_become_literals_that_read_alike_in_any_sql_mode(value, literal):
    assert sql_literal(value) == literal


# --- stored results -------------------------------------------------------------------------------


def test_results_stored_before_column_attribution_still_load():
    old = {
        "table": "t",
        "status": "mismatch",
        "reason": "",
        "rows_source": 2,
        "rows_target": 2,
        "chunks": 1,
        "chunks_differing": 1,
        "differences": [{"key": {"id": 5}, "kind": "different"}],
        "differences_total": 1,
        "settled_on_recheck": 0,
        "warnings": [],
        "normalisations": [],
        "seconds": 0.1,
    }
    loaded = TableDiff.from_dict(old)
    assert loaded.differences == [RowDifference({"id": 5}, "different")] and loaded.hidden_by_normalisation == []
    new = TableDiff(
        "t",
        "mismatch",
        differences=[
            RowDifference({"id": 5}, "different", [ColumnDifference("v", "a", "b", "trailing_spaces")]),
            RowDifference({}, "count_only", range={"after": None, "through": {"id": 9}}, rows_source=1, rows_target=0),
        ],
        differences_total=2,
        differences_by_kind={"different": 1, "count_only": 1},
    )
    assert TableDiff.from_dict(new.to_dict()) == new
