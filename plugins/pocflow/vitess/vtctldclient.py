"""The one way pocflow runs Vitess admin commands: ``vtctldclient --server ADDR ...``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from pocflow import extensions


class VtctldError(RuntimeError):
    """vtctldclient exited non-zero; ``stderr`` carries Vitess's own message."""

    def __init__(self, args: list[str], returncode: int, stderr: str):
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"vtctldclient {' '.join(args)} failed (exit {returncode}): {self.stderr}")


class NotApproved(PermissionError):
    """A destructive Vitess command was asked for without the explicit approval it needs."""

    def __init__(self, command: str, how: str):
        self.command = command
        super().__init__(
            f"refusing `{command}` without explicit approval: it changes where traffic goes or drops data. {how}"
        )


# Workflow and topology commands that switch traffic, finish a migration, drop tables, keyspaces or shards,
# or rewrite routing. pocflow runs none of them unless the caller passes approved=True.
DESTRUCTIVE_WORKFLOW_ACTIONS = {"switchtraffic", "reversetraffic", "complete", "cancel", "delete"}
WORKFLOW_COMMANDS = {"movetables", "reshard", "migrate", "workflow"}
DESTRUCTIVE_COMMANDS = {
    "deletekeyspace",
    "deleteshards",
    "deletetablets",
    "removekeyspacecell",
    "removeshardcell",
    "applyroutingrules",
    "applyshardroutingrules",
    "applykeyspaceroutingrules",
    "emergencyreparentshard",
    "plannedreparentshard",
    "sleeptablet",
    "executefetchasdba",
    "setshardtabletcontrol",
}
# a statement (at the start of the text or after a ';') that drops, renames, empties or alters;
# quoted names such as `drop shipments` are not statements
_DESTRUCTIVE_DDL = re.compile(r"(?:^|;)\s*(?:drop|rename|truncate|alter)\b", re.IGNORECASE)


def _command_words(args: tuple[str, ...] | list[str]) -> list[str]:
    """The command and its sub-command: the first two words that are neither flags nor flag values."""
    words: list[str] = []
    i = 0
    while i < len(args) and len(words) < 2:
        a = args[i]
        if a.startswith("-"):
            i += 1 if "=" in a else 2  # "--flag value" (vtctldclient's flags before a sub-command take values)
            continue
        words.append(a)
        i += 1
    return words


def destructive(args: tuple[str, ...] | list[str]) -> str | None:
    """The destructive command ``args`` would run (None when it is safe to run without approval)."""
    words = _command_words(args)
    if not words or "--dry-run" in args or "--dry-run=true" in args:
        return None  # a dry run only prints what would happen
    head = words[0].lower()
    if head in DESTRUCTIVE_COMMANDS:
        return words[0]
    if head in WORKFLOW_COMMANDS and len(words) > 1 and words[1].lower() in DESTRUCTIVE_WORKFLOW_ACTIONS:
        return f"{words[0]} {words[1]}"
    if head == "applyschema":
        sql = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--sql"]
        sql += [a.split("=", 1)[1] for a in args if a.startswith("--sql=")]
        if any(_DESTRUCTIVE_DDL.search(text) for text in sql) or any(a.startswith("--sql-file") for a in args):
            return "ApplySchema (DROP/RENAME/TRUNCATE/ALTER)"
    return None


def find_vtctldclient() -> str:
    """$POCFLOW_VTCTLDCLIENT, then PATH, then the tool folders extensions register (the local stack's cached build)."""
    explicit = os.environ.get("POCFLOW_VTCTLDCLIENT")
    if explicit:
        return explicit
    found = shutil.which("vtctldclient")
    if found:
        return found
    for folder in extensions.registry().tool_dirs:
        cached = folder() / "vtctldclient"
        if cached.exists():
            return str(cached)
    raise FileNotFoundError(
        "vtctldclient not found: put it on PATH, set POCFLOW_VTCTLDCLIENT, "
        "or run `make setup` to build the local stack's Vitess binaries"
    )


@dataclass(frozen=True)
class Vtctld:
    server: str  # host:grpc_port of vtctld
    binary: str | None = None
    timeout: float = 300.0

    def argv(self, *args: str) -> list[str]:
        """The command line of one command: ``vtctldclient --server ADDR ARGS...``."""
        return [self.binary or find_vtctldclient(), "--server", self.server, *args]

    def run(self, *args: str, timeout: float | None = None, approved: bool = False) -> str:
        """Run one command. Destructive ones (see :func:`destructive`) need ``approved=True``."""
        command = destructive(args)
        if command and not approved:
            raise NotApproved(command, "The engagement or command must approve it explicitly.")
        proc = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout or self.timeout)
        if proc.returncode != 0:
            raise VtctldError(list(args), proc.returncode, proc.stderr or proc.stdout)
        return proc.stdout

    def run_json(self, *args: str, timeout: float | None = None, approved: bool = False) -> Any:
        out = self.run(*args, timeout=timeout, approved=approved)
        return json.loads(out) if out.strip() else {}
