"""The load generator against Debian's sysbench 1.0.20: the same point-select workload (sysbench's
oltp_point_select on its own sbtest1 table), the same concurrency, against the same source server,
alternated under the one protocol (bench/protocol.py). Throughput flat out, then the percentiles both
report at the same fixed rate (sysbench --rate; ours target_rate, corrected for coordinated omission).
Goal: at least 0.8x sysbench's queries/s flat out AND p50, p95 and p99 each within 20% of sysbench's at
the rate (at most 1.2x), for the medians and for the worst pair of runs (bench/protocol.py's
Comparison.met).

    python -m bench.sysbench [--seconds 20] [--threads 4] [--repetitions 3] [--rate 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.protocol import Comparison, alternate
from bench.results import Result, measured
from pocflow.connections import Endpoint, connect
from pocflow.local.stack import Stack
from pocflow.workload.load import run_load
from pocflow.workload.spec import load_workload

NAME = "load generator vs sysbench"
"""This benchmark's result (bench/results/<NAME>.json)."""

DATABASE = "bench_sysbench"
TABLE_SIZE = 100_000


def ensure_sysbench() -> str:
    found = shutil.which("sysbench")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("sysbench is missing: sudo apt-get install -y sysbench")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("[bench] installing Debian's sysbench ...", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "sysbench"],
        env=env,
        check=True,
        capture_output=True,
    )
    return shutil.which("sysbench")


def _args(admin: Endpoint, threads: int, seconds: float, rate: float = 0) -> list[str]:
    return [
        "oltp_point_select",
        f"--rate={int(rate)}",
        f"--mysql-host={admin.host}",
        f"--mysql-port={admin.port}",
        f"--mysql-user={admin.user}",
        f"--mysql-password={admin.password}",
        f"--mysql-db={DATABASE}",
        "--tables=1",
        f"--table-size={TABLE_SIZE}",
        f"--threads={threads}",
        f"--time={int(seconds)}",
        "--db-ps-mode=disable",
        "--percentile=99",
        "--histogram=on",
        "--report-interval=0",
        "--rand-type=uniform",
    ]


def prepare(sysbench: str, admin: Endpoint) -> None:
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'sbtest1'",
            (DATABASE,),
        )
        if cur.fetchone()[0]:
            return
    subprocess.run([sysbench, *_args(admin, 1, 1), "prepare"], check=True, capture_output=True)


def histogram_percentiles(text: str, percentiles=(50.0, 95.0, 99.0)) -> dict[str, float]:
    """Percentiles from sysbench's --histogram output (value in ms, then a bar, then the count)."""
    buckets = [(float(v), int(c)) for v, c in re.findall(r"^\s*([0-9.]+)\s+\|\**\s+(\d+)\s*$", text, re.MULTILINE)]
    total = sum(c for _, c in buckets)
    out, seen = {}, 0
    wanted = sorted(percentiles)
    for value, count in buckets:
        seen += count
        while wanted and seen >= total * wanted[0] / 100:
            out[f"p{wanted.pop(0):g}"] = value
    return out


def run_sysbench(sysbench: str, admin: Endpoint, threads: int, seconds: float, rate: float = 0) -> dict:
    out = subprocess.run(
        [sysbench, *_args(admin, threads, seconds, rate), "run"], check=True, capture_output=True, text=True
    ).stdout
    qps = float(re.search(r"queries:\s+\d+\s+\(([0-9.]+) per sec", out).group(1))
    errors = int(re.search(r"ignored errors:\s+(\d+)", out).group(1))
    return {
        "qps": qps,
        "errors": errors,
        **histogram_percentiles(out),
        "p99_reported": float(re.search(r"99th percentile:\s+([0-9.]+)", out).group(1)),
    }


