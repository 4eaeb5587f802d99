"""BENCHMARKS.md is rendered from the results files, one row per benchmark with its goal."""

from bench.results import Result, load_all, render


def test_results_round_trip_and_render_with_goal_and_command(tmp_path, monkeypatch):
    import bench.results as results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path)
    r = Result(
        "assessment at scale",
        "14 queries in 2.0 s",
        "10,014 queries in 9.0 s",
        4.5,
        "time",
        "constant number of queries",
        True,
        "make bench ONLY=assessment",
        {"note": "MariaDB 10.11"},
    )
    r.save()
    loaded = load_all(tmp_path)
    assert loaded == [r]
    text = render(loaded)
    assert "| assessment at scale | 14 queries in 2.0 s | 10,014 queries in 9.0 s | 4.50x (time) |" in text
    assert "`make bench ONLY=assessment`" in text and "MariaDB 10.11" in text
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
