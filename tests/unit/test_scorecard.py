"""The scorecard reacts to injected problems: each flips its area, and the recommendation follows."""

import dataclasses
import datetime as dt

from inventories import col, inventory, table

from pocflow.engagement import from_inputs
from pocflow.quality.diff import RowDifference, TableDiff
from pocflow.review.scorecard import CONDITIONS, FAIL, OPT_OUT, PASS, PROCEED, WARN, score
from pocflow.source.readiness import assess
from pocflow.stages.import_data import ImportResult, TableCopyStats
from pocflow.stages.select_database import SelectDatabaseResult
from pocflow.stages.testing import TestingResult as StageTestingResult
from pocflow.stages.validation import ValidationResult
from pocflow.stages.workflows import WorkflowPlan
from pocflow.workload.load import ClassLatency, LoadResult
from pocflow.workload.replay import Execution, ReplayedQuery

TODAY = dt.date(2026, 11, 28)


def engagement(**form):
    return from_inputs(
        {
            "engagement_file": "demo-shop.yaml",
            "opt_out_date": "2027-03-01",
            "max_p99_regression_pct": 20,
            "p99_regression_floor_ms": 2,
            **form,
        },
        today=TODAY,
    )


def selected(*, server=None, keyless=False):
    tables = [table("orders", [col("id"), col("customer_id")])]
    if keyless:
        tables.append(table("events", [col("at", "datetime")], pk=()))
    inv = inventory(tables, server=server)
    return SelectDatabaseResult(inv, assess(inv))


def imported():
    return ImportResult(
        [WorkflowPlan("wf", "s", "t", ["orders"], [])],
        {},
        {"wf": True},
        [TableCopyStats("t", "orders", 10)],
        12.0,
        0.0,
        {"wf": "Reads Not Switched. Writes Not Switched"},
    )


def validation(differences=0):
    diffs = [RowDifference({"id": i}, "different") for i in range(differences)]
    t = TableDiff(
        "orders",
        "mismatch" if differences else "match",
        rows_source=10,
        rows_target=10,
        chunks=1,
        differences=diffs,
        differences_total=differences,
    )
    vdiff = {"wf": {"state": "completed", "has_mismatch": bool(differences), "tables": []}}
    return ValidationResult(
        [t],
        vdiff,
        {"orders": []},
        ["wf"],
        0.0,
        {"wf": "Running"},
        [{"table": "orders", "side": "source", "success": True, "evaluated": 3, "failed": []}],
    )


def latency(name, p99):
    return ClassLatency(name, 100, 0, p99 / 2, p99 * 0.9, p99, p99 * 1.1, p99 * 1.2)


def measured(*, target_p99=1.0, classification="same", error=None):
    src = LoadResult("source", 4, 100, 10, 1000, 0, 100, True, {"q": latency("q", 1.0)})
    tgt = LoadResult("target", 4, 100, 10, 1000, 0, 100, True, {"q": latency("q", target_p99)})
    q = ReplayedQuery(
        "q",
        "select ?",
        "d",
        "SELECT 1",
        Execution(1, "a", None, 0, 1.0),
        Execution(None if error else 1, None if error else "a", error, 0, 1.0),
        classification,
    )
    return StageTestingResult("t", True, "", [q], src, tgt, [], [])


def card(e=None, **parts):
    args = {
        "selected": selected(),
        "imported": imported(),
        "validation": validation(),
        "testing": measured(),
        "history": [{"at": "x", "regressions": []}],
    }
    args.update(parts)
    return score(e or engagement(), today=TODAY, **args)


def statuses(c):
    return {a.name: a.status for a in c.areas}


def test_a_clean_engagement_passes_everywhere_and_proceeds():
    c = card()
    assert set(statuses(c).values()) == {PASS} and c.recommendation == PROCEED and c.open_problems == []


def test_a_server_blocker_fails_readiness_and_opts_out():
    c = card(selected=selected(server={"binlog_format": "MIXED"}))
    assert statuses(c)["readiness"] == FAIL and c.recommendation == OPT_OUT
    assert any("binlog-format-not-row" in p for p in c.open_problems)


