from inventories import col

from pocflow.nightly import regressions
from pocflow.quality.diff import DiffSettings, Range, chunk_hash_sql, column_expression, row_hash_sql
from pocflow.vitess.movetables import Stream, TableCopy, WorkflowStatus, parse_vdiff
from pocflow.vitess.progress import CopyProgress


def test_ranges_use_row_constructors_for_composite_keys():
    assert Range(None, None).where(["id"]) == ("1=1", [])
    assert Range((5,), (10,)).where(["id"]) == ("`id` > %s AND `id` <= %s", [5, 10])
    where, args = Range(("a", 1), None).where(["wh", "pid"])
    assert where == "(`wh`, `pid`) > (%s, %s)" and args == ["a", 1]


def test_values_are_normalised_against_known_false_differences():
    s = DiffSettings(float_decimals=4)
    # a rounded DOUBLE prints '1.1' on MySQL 8+ and '1.1000' on MariaDB; a DECIMAL '1.1000' on both
    assert column_expression(col("f", "double"), s)[0] == "CAST(ROUND(`f`, 4) AS DECIMAL(65, 4))"
    assert column_expression(col("t", "timestamp"), s)[0] == "UNIX_TIMESTAMP(`t`)"
    expr, note = column_expression(col("l", "varchar", charset="latin1", collation="latin1_swedish_ci"), s)
    assert expr == "CAST(CONVERT(`l` USING utf8mb4) AS BINARY)" and "latin1" in note
    assert column_expression(col("d", "decimal"), s) == ("`d`", None)


def test_row_text_tells_null_from_empty_by_length_and_needs_no_markers():
    columns = [col("a", "varchar", nullable=True), col("b"), col("c", "text"), col("n", "int", nullable=True)]
    sql = row_hash_sql(columns, DiffSettings())
    # text that may hold the 0xFF separator (no charset known here): its length (-1 for NULL) before it;
    # the last NOT NULL such column needs none; a nullable number prints '' for NULL; no ISNULL markers
    assert "CONCAT_WS(CAST(X'FF' AS BINARY), COALESCE(LENGTH(`a`), -1), `a`, `b`, `c`, COALESCE(`n`, ''))" in sql
    assert "ISNULL" not in sql and sql.startswith("CAST(CONV(SUBSTRING(SHA2(")
    assert "MD5(" not in sql and "SHA1(" not in sql  # both removed in MySQL 9
    assert chunk_hash_sql(columns, DiffSettings()).startswith(
        "CRC32(CONCAT_WS(CAST(X'FF' AS BINARY), COALESCE(LENGTH(`a`), -1), `a`"
    )


def test_utf8_text_needs_no_length_because_no_utf8_text_holds_the_separator():
    utf8 = [
        col("a", "varchar", nullable=True, charset="utf8mb4"),
        col("b", "char", charset="ascii"),
        col("j", "json", nullable=True),
        col("l", "varchar", charset="latin1"),
        col("n", "int"),
    ]
    sql = chunk_hash_sql(utf8, DiffSettings())
    # a NULL of UTF-8 text is 0xFE (no UTF-8 text either); latin1 may hold 0xFF, but as the last NOT NULL
    # column it needs no length
    assert sql == (
        "CRC32(CONCAT_WS(CAST(X'FF' AS BINARY), COALESCE(`a`, CAST(X'FE' AS BINARY)), "
        "CAST(CONVERT(`b` USING utf8mb4) AS BINARY), "
        "COALESCE(`j`, CAST(X'FE' AS BINARY)), "
        "CAST(CONVERT(`l` USING utf8mb4) AS BINARY), `n`))"
    )


def status(tables, lag="0s"):
    return WorkflowStatus(
        "wf",
        "ks",
        [TableCopy(t, c, n, 0, "IN_PROGRESS") for t, c, n in tables],
        [Stream("ks/0", 1, "z-1", "src/0", "Copying", f"VStream Lag: {lag}", "")],
        "",
    )