def run_ours(admin: Endpoint, threads: int, seconds: float, rate: float = 0) -> dict:
    spec = (
        f"name: point_select\nconcurrency: {threads}\ntarget_rate: {rate:g}\nduration_seconds: {seconds}\nqueries:\n"
        f"  - name: point_select\n    sql: SELECT c FROM sbtest1 WHERE id = {{id}}\n"
        f"    params: {{id: {{int: [1, {TABLE_SIZE}]}}}}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "point_select.yaml"
        path.write_text(spec)
        workload = load_workload([path])
    r = run_load(
        side="source",
        host=admin.host,
        port=admin.port,
        user=admin.user,
        password=admin.password,
        database=DATABASE,
        workload=workload,
    )
    c = r.classes["point_select"]
    return {"qps": r.throughput_qps, "errors": r.errors, "p50": c.p50_ms, "p95": c.p95_ms, "p99": c.p99_ms}


WARM_UP_SECONDS = 5.0
"""Each tool runs this long once, untimed and discarded, before each series (flat out, at the rate): the
first measured run is then no one's cold start (the server's buffer pool, the page cache, the binaries)."""
PERCENTILES = ("p50", "p95", "p99")
THROUGHPUT_GOAL = 0.8
"""Our queries/s flat out at least this many times sysbench's."""
PERCENTILE_GOAL = 1.2
"""Each of our percentiles at the fixed rate at most this many times sysbench's (within 20%)."""
GOAL = (
    f"throughput at least {THROUGHPUT_GOAL}x flat out, and p50/p95/p99 within 20% of sysbench's "
    f"(at most {PERCENTILE_GOAL}x) at the same rate"
)


def shortfalls(qps: Comparison, latency: dict[str, Comparison]) -> list[str]:
    """Each part of the goal that does not hold, with its ratio at the medians and for the worst pair."""
    out = []
    if not qps.met(THROUGHPUT_GOAL):
        out.append(
            f"throughput {qps.ratio:.2f}x sysbench's at the medians, {qps.worst_ratio:.2f}x for the worst pair "
            f"(goal {THROUGHPUT_GOAL}x)"
        )
    for p, c in latency.items():
        if not c.met(1 / PERCENTILE_GOAL):
            out.append(
                f"{p} {1 / c.ratio:.2f}x sysbench's at the medians, {1 / c.worst_ratio:.2f}x for the worst pair "
                f"(goal at most {PERCENTILE_GOAL}x)"
            )
    return out


REMAINING_COSTS = (
    "What the generator still spends per query beyond sysbench: a few microseconds of Python around the "
    "C client (drawing the query and its parameters, rendering the SQL, recording the latency), and four "
    "worker processes instead of four threads of one process. At the fixed rate ours is measured from each "
    "query's due time, so a worker's wake-up from its sleep counts; sysbench stamps an event after its "
    "generator thread has woken, so only the hand-over to a worker thread counts in its latencies."
)


def run(seconds: float = 20, threads: int = 4, repetitions: int = 3, rate: float = 1000) -> Result:
    """Throughput flat out, then latency at the same fixed ``rate``: each ``repetitions`` runs per tool,
    alternated (bench/protocol.py), compared on the figures each tool reports."""
    sysbench = ensure_sysbench()
    version = subprocess.run([sysbench, "--version"], capture_output=True, text=True).stdout.strip()
    admin = Endpoint.from_dsn(Stack().env()["POCFLOW_SOURCE_ADMIN_DSN"])
    prepare(sysbench, admin)
    warm = min(WARM_UP_SECONDS, seconds)
    flat = alternate(
        lambda: run_ours(admin, threads, seconds),
        lambda: run_sysbench(sysbench, admin, threads, seconds),
        repetitions=repetitions,
        warm_up=(lambda: run_ours(admin, threads, warm), lambda: run_sysbench(sysbench, admin, threads, warm)),
    )
    at_rate = alternate(
        lambda: run_ours(admin, threads, seconds, rate),
        lambda: run_sysbench(sysbench, admin, threads, seconds, rate),
        repetitions=repetitions,
        warm_up=(
            lambda: run_ours(admin, threads, warm, rate),
            lambda: run_sysbench(sysbench, admin, threads, warm, rate),
        ),
    )
    qps = flat.by("qps", higher_is_better=True)
    latency = {p: at_rate.by(p, higher_is_better=False) for p in PERCENTILES}
    # ours / sysbench's at the medians and for the worst pair (our slowest run against their fastest)
    agreement = {p: round(1 / c.ratio, 2) for p, c in latency.items()}
    agreement_worst = {p: round(1 / c.worst_ratio, 2) for p, c in latency.items()}

    missed = shortfalls(qps, latency)

    def show(side: str) -> str:
        return ", ".join(f"{p} {getattr(c, side).show('ms', 2)}" for p, c in latency.items())

    return Result(
        name=NAME,
        metric="our queries/s / sysbench's, flat out",
        pocflow=f"flat out; at {rate:g} q/s: {show('pocflow')}",
        baseline=f"{version} flat out; at {rate:g} q/s: {show('baseline')}",
        ratio=qps.ratio,
        goal=GOAL,
        met=not missed,
        command=f"python -m bench.sysbench --seconds {seconds:g} --threads {threads} --repetitions {repetitions} "
        f"--rate {rate:g}",
        details={
            "threads": threads,
            "seconds": seconds,
            "rate": rate,
            "ours": flat.runs_of("pocflow"),
            "sysbench": flat.runs_of("baseline"),
            "ours_at_rate": at_rate.runs_of("pocflow"),
            "sysbench_at_rate": at_rate.runs_of("baseline"),
            "percentile_ratio_at_rate": agreement,
            "percentile_ratio_at_rate_worst": agreement_worst,
            **({"gap": "; ".join(missed) + ". " + REMAINING_COSTS} if missed else {}),
            "note": "Both use the text protocol (--db-ps-mode=disable) with uniform random ids on sysbench's "
            f"own {TABLE_SIZE:,}-row table and {threads} connections, {repetitions} alternated runs of "
            f"{seconds:g} s each, flat out and again at {rate:g} q/s, each series after one discarded "
            f"{min(WARM_UP_SECONDS, seconds):g} s warm-up run per tool; the row's medians and spreads are the "
            "flat-out queries/s each tool reports. sysbench's percentiles come from "
            "its histogram (bucketed); ours are exact (HdrHistogram), measured from each query's "
            "scheduled time at a fixed rate (sysbench's from when its generator queued the event). Our "
            "workers are processes with mysqlclient's C client (_mysql, no cursor), sysbench's threads run "
            "LuaJIT over libmariadb; both share the 2 cores with the servers.",
        },
        **measured(qps, "q/s"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per tool, flat out and at the rate")
    parser.add_argument("--rate", type=float, default=1000, help="queries/s for the latency comparison")
    args = parser.parse_args()
    result = run(args.seconds, args.threads, args.repetitions, args.rate)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
