"""The mapped-validation benchmark reads its spans from task instances' dates, triggers the bench engagement
itself, and refuses runs that disagree or ran more tasks at once than the executor allows."""

import pytest

from bench import ledger
from bench.mapped import PARALLELISM, check, conf, mapped_rows_per_part, most_at_once, spans
from pocflow.engagement import from_inputs


def ti(task_id: str, start: float, end: float, map_index: int = -1) -> dict:
    return {
        "task_id": task_id,
        "map_index": map_index,
        "start_date": f"2026-12-02T10:00:{start:06.3f}Z",
        "end_date": f"2026-12-02T10:00:{end:06.3f}Z",
    }


def test_the_span_runs_from_the_plans_start_to_the_merges_end():
    tis = [
        ti("import", 0, 1),
        ti("validation_plan", 2, 4),
        ti("validate_part", 5, 15, 0),
        ti("validate_part", 5.5, 12, 1),
        ti("validate_part", 12, 20, 2),
        ti("validation", 21, 30.5),
        ti("testing", 31, 33),
    ]
    s = spans(tis)
    assert s["validation_seconds"] == 28.5
    assert s["plan_seconds"] == 2 and s["merge_seconds"] == 9.5
    assert s["parts_seconds"] == 15 and s["parts"] == 3
    assert s["part_task_seconds"] == [6.5, 8, 10]
    assert s["parts_at_once"] == 2  # the third starts as the second ends


def test_most_at_once_counts_overlaps_not_touching_ends():
    assert most_at_once([(1, 3), (3, 5)]) == 1
    assert most_at_once([(1, 4), (2, 5), (3, 6)]) == 3
    assert most_at_once([]) == 0


def test_a_smaller_ledger_is_cut_into_as_many_parts_as_the_10m_one():
    assert mapped_rows_per_part(10_000_000) == 2_000_000
    assert mapped_rows_per_part(1_000_000) == 200_000
    assert mapped_rows_per_part(50_000_000) == 2_000_000


def test_the_trigger_conf_is_the_bench_engagement():
    e = from_inputs(conf(0))
    assert e.name == ledger.engagement().name and e.validation.rows_per_part == 0
    assert conf(0)["engagement_file"] is None and isinstance(conf(0)["opt_out_date"], str)  # JSON for the API


def figures(parts: int, rows: int = 100, differences: int = 0, at_once: int = 1) -> dict:
    return {
        "run_id": f"r{parts}",
        "parts": parts,
        "planned_parts": parts,
        "tasks_at_once": at_once,
        "tables": [["ledger", "match" if not differences else "mismatch", rows, rows, differences]],
        "vdiff": [["wf", "completed", False]],
        "passed": not differences,
    }


def test_runs_that_agree_pass_the_check():
    check([figures(5, at_once=2)], [figures(1)], 100)


@pytest.mark.parametrize(
    "mapped, single",
    [
        ([figures(5, differences=1)], [figures(1)]),  # a difference found
        ([figures(5, rows=99)], [figures(1, rows=99)]),  # not the ledger's rows
        ([figures(1)], [figures(1)]),  # the mapped side was not cut
        ([figures(5, at_once=PARALLELISM + 1)], [figures(1)]),  # more tasks at once than the executor allows
    ],
)
def test_runs_that_disagree_or_exceed_parallelism_fail_the_check(mapped, single):
    with pytest.raises(AssertionError):
        check(mapped, single, 100)