def test_eta_comes_from_the_observed_copy_rate():
    p = CopyProgress()
    p.update([status([("a", 0, 1000), ("b", 0, 3000)])], now=100.0)
    assert p.rows_per_second is None and p.eta_seconds is None
    p.update([status([("a", 500, 1000), ("b", 500, 3000)], lag="4s")], now=110.0)
    assert p.rows_per_second == 100.0 and p.remaining_rows == 3000 and p.eta_seconds == 30.0
    assert p.lag_seconds == 4.0 and "ETA 0m30s" in p.lines()[0]


def test_tables_that_leave_the_copy_state_count_as_complete():
    p = CopyProgress()
    p.update([status([("a", 10, 100), ("b", 0, 50)])], now=0.0)
    p.update([status([("b", 50, 50)])], now=5.0)
    assert p.last["ks.a"] == (100, 100, "COMPLETE") and p.remaining_rows == 0


def night(differences=0, keys=(), lag=1.0, state="Running"):
    return {
        "tables": {"t": {"differences": differences, "keys": list(keys)}},
        "lag_seconds": lag,
        "workflow_states": {"wf": state},
    }


def test_regressions_name_new_differences_lag_and_stopped_workflows():
    key = {"key": {"id": 1}, "kind": "different"}
    assert regressions(night(), night()) == []
    assert regressions(night(), night(1, [key])) == ["t: 1 differing row(s), was 0; new: different {'id': 1}"]
    assert regressions(night(1, [key]), night(1, [key])) == []
    assert regressions(night(lag=1), night(lag=100)) == ["replication lag grew from 1s to 100s"]
    assert regressions(None, night(state="Stopped")) == ["workflow wf is not running (Stopped)"]


def test_a_known_difference_whose_values_changed_overnight_is_not_new():
    before = {
        "key": {"id": 1},
        "kind": "different",
        "columns": [{"column": "n", "source": 1, "target": 2, "class": "unexplained"}],
    }
    after = {**before, "columns": [{"column": "n", "source": 5, "target": 6, "class": "unexplained"}]}
    assert regressions(night(1, [before]), night(1, [after])) == []
    assert regressions(night(1, [{"key": {"id": 1}, "kind": "different"}]), night(1, [after])) == []
    rng = {
        "key": {},
        "kind": "count_only",
        "range": {"after": {"id": 6}, "through": {"id": 8}},
        "rows_source": 2,
        "rows_target": 3,
    }
    assert regressions(night(), night(1, [rng])) == [
        "t: 1 differing row(s), was 0; new: count_only keys after {'id': 6} through {'id': 8}: 2 source row(s), "
        "3 target row(s), none could be named"
    ]


def test_vdiff_samples_are_kept_with_their_kind():
    data = {
        "State": "completed",
        "HasMismatch": True,
        "ShardSummaries": {"0": {"TableStates": {"t": {"RowsCompared": 2, "MismatchedRows": 1}}}},
        "Reports": {
            "t": {
                "0": {
                    "MismatchedRowsSample": [
                        {"Source": {"Row": {"id": "5", "v": "a"}}, "Target": {"Row": {"id": "5"}}}
                    ],
                    "ExtraRowsTargetSample": [{"Row": {"id": "9"}}],
                }
            }
        },
    }
    t = parse_vdiff(data).tables[0]
    assert t.samples == [
        {"kind": "different", "row": {"id": "5", "v": "a"}},
        {"kind": "extra_on_target", "row": {"id": "9"}},
    ]


