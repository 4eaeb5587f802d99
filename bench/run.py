"""`make bench`: every benchmark, each a ratio against a baseline measured in the same run; the
results go to bench/results/*.json and BENCHMARKS.md.

    python -m bench.run [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import time

from bench import assessment, import_rate, orchestration, parse, sample_load, sysbench, validation
from bench.results import write_markdown

LEDGER_ROWS = {False: 10_000_000, True: 1_000_000}

BENCHES = {
    "sample_load": (lambda quick: sample_load.run(5_000 if quick else 20_000)),
    "assessment": (lambda quick: assessment.run(1_000 if quick else 10_000)),
    "parse": (lambda quick: parse.run()),
    # import first: the validation and drift benchmarks compare the copy it leaves
    "import": (lambda quick: import_rate.run(LEDGER_ROWS[quick])),
    "validation": (lambda quick: validation.throughput(LEDGER_ROWS[quick])),
    "drift": (lambda quick: validation.drift(LEDGER_ROWS[quick])),
    "sysbench": (lambda quick: sysbench.run(10 if quick else 20, 4, 3)),
    "orchestration": (lambda quick: orchestration.run()),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data, for a run of a few minutes")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these")
    args = parser.parse_args()
    for name in args.only or BENCHES:
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        result = BENCHES[name](args.quick)
        result.save()
        print(f"[bench] {result.line()}  ({time.perf_counter() - started:.0f}s)", flush=True)
    print(f"[bench] results in bench/results/, table in {write_markdown()}")


if __name__ == "__main__":
    main()
