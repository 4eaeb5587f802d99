"""``pocflow``: the same code the DAGs run, from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from pocflow import extensions
from pocflow.artifacts import ArtifactStore
from pocflow.connections import UnknownConnection, exists
from pocflow.engagement import EngagementError, from_inputs
from pocflow.review.browser import check_report
from pocflow.stage_order import STAGE_ORDER
from pocflow.stages import RunResults, StageContext, run_stage
from pocflow.stages.import_data import ImportError_
from pocflow.stages.provision import TargetNotProvisioned
from pocflow.stages.sharding_plan import VSchemaRejected
from pocflow.stages.validation import ValidationThresholdExceeded, enforce_threshold
from pocflow.vitess.movetables import WorkflowError
from pocflow.vitess.vtctldclient import NotApproved, VtctldError


def _stage(args: argparse.Namespace) -> int:
    engagement = from_inputs(file=args.engagement, connection_exists=exists)
    run_id = args.run_id or datetime.now(UTC).strftime("cli-%Y%m%dT%H%M%S")
    ctx = StageContext(engagement, run_id, log=lambda m: print(m, file=sys.stderr), compute_missing=True)
    result, _ = run_stage(args.command, ctx)
    if args.command == "validation":
        enforce_threshold(ctx, result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    return 0


def _show(args: argparse.Namespace) -> int:
    engagement = from_inputs(file=args.engagement)
    store = ArtifactStore(engagement.artifacts.location, engagement.name, "x")
    runs = store.runs_with("select-database.json")
    run_id = args.run_id or (runs[-1] if runs else None)
    if run_id is None:
        print(f"pocflow: no runs of {engagement.name} in {engagement.artifacts.location}", file=sys.stderr)
        return 2
    store = store.for_run(run_id)
    results = RunResults(store)
    print(
        f"# {engagement.name} ({engagement.customer}), run {run_id}; opt-out {engagement.opt_out_date} "
        f"({engagement.days_left()} days left)"
    )
    for name in STAGE_ORDER:
        result = results.get(name)
        if result is None:
            print(f"\n## {name}: not run")
            continue
        print(f"\n## {name}  ({store.local_path(name + '.json') if not store.location.startswith('s3://') else name})")
        print(result.summary())
    return 0


def _report_check(args: argparse.Namespace) -> int:
    result = check_report(Path(args.report), Path(args.screenshot) if args.screenshot else None)
    print(
        f"{result.title}: {result.charts} charts, {result.drawn} chart marks drawn, recommendation "
        f"'{result.recommendation}', console errors: {len(result.console_errors)}"
        + (f"; screenshot {result.screenshot}" if result.screenshot else "")
    )
    for e in result.console_errors:
        print(f"  console: {e}", file=sys.stderr)
    return 0 if result.drawn and not result.console_errors else 1


def _validate(args: argparse.Namespace) -> int:
    engagement = from_inputs(file=args.engagement, connection_exists=exists)
    print(json.dumps(engagement.to_dict(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pocflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check an engagement file and print it")
    validate.add_argument("--engagement", required=True, metavar="FILE")
    validate.set_defaults(func=_validate)

    for name in STAGE_ORDER:
        stage = sub.add_parser(name, help=f"run the {name} stage of an engagement")
        stage.add_argument(
            "--engagement",
            required=True,
            metavar="FILE",
            help="engagement YAML (a name under include/engagements/ or a path)",
        )
        stage.add_argument("--run-id", help="reuse earlier stages' results of this run (default: a new run)")
        stage.add_argument("--json", action="store_true", help="print the stage's result as JSON")
        stage.set_defaults(func=_stage)

    show = sub.add_parser("show", help="print the stage summaries of an engagement's latest (or given) run")
    show.add_argument("--engagement", required=True, metavar="FILE")
    show.add_argument("--run-id")
    show.set_defaults(func=_show)

    check = sub.add_parser("report-check", help="open a report in headless Chromium; optionally save a screenshot")
    check.add_argument("report")
    check.add_argument("--screenshot")
    check.set_defaults(func=_report_check)

    for add in extensions.registry().commands:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    plain: tuple[type[BaseException], ...] = (
        VtctldError,
        NotApproved,
        EngagementError,
        UnknownConnection,
        VSchemaRejected,
        WorkflowError,
        ValidationThresholdExceeded,
        ImportError_,
        TargetNotProvisioned,
        *extensions.registry().command_errors,
    )
    try:
        return args.func(args)
    except plain as e:
        print(f"pocflow: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
