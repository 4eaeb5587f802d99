"""Validation throughput and drift location on the imported ledger (10M rows by default).

Throughput: pocflow's comparison (quality/diff.py) against Vitess's VDiff and against the physical
floor, one full checksum scan of each side in parallel; rows per second and peak memory of each.
Drift: k rows changed on the target (k = 1, 100, 10,000), then the time pocflow takes to name them.
Both follow the one protocol (bench/protocol.py): the sides in rotated rounds, the same number of runs each.

    python -m bench.validation [--rows 10000000] [--repetitions 3] [--drift]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pymysql

from bench import ledger
from bench.protocol import Comparison, rounds
from bench.results import Result, measured
from pocflow.connections import connect
from pocflow.local.stack import Stack
from pocflow.local.stack.config import SIDECAR_DATABASE
from pocflow.quality.diff import DiffSettings, TableComparison
from pocflow.quality.sides import SourceSide, TargetSide, keyspace_shards
from pocflow.vitess.movetables import VDiff

DRIFT = (1, 100, 10_000)
CLEAN = "no difference"
FLOOR_GOAL, VDIFF_GOAL, DRIFT_GOAL = 1.25, 3.0, 2.0
THROUGHPUT, DRIFT_NAME = "validation throughput", "drift location"
"""The two results of this module (bench/results/<name>.json)."""


def floor_scan(ctx) -> dict:
    """One full checksum scan per side, both at once: the least any comparison must do. Its connections
    (and the target's shard lookup) are opened here, inside the protocol's timer, as pocflow's are."""
    cols = ", ".join(ledger.COLUMNS)
    sql = f"SELECT COUNT(*), BIT_XOR(CRC32(CONCAT_WS('#', {cols}))) FROM {ledger.TABLE}"
    keyspace = ctx.engagement.target.keyspace

    def side(which: str):
        s = (
            SourceSide(ctx.source())
            if which == "source"
            else TargetSide(ctx.vtgate(), keyspace, keyspace_shards(ctx.vtctld, keyspace))
        )
        try:
            return s.rows(sql)
        finally:
            s.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(side, ["source", "target"]))
    assert results[0] == results[1], f"the two sides differ before the benchmark: {results}"
    return {}


def _warm() -> None:
    """Run once in the comparison's process before any timed call: its imports done, the engagement read."""
    ledger.context()