def test_expectations_come_from_the_schema_and_the_source_profile():
    from inventories import table

    from pocflow.quality.expectations import TableProfile, expectation_specs, unique_key_spec
    from pocflow.source.inventory import Index

    t = table(
        "t",
        [col("id"), col("email", "varchar"), col("note", "text", nullable=True), col("w", "float")],
        uniques=[("email",)],
    )
    specs = expectation_specs(t, TableProfile(1000, {"id": (1, 1000), "w": (0.5, 2.0)}), row_tolerance=0.01)
    assert specs[0] == ("ExpectTableRowCountToBeBetween", {"min_value": 990, "max_value": 1011})
    assert ("ExpectColumnValuesToNotBeNull", {"column": "email"}) in specs
    assert ("ExpectColumnValuesToNotBeNull", {"column": "note"}) not in specs
    assert unique_key_spec(["id"]) in specs and unique_key_spec(["email"]) in specs
    # a unique key with a functional part (no column name in information_schema.statistics) is left out
    functional = table("f", [col("id"), col("email", "varchar")])
    functional.indexes.append(Index("uk_lower_email", True, ("email", None), False))
    kinds = [s for s in expectation_specs(functional, TableProfile(1, {}), row_tolerance=0) if s[0].startswith("Unex")]
    assert kinds == [unique_key_spec(["id"])]
    name, kwargs = unique_key_spec(["a{b", "c"])
    assert name == "UnexpectedRowsExpectation" and kwargs["description"] == "expect_column_values_to_be_unique(a{b, c)"
    assert kwargs["unexpected_rows_query"] == (
        "SELECT `a{{b`, `c` FROM {batch} WHERE `a{{b` IS NOT NULL AND `c` IS NOT NULL GROUP BY `a{{b`, `c` "
        "HAVING COUNT(*) > 1"
    )
    assert ("ExpectColumnValuesToBeBetween", {"column": "id", "min_value": 1, "max_value": 1000}) in specs
    w = next(kw for name, kw in specs if name == "ExpectColumnValuesToBeBetween" and kw["column"] == "w")
    assert w["min_value"] < 0.5 < 2.0 < w["max_value"] and w["max_value"] - 2.0 < 1e-5


def test_only_names_that_need_quoting_go_through_a_query():
    from pocflow.quality.expectations import plain_name

    assert plain_name("order_lines") and plain_name("Customers2")
    assert not plain_name("order") and not plain_name('it\'s "quoted"') and not plain_name("naïve café 表")
    assert not plain_name("order lines-2024.q1") and not plain_name("select")


def test_the_source_profile_comes_from_its_aggregates_read_once():
    from inventories import table

    from pocflow.quality.aggregates import TableAggregates
    from pocflow.quality.expectations import TableProfile, profile_from_aggregates

    t = table(
        "t",
        [col("id"), col("big", "bigint"), col("price", "decimal"), col("w", "float"), col("name", "varchar")],
    )
    t.columns.append(col("at", "datetime"))
    t.columns.append(col("empty", "int", nullable=True))
    aggs = TableAggregates(
        rows=7,
        minimum={"id": "1", "big": "9007199254740993", "price": "0.5", "w": "0.000000", "at": "2026-01-01"},
        maximum={"id": "7", "big": "9007199254740995", "price": "12", "w": "2.5", "at": "2026-01-09"},
        nulls={"empty": 7},
    )
    aggs.minimum["empty"] = aggs.maximum["empty"] = None
    p = profile_from_aggregates(t, aggs, 6)
    assert p.rows == 7
    # integers exact, past a double's 53 bits too: a bound rounded through float would reject the maximum
    assert p.ranges["id"] == (1, 7) and p.ranges["big"] == (9007199254740993, 9007199254740995)
    assert isinstance(p.ranges["big"][1], int)
    assert [float(v) for v in p.ranges["price"]] == [0.5, 12.0]
    # a float's bounds were compared rounded to 6 places: 0.0000004 stored reads as 0.000000, so widened
    lo, hi = p.ranges["w"]
    assert lo <= 0.0000004 - 1e-7 and lo >= -2e-6 and hi >= 2.5 + 5e-7 and hi <= 2.5 + 2e-6
    assert set(p.ranges) == {"id", "big", "price", "w"}  # text, temporal and all-NULL columns have no range
    assert isinstance(p, TableProfile)
