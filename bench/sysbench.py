"""The load generator against Debian's sysbench 1.0.20: the same point-select workload (sysbench's
oltp_point_select on its own sbtest1 table), the same concurrency, against the same MariaDB, in
alternating rounds. Throughput ratio (goal: at least 0.8x) and the percentiles both report.

    python -m bench.sysbench [--seconds 20] [--threads 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.results import Result
from pocflow.connections import Endpoint, connect
from pocflow.stack import Stack
from pocflow.workload.load import run_load
from pocflow.workload.spec import load_workload

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
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "sysbench"], env=env, check=True,
                   capture_output=True)
    return shutil.which("sysbench")


def _args(admin: Endpoint, threads: int, seconds: float) -> list[str]:
    return ["oltp_point_select", f"--mysql-host={admin.host}", f"--mysql-port={admin.port}",
            f"--mysql-user={admin.user}", f"--mysql-password={admin.password}", f"--mysql-db={DATABASE}",
            "--tables=1", f"--table-size={TABLE_SIZE}", f"--threads={threads}", f"--time={int(seconds)}",
            "--db-ps-mode=disable", "--percentile=99", "--histogram=on", "--report-interval=0", "--rand-type=uniform"]


def prepare(sysbench: str, admin: Endpoint) -> None:
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'sbtest1'",
                    (DATABASE,))
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


def run_sysbench(sysbench: str, admin: Endpoint, threads: int, seconds: float) -> dict:
    out = subprocess.run([sysbench, *_args(admin, threads, seconds), "run"], check=True, capture_output=True,
                         text=True).stdout
    qps = float(re.search(r"queries:\s+\d+\s+\(([0-9.]+) per sec", out).group(1))
    errors = int(re.search(r"ignored errors:\s+(\d+)", out).group(1))
    return {"qps": qps, "errors": errors, **histogram_percentiles(out),
            "p99_reported": float(re.search(r"99th percentile:\s+([0-9.]+)", out).group(1))}


def run_ours(admin: Endpoint, threads: int, seconds: float) -> dict:
    spec = (f"name: point_select\nconcurrency: {threads}\ntarget_rate: 0\nduration_seconds: {seconds}\nqueries:\n"
            f"  - name: point_select\n    sql: SELECT c FROM sbtest1 WHERE id = {{id}}\n"
            f"    params: {{id: {{int: [1, {TABLE_SIZE}]}}}}\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "point_select.yaml"
        path.write_text(spec)
        workload = load_workload([path])
    r = run_load(side="source", host=admin.host, port=admin.port, user=admin.user, password=admin.password,
                 database=DATABASE, workload=workload)
    c = r.classes["point_select"]
    return {"qps": r.throughput_qps, "errors": r.errors, "p50": c.p50_ms, "p95": c.p95_ms, "p99": c.p99_ms}


def run(seconds: float = 20, threads: int = 4, rounds: int = 2) -> Result:
    sysbench = ensure_sysbench()
    version = subprocess.run([sysbench, "--version"], capture_output=True, text=True).stdout.strip()
    admin = Endpoint.from_dsn(Stack().env()["POCFLOW_SOURCE_ADMIN_DSN"])
    prepare(sysbench, admin)
    ours, theirs = [], []
    for _ in range(rounds):  # alternate, so drift in the machine's load hits both
        ours.append(run_ours(admin, threads, seconds))
        theirs.append(run_sysbench(sysbench, admin, threads, seconds))

    def mean(rows: list[dict], key: str) -> float:
        return sum(r[key] for r in rows) / len(rows)

    o = {k: mean(ours, k) for k in ("qps", "p50", "p95", "p99")}
    s = {k: mean(theirs, k) for k in ("qps", "p50", "p95", "p99")}
    ratio = o["qps"] / s["qps"]
    return Result(
        name="load generator vs sysbench", metric="our queries/s / sysbench's",
        pocflow=f"{o['qps']:,.0f} q/s; p50 {o['p50']:.2f} ms, p95 {o['p95']:.2f} ms, p99 {o['p99']:.2f} ms",
        baseline=f"{version}: {s['qps']:,.0f} q/s; p50 {s['p50']:.2f} ms, p95 {s['p95']:.2f} ms, p99 {s['p99']:.2f} ms",
        ratio=ratio, goal="throughput at least 0.8x; percentiles agree", met=ratio >= 0.8,
        command=f"python -m bench.sysbench --seconds {seconds:g} --threads {threads} --rounds {rounds}",
        details={"threads": threads, "seconds": seconds, "rounds": rounds, "ours": ours, "sysbench": theirs,
                 "note": "Both use the text protocol (--db-ps-mode=disable) with uniform random ids on sysbench's "
                         f"own {TABLE_SIZE:,}-row table. sysbench's percentiles come from its histogram "
                         "(bucketed, so they read slightly high); ours are exact (HdrHistogram)."})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    result = run(args.seconds, args.threads, args.rounds)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
