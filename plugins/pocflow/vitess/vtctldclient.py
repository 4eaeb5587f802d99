"""The one way pocflow runs Vitess admin commands: ``vtctldclient --server ADDR ...``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any


class VtctldError(RuntimeError):
    """vtctldclient exited non-zero; ``stderr`` carries Vitess's own message."""

    def __init__(self, args: list[str], returncode: int, stderr: str):
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"vtctldclient {' '.join(args)} failed (exit {returncode}): {self.stderr}")


def find_vtctldclient() -> str:
    """$POCFLOW_VTCTLDCLIENT, then PATH, then the local stack's cached build."""
    explicit = os.environ.get("POCFLOW_VTCTLDCLIENT")
    if explicit:
        return explicit
    found = shutil.which("vtctldclient")
    if found:
        return found
    from pocflow.stack.config import StackConfig

    cached = StackConfig.from_env().vitess_bin / "vtctldclient"
    if cached.exists():
        return str(cached)
    raise FileNotFoundError("vtctldclient not found: put it on PATH, set POCFLOW_VTCTLDCLIENT, "
                            "or run `make setup` to build the local stack's Vitess binaries")


@dataclass(frozen=True)
class Vtctld:
    server: str  # host:grpc_port of vtctld
    binary: str | None = None
    timeout: float = 300.0

    def run(self, *args: str, timeout: float | None = None) -> str:
        argv = [self.binary or find_vtctldclient(), "--server", self.server, *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout or self.timeout)
        if proc.returncode != 0:
            raise VtctldError(list(args), proc.returncode, proc.stderr or proc.stdout)
        return proc.stdout

    def run_json(self, *args: str, timeout: float | None = None) -> Any:
        out = self.run(*args, timeout=timeout)
        return json.loads(out) if out.strip() else {}
