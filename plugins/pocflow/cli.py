"""``pocflow``: the same code the DAGs run, from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from pocflow.artifacts import ArtifactStore
from pocflow.connections import UnknownConnection, exists
from pocflow.engagement import EngagementError, from_inputs
from pocflow.review.browser import check_report
from pocflow.stage_order import STAGE_ORDER
from pocflow.stack.config import SOURCE_FLAVORS
from pocflow.stack.process import StackError
from pocflow.stages import RunResults, StageContext, run_stage
from pocflow.stages.import_data import ImportError_
from pocflow.stages.sharding_plan import VSchemaRejected
from pocflow.stages.validation import ValidationThresholdExceeded, enforce_threshold
from pocflow.vitess.movetables import WorkflowError
from pocflow.vitess.vtctldclient import NotApproved, VtctldError


def _stack(args: argparse.Namespace) -> int:
    import dataclasses

    from pocflow.stack import Stack
    from pocflow.stack.config import StackConfig

    config = StackConfig.from_env()
    if args.action != "up" and (args.source_flavor or args.second_source_flavor):
        raise StackError("--source-flavor and --second-source-flavor apply to `pocflow stack up`")
    if args.source_flavor or args.second_source_flavor:
        flavor = args.source_flavor or config.source_flavor
        second = args.second_source_flavor or config.second_source_flavor
        if second == "other":
            second = next(f for f in SOURCE_FLAVORS if f != flavor)
        second = None if second in (None, "none") or (second == flavor and not args.second_source_flavor) else second
        try:
            config = dataclasses.replace(config, source_flavor=flavor, second_source_flavor=second)
        except ValueError as e:
            raise StackError(str(e)) from None
    stack = Stack(config)
    if args.action == "setup":
        stack.setup()
    elif args.action == "up":
        stack.up()
    elif args.action == "down":
        stack.down(wipe=args.wipe)
    elif args.action == "env":
        print(stack.env_script())
    elif args.action == "status":
        rows = stack.status()
        if args.json:
            print(json.dumps([r.to_dict() for r in rows], indent=2))
        else:
            print(f"{'component':<18} {'port':>6} {'pid':>8}  {'state':<22} server")
            for r in rows:
                state = "healthy" if r.healthy else ("running, not healthy" if r.pid else "stopped")
                server = f"{r.flavor} {r.version}" if r.flavor else ""
                print(f"{r.name:<18} {r.port:>6} {r.pid or '-':>8}  {state:<22} {server}".rstrip())
        return 0 if all(r.healthy for r in rows) else 3
    return 0


def _sample(args: argparse.Namespace) -> int:
    from pocflow.connections import Endpoint
    from pocflow.sample.load import load
    from pocflow.stack import Stack

    stack = Stack()
    dsn = args.dsn or stack.env()["POCFLOW_SOURCE_ADMIN_DSN"]
    if args.hostile:
        from pocflow.sample import hostile

        counts = hostile.load(Endpoint.from_dsn(dsn))
        print(json.dumps(counts, indent=2, ensure_ascii=False) if args.json else
              f"loaded {sum(counts.values())} rows into {len(counts)} hostile-named tables of hostile_names")
        return 0
    endpoint = Endpoint.from_dsn(dsn)
    if args.database:
        endpoint = endpoint.with_database(args.database)
    result = load(endpoint, scale=args.scale, seed=args.seed,
                  data_dir=stack.config.state_dir / "sample-data", force=args.force,
                  progress=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    elif not result.skipped:
        print(f"loaded {result.total_rows:,} rows into {result.database} in {result.load_seconds:.1f}s "
              f"({result.rows_per_second:,.0f} rows/s; data generated in {result.generate_seconds:.1f}s)")
    return 0


def _import_proof(args: argparse.Namespace) -> int:
    from pocflow import import_proof
    from pocflow.connections import Endpoint
    from pocflow.stack import Stack
    from pocflow.vitess.vtctldclient import Vtctld

    stack = Stack()
    env = stack.env()
    result = import_proof.run(
        vtctld=Vtctld(env["VTCTLD_SERVER"], binary=str(stack.config.vitess_bin / "vtctldclient")),
        source_admin=Endpoint.from_dsn(env["POCFLOW_SOURCE_ADMIN_DSN"]),
        source_readonly=Endpoint.from_dsn(env["POCFLOW_SOURCE_READONLY_DSN"]),
        vtgate=Endpoint.from_dsn(env["POCFLOW_VTGATE_DSN"]),
        source_keyspace=env["POCFLOW_SOURCE_KEYSPACE"], target_keyspace=env["POCFLOW_TARGET_KEYSPACE"],
        approve_cancel=args.approve_cancel, progress=lambda m: print(m, file=sys.stderr))
    if args.report:
        folder = Path(args.report)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "import-proof.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        (folder / "import-proof.md").write_text(import_proof.render_markdown(result))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print("\n" + import_proof.render_markdown(result))
    return 0 if result.passed else 1


def _stage(args: argparse.Namespace) -> int:
    engagement = from_inputs(file=args.engagement, connection_exists=exists)
    run_id = args.run_id or datetime.now(timezone.utc).strftime("cli-%Y%m%dT%H%M%S")
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
    print(f"# {engagement.name} ({engagement.customer}), run {run_id}; opt-out {engagement.opt_out_date} "
          f"({engagement.days_left()} days left)")
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
    print(f"{result.title}: {result.charts} charts, {result.drawn} chart marks drawn, recommendation "
          f"'{result.recommendation}', console errors: {len(result.console_errors)}"
          + (f"; screenshot {result.screenshot}" if result.screenshot else ""))
    for e in result.console_errors:
        print(f"  console: {e}", file=sys.stderr)
    return 0 if result.drawn and not result.console_errors else 1


def _validate(args: argparse.Namespace) -> int:
    engagement = from_inputs(file=args.engagement, connection_exists=exists)
    print(json.dumps(engagement.to_dict(), indent=2))
    return 0


def _dags_test(args: argparse.Namespace) -> int:
    from pocflow.airflow.local import dags_test

    return dags_test(args.dag, json.loads(args.conf) if args.conf else None).returncode


def _airflow(args: argparse.Namespace) -> int:
    from pocflow.airflow.standalone import serve

    return serve(args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pocflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="the local source (MySQL 9.7 or MariaDB 10.11) + Vitess cluster")
    stack.add_argument("action", choices=["setup", "up", "down", "status", "env"])
    stack.add_argument("--source-flavor", choices=SOURCE_FLAVORS,
                       help="up: the source server's flavour (default mysql, or what the stack last ran)")
    stack.add_argument("--second-source-flavor", choices=[*SOURCE_FLAVORS, "other", "none"],
                       help="up: also run a source server of the other flavour (other: whichever the source is not) "
                            "for its own copy of the sample, keyspace shop_<flavor>_source; none: stop running it")
    stack.add_argument("--json", action="store_true", help="status as JSON")
    stack.add_argument("--wipe", action="store_true", help="down: also delete the state folder (all data)")
    stack.set_defaults(func=_stack)

    sample = sub.add_parser("sample", help="the bundled sample shop database")
    sample.add_argument("action", choices=["load"])
    sample.add_argument("--scale", default="small",
                        help="tiny, small (default), medium (~1M rows), large (~10M rows) or a number of customers")
    sample.add_argument("--seed", type=int, default=20261128)
    sample.add_argument("--dsn", help="mysql://user:password@host:port/db (default: the local stack's source)")
    sample.add_argument("--force", action="store_true", help="reload even when the same data is there")
    sample.add_argument("--database", help="load into this database of the source (default: the DSN's, shop); "
                                           "shop_cutover is the stack's cutover rehearsal copy")
    sample.add_argument("--hostile", action="store_true",
                        help="load the hostile-names sample (quotes, backticks, unicode, 64-character names) instead")
    sample.add_argument("--json", action="store_true")
    sample.set_defaults(func=_sample)

    validate = sub.add_parser("validate", help="check an engagement file and print it")
    validate.add_argument("--engagement", required=True, metavar="FILE")
    validate.set_defaults(func=_validate)

    for name in STAGE_ORDER:
        stage = sub.add_parser(name, help=f"run the {name} stage of an engagement")
        stage.add_argument("--engagement", required=True, metavar="FILE",
                           help="engagement YAML (a name under include/engagements/ or a path)")
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

    dags = sub.add_parser("dags-test", help="airflow dags test against a local metadata DB")
    dags.add_argument("--dag", default="poc_engagement")
    dags.add_argument("--conf", help="JSON run conf (the trigger form's fields)")
    dags.set_defaults(func=_dags_test)

    airflow = sub.add_parser("airflow", help="Airflow standalone (UI and API) with our DAGs and airflow_settings.yaml")
    airflow.add_argument("--port", type=int, default=8080)
    airflow.set_defaults(func=_airflow)

    proof = sub.add_parser("import-proof", help="MoveTables + VDiff on the local stack, then cancel")
    proof.add_argument("--approve-cancel", action="store_true",
                       help="required: the proof ends by cancelling its workflow, dropping its copy on the target")
    proof.add_argument("--json", action="store_true")
    proof.add_argument("--report", metavar="DIR", help="also write import-proof.json and import-proof.md here")
    proof.set_defaults(func=_import_proof)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (StackError, VtctldError, NotApproved, EngagementError, UnknownConnection, VSchemaRejected, WorkflowError,
            ValidationThresholdExceeded, ImportError_) as e:
        print(f"pocflow: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
