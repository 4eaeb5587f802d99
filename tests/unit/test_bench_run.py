"""`make bench` gives every invocation one run id, marks --only/--quick runs partial, and publishes a
run's results together, only once all of its benchmarks have finished."""

import sys

import pytest

import bench.results as results
import bench.run as bench_run
from bench.results import Result, load_all


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "BENCHMARKS_MD", tmp_path / "BENCHMARKS.md")
    monkeypatch.setattr(bench_run, "STAGING", tmp_path / "staging")
    return tmp_path


def fake(name: str, fail: bool = False):
    def run(quick: bool) -> Result:
        if fail:
            raise RuntimeError("stack down")
        return Result(name, "a", "b", 2.0, "time", "faster", True, "cmd", repetitions=3)

    return run


def test_a_full_run_publishes_every_result_under_one_run_id(folders, monkeypatch):
    monkeypatch.setattr(bench_run, "BENCHES", {"one": fake("one"), "two": fake("two")})
    monkeypatch.setattr(sys, "argv", ["bench.run"])
    bench_run.main()
    published = load_all(folders / "results")
    assert [r.name for r in published] == ["one", "two"]
    assert len({r.run_id for r in published}) == 1 and not any(r.partial for r in published)
    assert "All rows come from one full run" in (folders / "BENCHMARKS.md").read_text()


def test_a_partial_run_is_marked_and_a_failed_run_publishes_nothing(folders, monkeypatch):
    monkeypatch.setattr(bench_run, "BENCHES", {"one": fake("one"), "two": fake("two", fail=True)})
    monkeypatch.setattr(sys, "argv", ["bench.run", "--quick", "--only", "one"])
    bench_run.main()
    [r] = load_all(folders / "results")
    assert r.partial and r.scope == "--quick --only one"
    assert "Not one full run" in (folders / "BENCHMARKS.md").read_text()
    monkeypatch.setattr(sys, "argv", ["bench.run"])
    with pytest.raises(RuntimeError):
        bench_run.main()
    assert load_all(folders / "results") == [r]  # the failed full run replaced nothing


def test_a_stopped_run_resumes_with_only_what_it_had_not_measured(folders, monkeypatch):
    calls = []

    def counted(name, fail=False):
        inner = fake(name, fail)

        def run(quick):
            calls.append(name)
            return inner(quick)

        return run

    monkeypatch.setattr(bench_run, "BENCHES", {"one": counted("one"), "two": counted("two", fail=True)})
    monkeypatch.setattr(sys, "argv", ["bench.run"])
    with pytest.raises(RuntimeError):
        bench_run.main()
    [staged] = list((folders / "staging").iterdir())
    assert load_all(folders / "results") == []
    calls.clear()
    monkeypatch.setattr(bench_run, "BENCHES", {"one": counted("one"), "two": counted("two")})
    monkeypatch.setattr(sys, "argv", ["bench.run", "--resume", staged.name])
    bench_run.main()
    assert calls == ["two"]  # "one" kept its staged figures
    published = load_all(folders / "results")
    assert [r.name for r in published] == ["one", "two"]
    assert {r.run_id for r in published} == {staged.name} and not any(r.partial for r in published)
    assert all("resumed" in r.scope and r.scope.endswith("for two") for r in published)
    md = (folders / "BENCHMARKS.md").read_text()
    assert f"All rows come from one full run, {staged.name} (full; resumed " in md
