"""`make bench`: every benchmark under the one protocol (bench/protocol.py), each a ratio against a
baseline measured in the same run; the results go to bench/results/*.json and BENCHMARKS.md.

One run id per invocation. Results are staged in .pocflow/bench-runs/<run id>/ as each benchmark ends
and written to bench/results/ together once every benchmark of the run has finished (a run that stops
half-way publishes nothing). --resume <run id> finishes such a run: it measures only the benchmarks
with no staged result, then publishes the run whole; its scope says which were measured on resuming,
and when. With --only or --quick the run is partial: its results say so, and BENCHMARKS.md names the
figures they replace.

    python -m bench.run [--quick] [--only NAME ...] [--resume RUN_ID]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import assessment, import_rate, mapped, orchestration, parse, sample_load, sysbench, validation
from bench.results import Result, load_all, start_run, write_markdown

LEDGER_ROWS = {False: 10_000_000, True: 1_000_000}
STAGING = Path(__file__).resolve().parents[1] / ".pocflow" / "bench-runs"

BENCHES = {
    "sample_load": (lambda quick: sample_load.run(5_000 if quick else 20_000)),
    "assessment": (lambda quick: assessment.run(1_000 if quick else 10_000)),
    "parse": (lambda quick: parse.run()),
    # import first: the validation and drift benchmarks compare the copy it leaves
    "import": (lambda quick: import_rate.run(LEDGER_ROWS[quick])),
    "validation": (lambda quick: validation.throughput(LEDGER_ROWS[quick])),
    "drift": (lambda quick: validation.drift(LEDGER_ROWS[quick])),
    "mapped": (lambda quick: mapped.run(LEDGER_ROWS[quick])),
    "sysbench": (lambda quick: sysbench.run(10 if quick else 20, 4, 3)),
    "orchestration": (lambda quick: orchestration.run()),
}


RESULT_NAMES = {
    "sample_load": sample_load.NAME,
    "assessment": assessment.NAME,
    "parse": parse.NAME,
    "import": import_rate.NAME,
    "validation": validation.THROUGHPUT,
    "drift": validation.DRIFT_NAME,
    "mapped": mapped.NAME,
    "sysbench": sysbench.NAME,
    "orchestration": orchestration.NAME,
}
"""Each benchmark's Result.name (a staged result is found by it on --resume)."""


def scope(quick: bool, only: list[str] | None) -> str:
    parts = (["--quick"] if quick else []) + (["--only " + " ".join(only)] if only else [])
    return " ".join(parts) or "full"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a run of a few minutes (partial)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these (partial)")
    parser.add_argument("--resume", metavar="RUN_ID", help="finish a run that stopped: measure what it has not")
    args = parser.parse_args()
    names = list(args.only or BENCHES)
    quick = args.quick
    done: list[Result] = []
    if args.resume:
        done = load_all(STAGING / args.resume)
        if not done:
            parser.error(f"no staged results in {STAGING / args.resume}")
        staged = {r.name for r in done}
        names = [n for n in names if RESULT_NAMES.get(n, n) not in staged]
        first = done[0]
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        resumed = f"{first.scope}; resumed {when} for {', '.join(names) or 'nothing'}"
        run = start_run(partial=first.partial, scope=resumed)
        run.id = first.run_id
        quick = quick or "--quick" in first.scope
        for r in done:  # the whole run carries the same scope
            r.scope = run.scope
    else:
        run = start_run(partial=bool(args.quick or args.only), scope=scope(args.quick, args.only))
    staging = STAGING / run.id
    print(f"[bench] run {run.id} ({run.scope}{', partial' if run.partial else ''})", flush=True)
    for name in names:
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        try:
            result = BENCHES[name](quick)
        except BaseException:
            print(f"[bench] {name} failed: nothing published; finished results are in {staging}", flush=True)
            raise
        result.save(staging)
        done.append(result)
        print(f"[bench] {result.line()}  ({time.perf_counter() - started:.0f}s)", flush=True)
    for result in done:  # all of the run's results together
        result.save()
    print(f"[bench] run {run.id}: results in bench/results/, table in {write_markdown()}")


if __name__ == "__main__":
    main()
