"""BENCHMARKS.md is rendered from the results files, one row per benchmark with its goal, each side's
median and spread, and the run it comes from (said loudly when that is not one full run)."""

import json

from bench.protocol import Comparison, Run
from bench.results import LEGACY, Result, load_all, measured, render, start_run


def protocol_result(name="assessment at scale", **kw) -> Result:
    runs = [Run("pocflow", i, 2 * i, s) for i, s in enumerate([2.0, 1.9, 2.2])]
    runs += [Run("baseline", i, 2 * i + 1, s) for i, s in enumerate([9.0, 9.4, 8.8])]
    fields = {**measured(Comparison(tuple(runs))), **kw}
    return Result(
        name,
        "14 queries",
        "10,014 queries",
        4.5,
        "time",
        "constant number of queries",
        True,
        "make bench ONLY=assessment",
        {"note": "MariaDB 10.11"},
        **fields,
    )


def test_results_round_trip_and_render_with_median_spread_goal_and_command(tmp_path):
    start_run(partial=False, scope="full")
    r = protocol_result()
    r.save(tmp_path)
    loaded = load_all(tmp_path)
    assert loaded == [r]
    text = render(loaded)
    assert (
        "| assessment at scale | **2.00 s (1.90-2.20, n=3)**: 14 queries | **9.00 s (8.80-9.40, n=3)**: 10,014 queries "
        "| 4.50x (time) |" in text
    )
    assert "`make bench ONLY=assessment`" in text and "MariaDB 10.11" in text
    assert f"All rows come from one full run, {r.run_id}." in text and "Not one full run" not in text
    missed = Result("x", "a", "b", 0.5, "throughput", "at least 0.8x", False, "cmd")
    assert "| **no** |" in render([missed])


def test_shortfalls_are_listed_with_what_would_close_them():
    missed = Result(
        "load generator vs sysbench",
        "a",
        "b",
        0.3,
        "q/s",
        "at least 0.8x",
        False,
        "cmd",
        {"gap": "a C client in the workers"},
    )
    text = render([missed])
    assert "## Where pocflow falls short" in text and "a C client in the workers" in text
    assert "Not measured yet" in text and "drift location" in text  # the others are still to run


def test_a_file_from_before_the_protocol_loads_and_is_marked_best_of(tmp_path):
    old = {
        "name": "sample load",
        "pocflow": "LOAD DATA: 337,902 rows in 2.83 s",
        "baseline": "row-by-row INSERT: 20,000 rows in 4.28 s",
        "ratio": 25.5,
        "metric": "rows/s",
        "goal": "faster than row-by-row INSERTs",
        "met": True,
        "command": "python -m bench.sample_load",
        "details": {},
        "measured_at": "2026-11-29T21:30:13Z",
        "machine": "x86_64, 2 cores",
    }
    (tmp_path / "sample_load.json").write_text(json.dumps(old))
    [r] = load_all(tmp_path)
    assert r.repetitions is None and r.run_id == "" and not r.partial
    text = render([r])
    assert f"protocol: {LEGACY}" in text and "Not one full run" in text
    assert f"- Figures from before the one protocol ({LEGACY}) for: sample load." in text


def test_a_partial_run_over_a_full_one_says_which_figures_it_replaced(tmp_path):
    full = start_run(partial=False, scope="full")
    protocol_result("sample load").save(tmp_path)
    protocol_result("assessment at scale").save(tmp_path)
    quick = start_run(partial=True, scope="--quick --only sample_load")
    quick.id = full.id + "-later"  # two runs within the same second
    protocol_result("sample load", run_id=quick.id, partial=True, scope=quick.scope).save(tmp_path)
    results = load_all(tmp_path)
    again = render(results)
    assert "Not one full run" in again
    assert (
        f"- Figures from partial run {quick.id} (--quick --only sample_load) replace full run {full.id} of "
        f"{results[1].measured_at} for: sample load." in again
    )
    assert f"- Figures from full run {full.id} for: assessment at scale." in again
    assert f"| {quick.id} (partial), n=3 |" in again


def test_the_scale_out_section_is_the_planner_s_own_division_of_a_billion_rows():
    from bench.results import render, scale_out

    text = "\n".join(scale_out(1_000_000_000, workers=2, slots_per_worker=4))
    assert "into 500 key ranges of about 2,000,000 rows" in text
    assert "-inf < key <= 2,000,000" in text and "998,000,000 < key <= +inf" in text
    assert "plus one task for the table's checks" in text
    assert "63 waves of 8 tasks" in text  # 500 ranges and the checks
    assert "more than about 2,046,000,000 rows" in text  # 1,023 ranges and the checks fill the 1,024 tasks
    assert "## Validation of a 1,000,000,000-row table as mapped tasks" in render([])


def test_each_result_names_the_commit_it_measured_and_whether_the_tree_differed(tmp_path):
    import subprocess

    from bench.results import code_revision

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    assert code_revision(tmp_path) == ""  # not a checkout
    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert code_revision(tmp_path) == head
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "bench" / "results" / "x.json").write_text("{}")
    (tmp_path / "BENCHMARKS.md").write_text("# Benchmarks\n")
    assert code_revision(tmp_path) == head  # results being written are not a code change
    (tmp_path / "code.py").write_text("x = 2\n")
    assert code_revision(tmp_path) == f"{head} + local changes"

    r = protocol_result(code=head)
    assert f"code at `{head}`." in render([r])
    assert "code at" not in render([protocol_result(code="")])
    old = protocol_result("sample load")
    old.save(tmp_path / "results")
    stored = json.loads((tmp_path / "results" / "sample_load.json").read_text())
    del stored["code"]
    (tmp_path / "results" / "sample_load.json").write_text(json.dumps(stored))
    assert load_all(tmp_path / "results")[0].code == ""  # a file from before the field: unknown
    mixed = render([r, protocol_result("sample load", code="")])
    assert (
        f"code at `{head}` (the rows measured before results named their commit do not say theirs: sample load)"
        in mixed
    )
