"""``pocflow``: the same code the DAGs run, from a terminal."""

from __future__ import annotations

import argparse
import json
import sys

from pocflow.stack.process import StackError


def _stack(args: argparse.Namespace) -> int:
    from pocflow.stack import Stack

    stack = Stack()
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
            print(f"{'component':<18} {'port':>6} {'pid':>8}  state")
            for r in rows:
                state = "healthy" if r.healthy else ("running, not healthy" if r.pid else "stopped")
                print(f"{r.name:<18} {r.port:>6} {r.pid or '-':>8}  {state}")
        return 0 if all(r.healthy for r in rows) else 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pocflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="the local MariaDB source + Vitess cluster")
    stack.add_argument("action", choices=["setup", "up", "down", "status", "env"])
    stack.add_argument("--json", action="store_true", help="status as JSON")
    stack.add_argument("--wipe", action="store_true", help="down: also delete the state folder (all data)")
    stack.set_defaults(func=_stack)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StackError as e:
        print(f"pocflow: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
