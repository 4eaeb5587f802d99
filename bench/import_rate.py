"""Import: the copy rate of pocflow's import stage against the same vtctldclient commands run by hand
(create, then poll `status` every 2 s until the copy is done), on the same ledger table in the same run,
alternated under the one protocol (bench/protocol.py). Goal: about 1.0x; the orchestration adds nothing
to Vitess's own copy.

    python -m bench.import_rate [--rows 10000000] [--repetitions N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

from bench import ledger
from bench.protocol import alternate
from bench.results import Result, measured
from pocflow.stages import run_stage
from pocflow.vitess.movetables import MoveTables, parse_status
from pocflow.vitess.vtctldclient import Vtctld, find_vtctldclient

NAME = "import copy rate"
"""This benchmark's result (bench/results/<NAME>.json)."""

BY_HAND = "bench_by_hand"


def by_hand(server: str, source_keyspace: str, target_keyspace: str) -> None:
    """What an SA types: MoveTables create, then status until every table is copied and streams run."""
    movetables = MoveTables(Vtctld(server, find_vtctldclient()), BY_HAND, target_keyspace)
    subprocess.run(
        movetables.argv("create", "--source-keyspace", source_keyspace, "--tables", ledger.TABLE),
        check=True,
        capture_output=True,
    )
    while True:
        out = subprocess.run(
            movetables.argv("status", "--format", "json"), check=True, capture_output=True, text=True
        ).stdout
        if parse_status(BY_HAND, target_keyspace, json.loads(out)).copy_complete:
            return
        time.sleep(2.0)


def repetitions_for(rows: int) -> int:
    """Runs per side: 3, or 2 when a copy of this size takes about two minutes (3 each would be ~13 min)."""
    return 2 if rows > 2_000_000 else 3


def run(rows: int, repetitions: int | None = None) -> Result:
    repetitions = repetitions or repetitions_for(rows)
    created = ledger.ensure_table(rows)
    ctx = ledger.context()
    ledger.plan(ctx)
    e = ctx.engagement
    ours_mt = MoveTables(ctx.vtctld, ledger.workflow_name(), e.target.keyspace)
    hand_mt = MoveTables(ctx.vtctld, BY_HAND, e.target.keyspace)

    def empty_target(side: str) -> None:
        ours_mt.cancel(approved=True)  # the same empty target for both, before every run
        hand_mt.cancel(approved=True)

    def import_stage() -> None:
        run_stage("import", ctx)

    c = alternate(
        import_stage,
        lambda: by_hand(e.target.vtctld_address, e.source.keyspace, e.target.keyspace),
        repetitions=repetitions,
        setup=empty_target,
    )
    hand_mt.cancel(approved=True)  # pocflow's copy is kept when it ran last: the validation benchmark compares it
    goal = 0.9
    fewer = (
        f" {repetitions} runs each, not 3: one copy of {rows:,} rows takes about two minutes, 3 each would "
        "take about 13."
        if repetitions < 3
        else ""
    )
    return Result(
        name=NAME,
        metric="by-hand time / import stage time",
        pocflow=f"import stage: {rows:,} rows, {rows / c.pocflow.median:,.0f} rows/s at the median",
        baseline=f"vtctldclient MoveTables create + status by hand: {rows / c.baseline.median:,.0f} rows/s "
        "at the median",
        ratio=c.ratio,
        goal=f"about 1.0x ({goal}x or better)",
        met=c.met(goal),
        command=f"python -m bench.import_rate --rows {rows} --repetitions {repetitions}",
        details={
            "rows": rows,
            "pocflow_runs": c.runs_of("pocflow"),
            "by_hand_runs": c.runs_of("baseline"),
            "table_created_seconds": round(created, 1),
            "note": "The import stage also plans the workflow, creates it, and reads the copied row counts "
            "afterwards; both poll Vitess every 2 s. Both workflows are cancelled (the target emptied) "
            "before every run, outside the timer." + fewer,
        },
        **measured(c),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, help="runs per side (default: 3, or 2 above 2M rows)")
    args = parser.parse_args()
    result = run(args.rows, args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
