"""The load generator counts latencies per whole microsecond and folds them into HdrHistograms: the
percentiles are those of recording every value on its own."""

from __future__ import annotations

import base64
import itertools
import random

from hdrh.histogram import HdrHistogram

from pocflow.workload import load


def test_counted_latencies_give_the_histogram_of_every_value_recorded(monkeypatch):
    monkeypatch.setattr(load, "FLUSH_DISTINCT", 50)  # flushed many times over, then at the end
    rng = random.Random(3)
    values = [int(rng.lognormvariate(5, 1.5)) for _ in range(20_000)] + [0, 10**9]  # both clamped
    direct = HdrHistogram(load.LOWEST_US, load.HIGHEST_US, load.DIGITS)
    latencies = load._Latencies()
    counts = latencies.counter("q")
    flushes = 0
    for v in values:
        direct.record_value(max(load.LOWEST_US, min(load.HIGHEST_US, v)))
        counts[v] = counts.get(v, 0) + 1
        if len(counts) >= load.FLUSH_DISTINCT:
            latencies.flush("q")
            flushes += 1
    latencies.counter("idle")  # a class that never ran has no histogram
    encoded = latencies.encoded()
    assert flushes > 10 and set(encoded) == {"q"}
    counted = HdrHistogram.decode(base64.b64decode(encoded["q"]))
    assert counted.get_total_count() == len(values)
    for q in (50, 95, 99, 99.9, 100):
        assert counted.get_value_at_percentile(q) == direct.get_value_at_percentile(q)
    assert counted.get_min_value() == 1 and counted.get_max_value() == direct.get_max_value()


def test_at_a_fixed_rate_the_workers_take_turns():
    from pocflow.workload.spec import QueryTemplate, Workload

    workload = Workload("w", [QueryTemplate("q", "SELECT 1")], concurrency=4, target_rate=1000, duration_seconds=1)
    plans = load.worker_plans("h", 1, "u", "p", None, workload, seed=1, start_at=0)
    due = sorted(p.phase + n * p.interval for p in plans for n in range(250))
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(due)}
    assert len(due) == 1000 and gaps == {0.001}  # evenly spaced at the rate, never two at once
    assert len({p.seed for p in plans}) == 4
    flat_out = load.worker_plans("h", 1, "u", "p", None, Workload("w", workload.queries, 4), seed=1, start_at=0)
    assert {(p.interval, p.phase) for p in flat_out} == {(0.0, 0.0)}
