"""The local rig's ``pocflow`` commands: stack, sample, source, import-proof, dags-test, airflow."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from pocflow.connections import Endpoint
from pocflow.local import import_proof
from pocflow.local.airflow.env import dags_test
from pocflow.local.airflow.standalone import serve
from pocflow.local.customer import rows as rowgen
from pocflow.local.customer import sources
from pocflow.local.sample import hostile
from pocflow.local.sample.load import load
from pocflow.local.stack import Stack
from pocflow.local.stack.config import SOURCE_FLAVORS, StackConfig
from pocflow.local.stack.process import StackError
from pocflow.vitess.vtctldclient import Vtctld


def _stack(args: argparse.Namespace) -> int:
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
    stack = Stack()
    dsn = args.dsn or stack.env()["POCFLOW_SOURCE_ADMIN_DSN"]
    if args.hostile:
        counts = hostile.load(Endpoint.from_dsn(dsn))
        print(
            json.dumps(counts, indent=2, ensure_ascii=False)
            if args.json
            else f"loaded {sum(counts.values())} rows into {len(counts)} hostile-named tables of hostile_names"
        )
        return 0
    endpoint = Endpoint.from_dsn(dsn)
    if args.database:
        endpoint = endpoint.with_database(args.database)
    result = load(
        endpoint,
        scale=args.scale,
        seed=args.seed,
        data_dir=stack.config.state_dir / "sample-data",
        force=args.force,
        progress=lambda m: print(m, file=sys.stderr),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    elif not result.skipped:
        print(
            f"loaded {result.total_rows:,} rows into {result.database} in {result.load_seconds:.1f}s "
            f"({result.rows_per_second:,.0f} rows/s; data generated in {result.generate_seconds:.1f}s)"
        )
    return 0


def _import_proof(args: argparse.Namespace) -> int:
    stack = Stack()
    env = stack.env()
    result = import_proof.run(
        vtctld=Vtctld(env["VTCTLD_SERVER"], binary=str(stack.config.vitess_bin / "vtctldclient")),
        source_admin=Endpoint.from_dsn(env["POCFLOW_SOURCE_ADMIN_DSN"]),
        source_readonly=Endpoint.from_dsn(env["POCFLOW_SOURCE_READONLY_DSN"]),
        vtgate=Endpoint.from_dsn(env["POCFLOW_VTGATE_DSN"]),
        source_keyspace=env["POCFLOW_SOURCE_KEYSPACE"],
        target_keyspace=env["POCFLOW_TARGET_KEYSPACE"],
        approve_cancel=args.approve_cancel,
        progress=lambda m: print(m, file=sys.stderr),
    )
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


def _source(args: argparse.Namespace) -> int:
    stack = Stack()
    progress = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if args.action == "list":
        rows = sources.listing(stack)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(f"{'database':<24} {'keyspace':<28} {'tablet':<17} {'ports':<12} origin")
            for r in rows:
                print(
                    f"{r['database']:<24} {r['keyspace']:<28} {r['tablet']:<17} "
                    f"{r['http_port']}/{r['grpc_port']:<6} {r['origin']}".rstrip()
                )
        return 0
    args.name = args.name or args.name_option
    if not args.name:
        raise StackError(f"`pocflow source {args.action}` needs a database: --database NAME or NAME")
    if args.action == "remove":
        sources.remove(stack, args.name, approved=args.approve, progress=progress)
        return 0
    if args.scale_rows is not None and args.scale_rows < 1:
        raise StackError("--scale-rows must be a positive number of rows per table")
    added = sources.add(
        stack,
        args.name,
        dump=Path(args.from_dump) if args.from_dump else None,
        scale_rows=args.scale_rows,
        seed=args.seed,
        progress=progress,
    )
    for note in added.notes:
        progress(f"note: {note}")
    if args.json:
        print(
            json.dumps(
                {
                    **added.entry.to_dict(),
                    "engagement_file": str(added.engagement_file),
                    "engagement_written": added.engagement_written,
                    "statements": added.statements,
                    "rows": added.rows,
                    "notes": added.notes,
                },
                indent=2,
            )
        )
        return 0
    where = "written to" if added.engagement_written else "already there, left as it is:"
    print(
        f"# {added.entry.database}: keyspace {added.entry.keyspace}, tablet "
        f"{stack.config.source_tablet(added.entry).alias}; engagement file {where} {added.engagement_file}"
    )
    print(added.engagement_yaml, end="")
    return 0


def _dags_test(args: argparse.Namespace) -> int:
    return dags_test(args.dag, json.loads(args.conf) if args.conf else None).returncode


def _airflow(args: argparse.Namespace) -> int:
    return serve(args.port)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add the rig's sub-commands to the ``pocflow`` parser."""
    stack = sub.add_parser("stack", help="the local source (MySQL 9.7 or MariaDB 10.11) + Vitess cluster")
    stack.add_argument("action", choices=["setup", "up", "down", "status", "env"])
    stack.add_argument(
        "--source-flavor",
        choices=SOURCE_FLAVORS,
        help="up: the source server's flavour (default mysql, or what the stack last ran)",
    )
    stack.add_argument(
        "--second-source-flavor",
        choices=[*SOURCE_FLAVORS, "other", "none"],
        help="up: also run a source server of the other flavour (other: whichever the source is not) "
        "for its own copy of the sample, keyspace shop_<flavor>_source; none: stop running it",
    )
    stack.add_argument("--json", action="store_true", help="status as JSON")
    stack.add_argument("--wipe", action="store_true", help="down: also delete the state folder (all data)")
    stack.set_defaults(func=_stack)

    sample = sub.add_parser("sample", help="the bundled sample shop database")
    sample.add_argument("action", choices=["load"])
    sample.add_argument(
        "--scale",
        default="small",
        help="tiny, small (default), medium (~1M rows), large (~10M rows) or a number of customers",
    )
    sample.add_argument("--seed", type=int, default=20261128)
    sample.add_argument("--dsn", help="mysql://user:password@host:port/db (default: the local stack's source)")
    sample.add_argument("--force", action="store_true", help="reload even when the same data is there")
    sample.add_argument(
        "--database",
        help="load into this database of the source (default: the DSN's, shop); "
        "shop_cutover is the stack's cutover rehearsal copy",
    )
    sample.add_argument(
        "--hostile",
        action="store_true",
        help="load the hostile-names sample (quotes, backticks, unicode, 64-character names) instead",
    )
    sample.add_argument("--json", action="store_true")
    sample.set_defaults(func=_sample)

    source = sub.add_parser(
        "source",
        help="databases of the local source, each behind a source tablet: add a customer's dump, list them, remove one",
    )
    source.add_argument("action", choices=["add", "list", "remove"])
    source.add_argument("name", nargs="?", help="remove: the database")
    source.add_argument("--database", dest="name_option", metavar="NAME", help="add: the database to create or front")
    source.add_argument(
        "--from-dump",
        metavar="FILE_OR_DIR",
        help="add: mysqldump/mysqlpump SQL (plain or .gz) or a mydumper folder, loaded into the new "
        "database (without it, the database must already exist on the source)",
    )
    source.add_argument("--scale-rows", type=int, metavar="N", help="add: fill every table with N generated rows")
    source.add_argument("--seed", type=int, default=rowgen.DEFAULT_SEED, help="add: the generated rows' seed")
    source.add_argument("--approve", action="store_true", help="remove: required, it drops the database")
    source.add_argument("--json", action="store_true")
    source.set_defaults(func=_source)

    dags = sub.add_parser("dags-test", help="airflow dags test against a local metadata DB")
    dags.add_argument("--dag", default="poc_engagement")
    dags.add_argument("--conf", help="JSON run conf (the trigger form's fields)")
    dags.set_defaults(func=_dags_test)

    airflow = sub.add_parser("airflow", help="Airflow standalone (UI and API) with our DAGs and airflow_settings.yaml")
    airflow.add_argument("--port", type=int, default=8080)
    airflow.set_defaults(func=_airflow)

    proof = sub.add_parser("import-proof", help="MoveTables + VDiff on the local stack, then cancel")
    proof.add_argument(
        "--approve-cancel",
        action="store_true",
        help="required: the proof ends by cancelling its workflow, dropping its copy on the target",
    )
    proof.add_argument("--json", action="store_true")
    proof.add_argument("--report", metavar="DIR", help="also write import-proof.json and import-proof.md here")
    proof.set_defaults(func=_import_proof)
