"""The benchmarks' one protocol: alternated sides, equal repetitions, medians and spreads, the met rule."""

import pytest

from bench.protocol import Comparison, Run, Series, alternate, rounds


class FakeClock:
    """Each callable advances the clock by its own duration; the protocol reads it before and after."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def timed(clock: FakeClock, durations: list[float], log: list[str], name: str):
    def call():
        log.append(name)
        clock.now += durations.pop(0)
        return {"rows": 10}

    return call


def test_two_sides_alternate_with_the_starting_side_swapped_each_round():
    clock, log = FakeClock(), []
    c = alternate(
        timed(clock, [1.0, 2.0, 3.0, 4.0], log, "pocflow"),
        timed(clock, [5.0, 6.0, 7.0, 8.0], log, "baseline"),
        repetitions=4,
        clock=clock,
    )
    assert log == ["pocflow", "baseline", "baseline", "pocflow", "pocflow", "baseline", "baseline", "pocflow"]
    assert c.pocflow.values == (1.0, 2.0, 3.0, 4.0) and c.baseline.values == (5.0, 6.0, 7.0, 8.0)
    assert c.repetitions == 4 and c.pocflow.n == c.baseline.n
    assert all(r.figures == {"rows": 10} for r in c.runs)


def test_setup_and_teardown_run_outside_the_timer():
    clock, log = FakeClock(), []

    def setup(side):
        log.append(f"setup {side}")
        clock.now += 100.0

    def teardown(side):
        clock.now += 100.0
        return {"checked": side}

    c = alternate(
        timed(clock, [1.0, 1.0, 1.0], log, "pocflow"),
        timed(clock, [2.0, 2.0, 2.0], log, "baseline"),
        setup=setup,
        teardown=teardown,
        clock=clock,
    )
    assert c.pocflow.values == (1.0, 1.0, 1.0) and c.baseline.values == (2.0, 2.0, 2.0)
    assert log[:4] == ["setup pocflow", "pocflow", "setup baseline", "baseline"]
    assert c.runs[0].figures == {"rows": 10, "checked": "pocflow"}


def test_a_warm_up_runs_once_per_side_before_the_rounds_and_is_neither_timed_nor_kept():
    clock, log = FakeClock(), []
    c = alternate(
        timed(clock, [1.0, 1.0], log, "pocflow"),
        timed(clock, [2.0, 2.0], log, "baseline"),
        repetitions=2,
        clock=clock,
        warm_up=(timed(clock, [50.0], log, "warm pocflow"), timed(clock, [60.0], log, "warm baseline")),
    )
    assert log == ["warm pocflow", "warm baseline", "pocflow", "baseline", "baseline", "pocflow"]
    assert c.pocflow.values == (1.0, 1.0) and c.baseline.values == (2.0, 2.0) and len(c.runs) == 4
    with pytest.raises(ValueError, match="a warm-up for every side or none"):
        rounds({"a": lambda: None, "b": lambda: None}, warm_up={"a": lambda: None})


def test_three_sides_rotate_and_each_runs_as_often():
    clock, log = FakeClock(), []
    runs = rounds({s: timed(clock, [1.0] * 3, log, s) for s in "ABC"}, repetitions=3, clock=clock)
    assert log == list("ABCBCACAB")
    assert [r.round for r in runs] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    with pytest.raises(ValueError):
        rounds({"A": lambda: None}, repetitions=0)


def test_median_and_spread():
    s = Series((13.0, 11.9, 12.3))
    assert s.median == 12.3 and s.spread == (11.9, 13.0)
    assert s.show() == "12.3 s (11.9-13.0, n=3)"
    assert Series((1.0, 2.0, 3.0, 10.0)).median == 2.5
    assert Series((1200.0, 1000.0, 1100.0)).show("q/s", 0) == "1,100 q/s (1,000-1,200, n=3)"


def comparison(pocflow, baseline, **kw) -> Comparison:
    runs = [Run("pocflow", i, 2 * i, p) for i, p in enumerate(pocflow)]
    runs += [Run("baseline", i, 2 * i + 1, b) for i, b in enumerate(baseline)]
    return Comparison(tuple(runs), **kw)


def test_time_ratio_is_baseline_over_pocflow_and_met_needs_the_whole_spread():
    # goal "pocflow within 1.25x of the floor": floor / pocflow >= 0.8
    inside = comparison([12.0, 12.5, 12.4], [10.0, 10.1, 10.2])
    assert inside.ratio == pytest.approx(10.1 / 12.4)
    assert inside.worst_ratio == pytest.approx(10.0 / 12.5)  # min floor / max pocflow, exactly on the goal
    assert inside.met(0.8)
    crossing = comparison([12.0, 12.4, 13.0], [10.0, 10.1, 10.2])  # medians meet, the slowest run does not
    assert crossing.ratio >= 0.8 and crossing.worst_ratio < 0.8
    assert not crossing.met(0.8)
    assert not comparison([13.0, 13.0, 13.0], [10.0, 10.0, 10.0]).met(0.8)  # the median misses


def test_rate_ratio_is_pocflow_over_baseline_and_worst_case_is_our_low_against_their_high():
    c = comparison([900.0, 1000.0, 950.0], [1000.0, 1100.0, 1050.0], higher_is_better=True)
    assert c.ratio == pytest.approx(950 / 1050)
    assert c.worst_ratio == pytest.approx(900 / 1100)
    assert c.met(0.8) and not c.met(0.85)


def test_a_comparison_on_a_figure_and_against_another_side():
    runs = (
        Run("pocflow", 0, 0, 1.0, {"qps": 800}),
        Run("sysbench", 0, 1, 1.0, {"qps": 1000}),
        Run("floor", 0, 2, 0.5, {"qps": 0}),
    )
    c = Comparison(runs, baseline_side="sysbench").by("qps", higher_is_better=True)
    assert c.ratio == pytest.approx(0.8) and c.met(0.8)
    assert Comparison(runs).against("floor").ratio == pytest.approx(0.5)
    assert Comparison(runs).runs_of("floor") == [{"side": "floor", "round": 0, "seconds": 0.5, "qps": 0}]
