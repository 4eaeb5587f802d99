"""Drive a workload mix against one side: worker processes, exact latency percentiles (HdrHistogram).

With a target rate each worker follows a schedule and measures every query from the moment it
was due, not from when it was sent, so a stall counts for every query it delayed (coordinated
omission). Worker processes, not threads, and a C client (mysqlclient's low-level ``_mysql``, a few
microseconds of client CPU per query): the generator must not be the bottleneck, and it shares the
machine's cores with the servers it measures.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import ctypes
import itertools
import multiprocessing
import random
import sys
import time
import types
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from hdrh.histogram import HdrHistogram
from MySQLdb import MySQLError, OperationalError, _mysql
from MySQLdb.constants import CLIENT

from pocflow.workload.spec import QueryTemplate, Workload

LOWEST_US, HIGHEST_US, DIGITS = 1, 120_000_000, 3
PERCENTILES = (50.0, 95.0, 99.0, 99.9)


@dataclass(frozen=True)
class WorkerPlan:
    host: str
    port: int
    user: str
    password: str
    database: str | None
    templates: list[QueryTemplate]
    weights: list[float]
    seed: int
    start_at: float  # wall clock
    duration: float
    interval: float  # seconds between a worker's queries; 0 = back to back
    phase: float = 0.0  # seconds after the start when its first query is due (workers take turns)


NETWORK_ERRORS = (2002, 2003, 2006, 2013, 2055)
"""Cannot connect (2002 is libmariadb's code for a refused TCP connection, 2003 MySQL's), server gone
away, lost connection (2055: lost, with the system error)."""


def _connect(plan: WorkerPlan, timeout: float) -> _mysql.connection | None:
    """A connection, or None while the server is unreachable (each scheduled query then counts an
    error). Other failures (access denied, unknown database) are raised: no load can run.

    The low-level C client (mysqlclient's ``_mysql``): a query costs a few microseconds of client CPU
    where a pure-Python driver costs tens, and the workers share the cores with the servers under test.
    "localhost" is sent as 127.0.0.1: the C library would take "localhost" to mean its default Unix
    socket and ignore the port, where every endpoint here is TCP."""
    options: dict = {"database": plan.database} if plan.database else {}
    try:
        conn = _mysql.connect(
            host="127.0.0.1" if plan.host == "localhost" else plan.host,
            port=plan.port,
            user=plan.user,
            password=plan.password,
            charset="utf8mb4",
            connect_timeout=max(1, round(timeout)),
            read_timeout=60,
            client_flag=CLIENT.MULTI_RESULTS,  # a stored procedure's CALL returns its result sets
            **options,
        )
    except OperationalError as e:
        if e.args and e.args[0] in NETWORK_ERRORS:
            return None
        raise
    if not conn.get_autocommit():
        conn.autocommit(True)
    return conn


def _execute(conn: _mysql.connection, sql: str) -> None:
    """Run one statement and read every row of every result it returns (discard_result reads a result
    set off the wire and frees it inside the C library: no Python object per result)."""
    conn.query(sql)
    conn.discard_result()
    while conn.next_result() == 0:
        conn.discard_result()


PR_SET_TIMERSLACK = 29


def _precise_sleeps() -> None:
    """Wake from sleep on time. Linux lets a sleeping process oversleep by its timer slack (50 us by
    default) to batch wake-ups; at a fixed rate every query is measured from its due time, so the slack
    would count in every latency. Elsewhere (or if refused) sleeps keep the default."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)


SPIN_SECONDS = 0.0002
"""The last stretch before a query is due is waited for awake: a sleeping process wakes tens of
microseconds late on a busy machine, and at a fixed rate that delay would count in every latency."""


def _wait_until(due: float) -> None:
    """Sleep until SPIN_SECONDS before ``due``, then spin to it (returns at once when it has passed)."""
    ahead = due - time.perf_counter()
    if ahead > SPIN_SECONDS:
        time.sleep(ahead - SPIN_SECONDS)
    while time.perf_counter() < due:
        pass


FLUSH_DISTINCT = 20_000
"""Latencies are counted per whole microsecond in a plain dict (a tenth of the cost of recording each into
an HdrHistogram, and the worker shares the cores with the server it measures); a class's counts go into
its histogram once this many distinct values are held, and at the end."""


class _Latencies:
    """Per query class, how many queries took each whole number of microseconds."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[int, int]] = {}
        self.histograms: dict[str, HdrHistogram] = {}

    def counter(self, name: str) -> dict[int, int]:
        return self.counts.setdefault(name, {})

    def flush(self, name: str) -> None:
        counts = self.counts.get(name)
        if not counts:
            return
        h = self.histograms.get(name)
        if h is None:
            h = self.histograms[name] = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
        for value, count in counts.items():
            h.record_value(max(LOWEST_US, min(HIGHEST_US, value)), count)
        counts.clear()

    def encoded(self) -> dict[str, str]:
        for name in list(self.counts):
            self.flush(name)
        return {k: base64.b64encode(v.encode()).decode() for k, v in self.histograms.items()}


def worker(plan: WorkerPlan) -> dict:
    _precise_sleeps()
    conn = _connect(plan, 10)
    rng = random.Random(plan.seed)
    templates = plan.templates
    renderers = [t.renderer(rng) for t in templates]
    cum_weights = list(itertools.accumulate(plan.weights))
    total_weight, last = cum_weights[-1], len(templates) - 1
    draw = rng.random
    latencies = _Latencies()
    counters = [latencies.counter(t.name) for t in templates]
    errors: dict[str, int] = {}
    first_error: dict[str, str] = {}
    interval = plan.interval
    clock = time.perf_counter
    delay = plan.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    t0 = clock()
    end, first = t0 + plan.duration, t0 + plan.phase
    n = 0
    while True:
        due = first + n * interval if interval else clock()
        if due >= end:
            break
        # the draw rng.choices(templates, cum_weights=...) makes, without its per-call set-up
        i = bisect.bisect(cum_weights, draw() * total_weight, 0, last)
        sql = renderers[i]()  # ready before it is due: rendering is the generator's time, not the server's
        if interval:
            _wait_until(due)
        sent = clock()
        try:
            if conn is None:
                conn = _connect(plan, 2)
                if conn is None:
                    raise OperationalError(2003, f"cannot connect to {plan.host}:{plan.port}")
            _execute(conn, sql)
        except MySQLError as e:
            name = templates[i].name
            errors[name] = errors.get(name, 0) + 1
            first_error.setdefault(name, str(e.args[-1])[:300])
            if isinstance(e, OperationalError) and e.args and e.args[0] in NETWORK_ERRORS:
                if conn is not None:
                    conn.close()
                conn = None  # reconnect at the next scheduled query
                if not interval:
                    time.sleep(0.2)  # back to back: do not spin while the server is away
        took = int((clock() - (due if interval else sent)) * 1e6)
        counts = counters[i]
        counts[took] = counts.get(took, 0) + 1
        if len(counts) >= FLUSH_DISTINCT:
            latencies.flush(templates[i].name)
        n += 1
    elapsed = clock() - t0
    if conn is not None:
        conn.close()
    return {
        "histograms": latencies.encoded(),
        "errors": errors,
        "first_error": first_error,
        "elapsed": elapsed,
    }


@dataclass
class ClassLatency:
    name: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    first_error: str | None = None


@dataclass
class LoadResult:
    side: str
    concurrency: int
    target_rate: float
    duration_seconds: float
    queries: int
    errors: int
    throughput_qps: float
    coordinated_omission_corrected: bool
    classes: dict[str, ClassLatency] = field(default_factory=dict)
    histograms: dict[str, str] = field(default_factory=dict)
    """Encoded HdrHistograms (base64) per class, for the report's latency charts."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> LoadResult:
        d = dict(d)
        d["classes"] = {k: ClassLatency(**v) for k, v in d["classes"].items()}
        return cls(**d)


@contextlib.contextmanager
def _workers_skip_main():
    """Spawned workers re-import the parent's __main__ unless told otherwise. Inside an Airflow task
    that is the `airflow` command, whose import sets up Airflow's database access, which task processes
    do not have. The workers need only this module: hide __main__ while they start."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def worker_plans(
    host: str, port: int, user: str, password: str, database: str | None, workload: Workload, seed: int, start_at: float
) -> list[WorkerPlan]:
    """One plan per worker. At a fixed rate each worker sends every ``concurrency / target_rate`` seconds and
    the workers take turns, so queries arrive evenly spaced, not in bursts of one per worker at once."""
    interval = workload.concurrency / workload.target_rate if workload.target_rate else 0.0
    return [
        WorkerPlan(
            host,
            port,
            user,
            password,
            database,
            workload.queries,
            [t.weight for t in workload.queries],
            seed * 1000 + i,
            start_at,
            workload.duration_seconds,
            interval,
            i * interval / workload.concurrency,
        )
        for i in range(workload.concurrency)
    ]


def run_load(
    *,
    side: str,
    host: str,
    port: int,
    user: str,
    password: str,
    database: str | None,
    workload: Workload,
    seed: int = 1,
) -> LoadResult:
    start_at = time.time() + 2.0  # after every worker process has started
    plans = worker_plans(host, port, user, password, database, workload, seed, start_at)
    with (
        _workers_skip_main(),
        ProcessPoolExecutor(max_workers=workload.concurrency, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        results = list(pool.map(worker, plans))
    merged: dict[str, HdrHistogram] = {}
    errors: dict[str, int] = {}
    first_error: dict[str, str] = {}
    for r in results:
        for name, encoded in r["histograms"].items():
            h = HdrHistogram.decode(base64.b64decode(encoded))
            merged.setdefault(name, HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)).add(h)
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
        for name, message in r["first_error"].items():
            first_error.setdefault(name, message)
    classes = {}
    for name, h in sorted(merged.items()):
        p50, p95, p99, p999 = (h.get_value_at_percentile(q) / 1000 for q in PERCENTILES)
        classes[name] = ClassLatency(
            name,
            h.get_total_count(),
            errors.get(name, 0),
            p50,
            p95,
            p99,
            p999,
            h.get_max_value() / 1000,
            first_error.get(name),
        )
    total = sum(c.count for c in classes.values())
    elapsed = max(r["elapsed"] for r in results) if results else workload.duration_seconds
    return LoadResult(
        side,
        workload.concurrency,
        workload.target_rate,
        round(elapsed, 3),
        total,
        sum(errors.values()),
        round(total / elapsed, 1) if elapsed else 0.0,
        bool(workload.target_rate),
        classes,
        {k: base64.b64encode(v.encode()).decode() for k, v in merged.items()},
    )