def _compare(run_id: str) -> dict:
    """pocflow's comparison of the ledger: its sides opened, the table compared (the process's own timer
    covers the comparison alone and is kept as ``inner_seconds``)."""
    ctx = ledger.context(run_id)
    table = ctx.earlier("select-database").inventory.table(ledger.TABLE)
    keyspace = ctx.engagement.target.keyspace
    source = SourceSide(ctx.source())
    target = TargetSide(ctx.vtgate(), keyspace, keyspace_shards(ctx.vtctld, keyspace))
    started = time.perf_counter()
    try:
        diff = TableComparison(table, source, target, DiffSettings()).run()
    finally:
        source.close()
        target.close()
    return {
        "inner_seconds": round(time.perf_counter() - started, 3),
        "rows": diff.rows_source,
        "differences": diff.differences_total,
        "chunks": diff.chunks,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


class Comparer:
    """pocflow's comparison in one long-lived process of its own (its peak memory is measured there),
    spawned and warmed before the first timed call: the protocol's timer covers a comparison, not a
    Python start-up."""

    def __enter__(self) -> Comparer:
        self._pool = multiprocessing.get_context("spawn").Pool(1)
        self._pool.apply(_warm)
        return self

    def __exit__(self, *exc) -> None:
        self._pool.close()
        self._pool.join()

    def __call__(self, run_id: str = "bench") -> dict:
        return self._pool.apply(_compare, (run_id,))


def ours(run_id: str = "bench") -> dict:
    """One comparison on its own (outside the protocol)."""
    with Comparer() as compare:
        return compare(run_id)


class RssSampler:
    """The peak resident memory of a process while something runs (VDiff runs inside the target's vttablet)."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.start = self._rss()

    def _rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def __enter__(self):
        def loop():
            while not self._stop.wait(0.2):
                self.peak = max(self.peak, self._rss())

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return max(0, self.peak - self.start) / 1024


class VDiffRuns:
    """VDiff of the ledger's workflow, one per call: created with vtctldclient, then waited for by one
    long-lived loop reading the VDiff's state from the sidecar database of each target primary every 0.2 s
    (one connection each, opened before the timed calls), rather than a vtctldclient process per poll as
    ``VDiff.wait`` does. When the sidecar table cannot be read (or never shows the VDiff), it falls back to
    ``VDiff.wait`` every second and says so in the run's figures. The report (rows compared, mismatch) is
    read after the timer, and every VDiff made here is deleted at the end."""

    POLL = 0.2
    UNSEEN = 30.0
    """Seconds without the VDiff's row in any sidecar table before falling back to ``VDiff.wait``."""

    def __init__(self, ctx):
        keyspace = ctx.engagement.target.keyspace
        stack = Stack()
        primary = next(t for t in stack.config.provisioned_tablets() if t.keyspace == keyspace and t.primary)
        self.pid = int((stack.config.run_dir / f"vttablet-{primary.uid}.pid").read_text())
        self.sockets = [
            m.dir / "mysql.sock"
            for m in stack.cluster.target_mysqlds
            if m.tablet.keyspace == keyspace and m.tablet.primary
        ]
        self.v = VDiff(ctx.vtctld, ledger.workflow_name(), keyspace)
        self.uuids: list[str] = []
        self._conns: list = []

    def __enter__(self) -> VDiffRuns:
        try:
            self._conns = [
                pymysql.connect(unix_socket=str(s), user="vt_dba", database=SIDECAR_DATABASE, autocommit=True)
                for s in self.sockets
            ]
        except pymysql.err.Error:
            self._conns = []
        return self

    def __exit__(self, *exc) -> None:
        for conn in self._conns:
            conn.close()
        for uuid in self.uuids:
            self.v.delete(uuid)

    def __call__(self) -> dict:
        with RssSampler(self.pid) as rss:
            uuid = self.v.create()
            self.uuids.append(uuid)
            poll = self._wait(uuid)
        return {"uuid": uuid, "poll": poll, "vttablet_rss_growth_mb": round(rss.growth_mb, 1)}

    def _states(self, uuid: str) -> list[str] | None:
        states = []
        try:
            for conn in self._conns:
                with conn.cursor() as cur:
                    cur.execute("SELECT state FROM vdiff WHERE vdiff_uuid = %s", (uuid,))
                    row = cur.fetchone()
                    state = row[0] if row else "missing"  # MySQL 9.7's sidecar holds it as bytes
                    states.append(state.decode() if isinstance(state, bytes) else str(state))
        except pymysql.err.Error:
            return None
        return states

    def _wait(self, uuid: str, timeout: float = 7200) -> str:
        started = time.monotonic()
        deadline = started + timeout
        while self._conns:
            states = self._states(uuid)
            if states is None or (set(states) == {"missing"} and time.monotonic() - started > self.UNSEEN):
                break
            if "error" in states:
                raise RuntimeError(f"VDiff {uuid} ended in error")
            if all(s == "completed" for s in states):
                return f"sidecar vdiff state every {self.POLL:g} s, one connection per primary"
            if time.monotonic() > deadline:
                raise TimeoutError(f"VDiff {uuid} did not complete in {timeout:.0f}s (states {states})")
            time.sleep(self.POLL)
        self.v.wait(uuid, interval=1.0, timeout=timeout)
        return "vtctldclient VDiff show every 1 s (the sidecar table could not be read or never showed it)"

    def report(self) -> dict:
        """The last VDiff's report, read after its timer."""
        report = self.v.show(self.uuids[-1])
        return {"rows": report.rows_compared, "mismatch": report.has_mismatch}


def throughput(rows: int, repetitions: int = 3) -> Result:
    """pocflow, the floor and VDiff in rotated rounds, ``repetitions`` runs each."""
    ctx = ledger.ensure_imported(rows)
    with Comparer() as compare, VDiffRuns(ctx) as vdiffs:
        runs = rounds(
            {"pocflow": compare, "floor": lambda: floor_scan(ctx), "VDiff": vdiffs},
            repetitions=repetitions,
            teardown=lambda side: vdiffs.report() if side == "VDiff" else None,
        )
    vs_floor = Comparison(tuple(runs), baseline_side="floor")
    vs_vdiff = Comparison(tuple(runs), baseline_side="VDiff")
    mine = vs_vdiff.runs_of("pocflow")
    theirs = vs_vdiff.runs_of("VDiff")
    assert all(m["differences"] == 0 for m in mine) and not any(t["mismatch"] for t in theirs), (mine, theirs)
    peak = max(m["peak_rss_mb"] for m in mine)
    growth = max(t["vttablet_rss_growth_mb"] for t in theirs)
    polls = sorted({t["poll"] for t in theirs})
    return Result(
        name=THROUGHPUT,
        metric="VDiff time / pocflow time",
        pocflow=(
            f"{rows:,} rows, {rows / vs_vdiff.pocflow.median:,.0f} rows/s at the median; "
            f"{1 / vs_floor.ratio:.2f}x the floor's median (slowest run / fastest floor: "
            f"{1 / vs_floor.worst_ratio:.2f}x), peak {peak:.0f} MB"
        ),
        baseline=(
            f"VDiff ({rows / vs_vdiff.baseline.median:,.0f} rows/s at the median, vttablet +{growth:.0f} MB); "
            f"floor (one checksum scan per side, in parallel) {vs_floor.baseline.show()}"
        ),
        ratio=vs_vdiff.ratio,
        goal=f"within {FLOOR_GOAL:g}x of the floor and at least {VDIFF_GOAL:g}x faster than VDiff",
        met=vs_floor.met(1 / FLOOR_GOAL) and vs_vdiff.met(VDIFF_GOAL),
        command=f"python -m bench.validation --rows {rows} --repetitions {repetitions}",
        details={
            "rows": rows,
            "order": [f"{r.side}" for r in runs],
            "pocflow": mine,
            "floor": vs_floor.runs_of("floor"),
            "vdiff": theirs,
            "floor_median": round(vs_floor.baseline.median, 2),
            "floor_spread": [round(v, 2) for v in vs_floor.baseline.spread],
            "pocflow_vs_floor": round(1 / vs_floor.ratio, 2),
            "pocflow_vs_floor_worst": round(1 / vs_floor.worst_ratio, 2),
            "vdiff_worst_ratio": round(vs_vdiff.worst_ratio, 2),
            "gap": "each side is read once, as the floor reads it, but in a plain checksum query per block of "
            "about 100,000 keys (10 chunks) rather than one query for the whole table: each side's blocks are "
            "range scans started afresh, and the two sides are compared every 8 blocks (the first block "
            "alone, a probe for drift everywhere), where the faster side waits for the other. The target is "
            "read through vtgate with shard targeting (what a PlanetScale database offers; its tablets' "
            "MySQL cannot be reached), so vtgate and vttablet stand between the rows and pocflow on that side, "
            "as they do for the floor.",
            "note": f"{repetitions} runs each of pocflow, the floor and VDiff, in rotated rounds (pocflow floor "
            "VDiff, floor VDiff pocflow, VDiff pocflow floor, ...), each timed around its whole call: "
            "connections and the target's shard lookup opened inside the timer on both pocflow's and the "
            "floor's side (pocflow runs in a process of its own, started before the first timed call); "
            "VDiff from its create to its completion, waited for by "
            + "; ".join(polls)
            + ". The baseline's median and spread above are VDiff's; the floor's are in its cell. The floor "
            "is COUNT(*) and BIT_XOR(CRC32(CONCAT_WS(...))) over the whole table on each side at once; "
            "pocflow sums the same CRC32 per block of 10 chunks of about 10,000 keys (one plain range query "
            "each, 8 blocks per side on its own before the two sides' figures are compared). Peak "
            "memory: pocflow's process over its runs; VDiff's largest growth of the target "
            "vttablet's resident memory.",
        },
        **measured(vs_vdiff),
    )


def _change(ctx, ids: list[int], undo: bool) -> None:
    """Change (or restore) the memo of ``ids`` straight in the target primary's MySQL, as a stray process
    would: drift the source never had (the primary's own replica follows)."""
    keyspace = ctx.engagement.target.keyspace
    cluster = Stack().cluster
    primary = next(m for m in cluster.target_mysqlds if m.tablet.keyspace == keyspace and m.tablet.primary)
    expr = "LEFT(memo, CHAR_LENGTH(memo) - 1)" if undo else "CONCAT(memo, '~')"
    table = f"vt_{keyspace}.{ledger.TABLE}"
    primary.sql(
        ";".join(
            f"UPDATE {table} SET memo = {expr} WHERE id IN ({', '.join(map(str, ids[i : i + 1000]))})"
            for i in range(0, len(ids), 1000)
        )
    )


def _wait_replica(ctx, ids: list[int], changed: bool) -> None:
    """The comparison reads the target's replica: wait until the change has reached it."""
    keyspace = ctx.engagement.target.keyspace
    deadline = time.monotonic() + 120
    with connect(ctx.vtgate().with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"USE `{keyspace}:0@replica`")
        while True:
            cur.execute(f"SELECT COUNT(*) FROM {ledger.TABLE} WHERE id = %s AND memo LIKE %s", (ids[-1], "%~"))
            if bool(cur.fetchone()[0]) == changed or time.monotonic() > deadline:
                return
            time.sleep(0.5)


def drift(rows: int, repetitions: int = 3) -> Result:
    """The comparison with no difference and with k = 1, 100, 10,000 changed rows, in rotated rounds,
    ``repetitions`` runs each; each run's rows are changed before and restored after its timer."""
    ctx = ledger.ensure_imported(rows)
    ks = {CLEAN: 0, **{f"k={k:,}": k for k in DRIFT}}
    ids = {side: [1 + i * (rows // k) for i in range(k)] for side, k in ks.items() if k}

    def setup(side: str) -> None:
        if side in ids:
            _change(ctx, ids[side], undo=False)
            _wait_replica(ctx, ids[side], True)

    def teardown(side: str) -> None:
        if side in ids:
            _change(ctx, ids[side], undo=True)
            _wait_replica(ctx, ids[side], False)

    with Comparer() as compare:
        runs = rounds({side: compare for side in ks}, repetitions=repetitions, setup=setup, teardown=teardown)
    for r in runs:
        assert r.figures["differences"] == ks[r.side], f"{r.side}: {r.figures['differences']} differences found"
    most, fewest = f"k={DRIFT[-1]:,}", f"k={DRIFT[0]:,}"
    c = Comparison(tuple(runs), pocflow_side=most, baseline_side=fewest)
    clean = Comparison(tuple(runs), baseline_side=CLEAN).baseline
    by_k = {side: Comparison(tuple(runs), pocflow_side=side).pocflow for side in ks if ks[side]}
    return Result(
        name=DRIFT_NAME,
        metric=f"{fewest} time / {most} time",
        pocflow=f"{most} (in bold); by k: " + ", ".join(f"{side}: {series.show()}" for side, series in by_k.items()),
        baseline=f"{fewest} (in bold); the same comparison with no difference: {clean.show()}",
        ratio=c.ratio,
        goal=f"grows far slower than k: {most} within {DRIFT_GOAL:g}x of {fewest}",
        met=c.met(1 / DRIFT_GOAL),
        command=f"python -m bench.validation --rows {rows} --drift --repetitions {repetitions}",
        details={
            "rows": rows,
            "runs": [r.to_dict() for r in runs],
            "median_seconds_by_k": {side: round(s.median, 2) for side, s in by_k.items()},
            "clean_median_seconds": round(clean.median, 2),
            "growth_median": round(1 / c.ratio, 2),
            "growth_worst": round(1 / c.worst_ratio, 2),
            "gap": "differences spread over every chunk: the first block (a probe) differs, so the rest of the "
            "table is read in sub-chunks of about 200 keys (a GROUP BY, about a quarter dearer to read than the "
            "clean scan's plain checksums), which leaves about one sub-chunk per difference to rescan by leaves "
            "of 16 keys (at most 32 key ranges per query: MySQL tests each row it reads against the whole OR of "
            "ranges); the differing leaves' rows are then fetched and hashed. Rechecking each named row five "
            "times a second apart (to ride out replication lag) adds 4 s whatever k is, k=1 included.",
            "note": "k rows changed straight in the target primary's MySQL, spread evenly over the table, "
            "before each timed run and restored after it (both outside the timer); no difference, k=1, "
            f"k=100 and k=10,000 in rotated rounds, {repetitions} runs each; every run must find exactly k. "
            "The row's pocflow and baseline spreads are k=10,000's and k=1's (the goal's two sides).",
        },
        **measured(c),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--drift", action="store_true", help="only the drift benchmark")
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    args = parser.parse_args()
    if not args.drift:
        result = throughput(args.rows, args.repetitions)
        result.save()
        print(result.line())
    result = drift(args.rows, args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