def test_a_table_left_out_warns_readiness_and_sets_conditions():
    c = card(selected=selected(keyless=True))
    assert statuses(c)["readiness"] == WARN and c.recommendation == CONDITIONS
    assert any("shop.events" in p and "primary key" in p for p in c.open_problems)


def test_a_mismatched_row_fails_data_validation():
    c = card(validation=validation(differences=1))
    assert statuses(c)["data validation"] == FAIL and c.recommendation == OPT_OUT
    assert any("orders: 1 differing row(s), e.g. different {'id': 0}" in p for p in c.open_problems)


def test_a_range_no_row_of_which_could_be_named_fails_data_validation():
    v = validation()
    unnamed = RowDifference(
        {}, "count_only", range={"after": {"id": 6}, "through": {"id": 8}}, rows_source=2, rows_target=3
    )
    v.tables[0] = TableDiff(
        "orders", "mismatch", rows_source=10, rows_target=11, chunks=1, differences_total=1, differences=[unnamed]
    )
    c = card(validation=v)
    assert statuses(c)["data validation"] == FAIL
    assert any(
        "count_only keys after {'id': 6} through {'id': 8}: 2 source row(s), 3 target row(s)" in p
        for p in c.open_problems
    )


def with_criteria(**changes):
    e = engagement()
    return dataclasses.replace(e, criteria=dataclasses.replace(e.criteria, **changes))


def test_the_engagements_criterion_decides_how_many_differing_rows_are_tolerated():
    # VDiff saw the difference as well, so data validation fails whatever our own count allows
    assert (
        statuses(card(with_criteria(max_mismatched_rows=5), validation=validation(differences=1)))["data validation"]
        == FAIL
    )
    assert statuses(card(with_criteria(max_mismatched_rows=5)))["data validation"] == PASS


def test_a_query_slower_on_the_target_fails_performance():
    c = card(testing=measured(target_p99=5.0))
    assert statuses(c)["performance vs source"] == FAIL and c.recommendation == OPT_OUT
    assert any("q: p99 1.00 ms -> 5.00 ms (+400%)" in p for p in c.open_problems)


def test_a_small_absolute_slowdown_is_not_a_regression():
    assert statuses(card(testing=measured(target_p99=2.5)))["performance vs source"] == PASS


def test_an_unsupported_query_fails_compatibility_unless_allowed():
    err = "1105: VT12001: unsupported: window functions are only supported for single-shard queries"
    c = card(testing=measured(classification="unsupported", error=err))
    assert statuses(c)["query compatibility"] == FAIL and c.recommendation == OPT_OUT
    assert any("VT12001" in p and "rewrite it" in p for p in c.open_problems)
    c2 = card(with_criteria(max_unsupported_queries=1), testing=measured(classification="unsupported", error=err))
    assert statuses(c2)["query compatibility"] == WARN and c2.recommendation == CONDITIONS


def test_a_different_result_fails_compatibility():
    assert statuses(card(testing=measured(classification="different_result")))["query compatibility"] == FAIL


def test_untested_targets_warn():
    c = card(testing=StageTestingResult("t", False, "reads are not switched", []))
    assert statuses(c)["query compatibility"] == WARN and statuses(c)["performance vs source"] == WARN


def test_a_close_opt_out_date_warns_and_a_passed_one_fails():
    close = card(engagement(opt_out_date="2026-12-05"))
    assert statuses(close)["operations"] == WARN and "7 day(s) away" in close.deadline_warning
    e = dataclasses.replace(engagement(), opt_out_date=dt.date(2026, 11, 1))
    late = card(e)
    assert statuses(late)["operations"] == FAIL and late.deadline_warning == "the opt-out date has passed"


def test_nightly_regressions_warn_operations():
    c = card(history=[{"at": "x", "regressions": ["customers: 1 differing row(s), was 0"]}])
    assert statuses(c)["operations"] == WARN
    assert "[operations] nightly: customers: 1 differing row(s), was 0" in c.open_problems
