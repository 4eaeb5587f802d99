"""The one protocol every benchmark follows: pocflow and its baseline(s) alternated, the same number of
repetitions each, each call timed here around exactly the callable, the median and the spread kept.

Order: the sides are rotated one place every round, so with two sides the sequence is A B, B A, A B, ...
(ABBA pairs: neither side always runs first, after the other's warm caches or in its wake); with three
sides A B C, B C A, C A B, ... Each side runs ``repetitions`` times.

Timing: ``time.perf_counter()`` right before and right after the callable, nothing else. Whatever
should not be timed (resetting a scratch database, waiting for a replica) goes in ``setup`` or
``teardown``; whatever is timed on one side (opening connections, say) must be inside the callable on
the other side too.

A callable may return a dict of extra figures (rows, queries, a tool's own throughput): they are kept
per run, and ``Comparison.by(figure)`` compares on one of them instead of the time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

POCFLOW, BASELINE = "pocflow", "baseline"
ORDER = "the order rotated each round: AB BA AB ..."

Clock = Callable[[], float]
Call = Callable[[], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Run:
    side: str
    round: int
    position: int
    """0-based place in the whole sequence of calls."""
    seconds: float
    figures: dict[str, Any] = field(default_factory=dict)

    def value(self, figure: str | None) -> float:
        return self.seconds if figure is None else float(self.figures[figure])

    def to_dict(self) -> dict:
        return {"side": self.side, "round": self.round, "seconds": round(self.seconds, 4), **self.figures}


@dataclass(frozen=True)
class Series:
    """One side's values (seconds, or one figure), in the order they were measured."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> tuple[float, float]:
        return (self.low, self.high)

    def show(self, unit: str = "s", digits: int | None = None) -> str:
        """E.g. "12.3 s (11.9-13.0, n=3)"."""
        return show(self.median, self.low, self.high, self.n, unit, digits)


def show(median: float, low: float, high: float, n: int, unit: str = "s", digits: int | None = None) -> str:
    """ "median unit (low-high, n=N)"; ``digits`` by default from the size of the figures (3 significant or so)."""
    if digits is None:
        top = max(abs(median), abs(low), abs(high))
        digits = 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 0.1 else 3
    f = f"{{:,.{digits}f}}"
    unit = f" {unit}" if unit else ""
    return f"{f.format(median)}{unit} ({f.format(low)}-{f.format(high)}, n={n})"


def rounds(
    sides: Mapping[str, Call],
    *,
    repetitions: int = 3,
    setup: Callable[[str], None] | None = None,
    teardown: Callable[[str], Mapping[str, Any] | None] | None = None,
    clock: Clock = time.perf_counter,
    warm_up: Mapping[str, Call] | None = None,
) -> list[Run]:
    """Every side ``repetitions`` times, the order rotated one place per round (see the module docstring).

    ``setup(side)`` runs before and ``teardown(side)`` after each call, outside the timer; figures
    ``teardown`` returns join the run's own. ``warm_up`` (side -> call) runs once per side, in the sides'
    order, before the first round; neither timed nor kept (a first run's cold start is then nobody's)."""
    if repetitions < 1:
        raise ValueError("at least one repetition per side")
    names = list(sides)
    if warm_up:
        if set(warm_up) != set(names):
            raise ValueError(f"a warm-up for every side or none: {sorted(warm_up)} vs {sorted(names)}")
        for side in names:
            warm_up[side]()
    runs: list[Run] = []
    for r in range(repetitions):
        shift = r % len(names)
        for side in names[shift:] + names[:shift]:
            if setup:
                setup(side)
            started = clock()
            figures = sides[side]()
            seconds = clock() - started
            extra = teardown(side) if teardown else None
            runs.append(Run(side, r, len(runs), seconds, {**(figures or {}), **(extra or {})}))
    return runs


@dataclass(frozen=True)
class Comparison:
    """pocflow against one baseline over alternated runs.

    ``ratio`` is oriented so that above 1 means pocflow is better: for times (``higher_is_better``
    False) median(baseline) / median(pocflow); for rates median(pocflow) / median(baseline).
    ``worst_ratio`` is the same ratio taken at the end of each spread that is worst for pocflow: for
    times min(baseline) / max(pocflow), for rates min(pocflow) / max(baseline).

    ``met(goal)`` with ``goal`` the least acceptable ratio is true only when ``ratio >= goal`` AND
    ``worst_ratio >= goal``: the goal holds for the medians and no pair of runs crosses it. For example
    "pocflow within 1.25x of the floor" is ``met(1 / 1.25)``: median floor / median pocflow >= 0.8 and
    min floor / max pocflow >= 0.8; "at least 2x faster than VDiff" is ``met(2.0)``.
    """

    runs: tuple[Run, ...]
    pocflow_side: str = POCFLOW
    baseline_side: str = BASELINE
    figure: str | None = None
    """None: compare the seconds the protocol measured; else a figure the callables returned."""
    higher_is_better: bool = False

    def _series(self, side: str) -> Series:
        return Series(tuple(r.value(self.figure) for r in self.runs if r.side == side))

    @property
    def pocflow(self) -> Series:
        return self._series(self.pocflow_side)

    @property
    def baseline(self) -> Series:
        return self._series(self.baseline_side)

    @property
    def repetitions(self) -> int:
        return min(self.pocflow.n, self.baseline.n)

    @property
    def ratio(self) -> float:
        ours, theirs = self.pocflow.median, self.baseline.median
        return _div(ours, theirs) if self.higher_is_better else _div(theirs, ours)

    @property
    def worst_ratio(self) -> float:
        ours, theirs = self.pocflow, self.baseline
        return _div(ours.low, theirs.high) if self.higher_is_better else _div(theirs.low, ours.high)

    def met(self, goal: float) -> bool:
        return self.ratio >= goal and self.worst_ratio >= goal

    def by(self, figure: str, *, higher_is_better: bool) -> Comparison:
        """The same runs compared on a figure the callables returned."""
        return Comparison(self.runs, self.pocflow_side, self.baseline_side, figure, higher_is_better)

    def against(self, baseline_side: str) -> Comparison:
        """The same runs, pocflow against another of the sides."""
        return Comparison(self.runs, self.pocflow_side, baseline_side, self.figure, self.higher_is_better)

    def runs_of(self, side: str) -> list[dict]:
        return [r.to_dict() for r in self.runs if r.side == side]


def _div(a: float, b: float) -> float:
    return a / b if b else float("inf")


def alternate(
    pocflow: Call,
    baseline: Call,
    *,
    repetitions: int = 3,
    setup: Callable[[str], None] | None = None,
    teardown: Callable[[str], Mapping[str, Any] | None] | None = None,
    clock: Clock = time.perf_counter,
    warm_up: tuple[Call, Call] | None = None,
) -> Comparison:
    """pocflow, baseline, baseline, pocflow, pocflow, baseline, ... each ``repetitions`` times (the side
    that starts a round swaps every round), timed by the protocol; ``setup``/``teardown`` get the side
    name ("pocflow" or "baseline"); ``warm_up`` is (pocflow's, the baseline's), see ``rounds``."""
    runs = rounds(
        {POCFLOW: pocflow, BASELINE: baseline},
        repetitions=repetitions,
        setup=setup,
        teardown=teardown,
        clock=clock,
        warm_up=dict(zip((POCFLOW, BASELINE), warm_up, strict=True)) if warm_up else None,
    )
    return Comparison(tuple(runs))
