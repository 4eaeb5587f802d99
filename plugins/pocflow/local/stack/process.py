"""Start, find and stop the stack's own processes by pid file, never by process name."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class StackError(RuntimeError):
    """A stack component could not be started, checked or stopped; the message says what to do."""


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); it is not running.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def pid_command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def owned_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in ``pid_file`` if that process is alive and its command line mentions ``marker``.

    The marker (a path inside our state folder) guards against a recycled pid that now
    belongs to somebody else's process.
    """
    pid = read_pid(pid_file)
    if pid is None or not pid_alive(pid):
        return None
    if marker not in pid_command_line(pid):
        return None
    return pid


def spawn(
    argv: list[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    identity: dict | None = None,
) -> int:
    """Start a daemon in its own session, output to ``log_file``; record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd or "/",
            start_new_session=True,
            **(identity or {}),
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, *, timeout: float = 30.0) -> None:
    """SIGTERM, wait, then SIGKILL what is left."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(50):
        _reap(pid)
        if not pid_alive(pid):
            return
        time.sleep(0.1)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log_file: Path | None = None,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.25,
) -> None:
    """Poll ``check`` until it is true; fail with the end of ``log_file`` when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # a check that raises is just not ready yet
            pass
        if alive is not None and not alive():
            raise StackError(f"{what}: the process exited.{log_tail(log_file)}")
        time.sleep(interval)
    raise StackError(f"{what}: not ready after {timeout:.0f}s.{log_tail(log_file)}")


def log_tail(log_file: Path | None, lines: int = 6) -> str:
    """The end of a log for an error message: its last errors if it has any, else its last lines."""
    if log_file is None or not log_file.exists():
        return ""
    all_lines = log_file.read_text(errors="replace").splitlines()
    errors = [line for line in all_lines if "ERROR" in line or "Error:" in line or "[ERROR]" in line]
    tail = [line[:400] for line in (errors or all_lines)[-lines:]]
    return f"\nFrom {log_file}:\n  " + "\n  ".join(tail)
