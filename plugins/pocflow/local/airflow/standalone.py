"""`make airflow`: Airflow standalone (UI and API, LocalExecutor, SQLite) with our DAGs and settings.

The same class starts it for the browser and REST tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pocflow.local.airflow.env import airflow_command, airflow_env
from pocflow.local.airflow.settings import SETTINGS_FILE, apply, load

DEFAULT_PORT = 8080
ADMIN_USER = "admin"


def _say(message: str) -> None:
    print(f"[pocflow] {message}", flush=True)


@dataclass
class StandaloneAirflow:
    port: int = DEFAULT_PORT
    settings_file: Path = SETTINGS_FILE
    env: dict[str, str] = field(default_factory=airflow_env)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        bin_dir = str(Path(airflow_command()).parent)
        self.env = {
            **self.env,
            "PATH": os.pathsep.join([bin_dir, self.env.get("PATH", "")]),  # standalone runs `airflow ...`
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "10",
        }

    @property
    def home(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "standalone.log"

    def password(self) -> str:
        """The admin password standalone generated (kept in AIRFLOW_HOME, readable only by its owner)."""
        f = self.home / "simple_auth_manager_passwords.json.generated"
        for _ in range(60):
            if f.exists() and f.read_text().strip():
                return json.loads(f.read_text())[ADMIN_USER]
            time.sleep(0.5)
        raise RuntimeError(f"{f} was not written; see {self.log_file}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=3) as r:
                health = json.loads(r.read())
            return all(health.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler"))
        except Exception:
            return False

    def start(self, timeout: float = 240) -> StandaloneAirflow:
        if self.healthy():
            raise RuntimeError(f"something already answers on {self.url}; stop it or choose another port")
        _say(f"Airflow home {self.home}: metadata database ...")
        self.home.mkdir(parents=True, exist_ok=True)
        subprocess.run([airflow_command(), "db", "migrate"], env=self.env, check=True, capture_output=True)
        for line in apply(load(self.settings_file), self.env, airflow_command()):
            _say(f"loaded from {self.settings_file.name}: {line}")
        _say(f"starting Airflow standalone on {self.url} (log {self.log_file}) ...")
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [airflow_command(), "standalone"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        try:
            while not self.healthy():
                if self.process.poll() is not None:
                    raise RuntimeError(f"airflow standalone exited with {self.process.returncode}; see {self.log_file}")
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"Airflow did not become healthy in {timeout:.0f}s; see {self.log_file}")
                time.sleep(2)
        except BaseException:  # Ctrl-C or a failed start: leave nothing running behind
            self.stop()
            raise
        _say(f"Airflow is up after {time.monotonic() - started:.0f}s")
        return self

    def wait_for_dag(self, dag_id: str, token: str, timeout: float = 120) -> None:
        """Until the dag processor has parsed ``dag_id`` (the API answers 404 before)."""
        deadline = time.monotonic() + timeout
        while True:
            req = urllib.request.Request(
                f"{self.url}/api/v2/dags/{dag_id}", headers={"Authorization": f"Bearer {token}"}
            )
            try:
                with urllib.request.urlopen(req, timeout=5):
                    return
            except Exception as e:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"DAG {dag_id} was not parsed in {timeout:.0f}s; see {self.log_file}") from e
                time.sleep(2)

    def token(self) -> str:
        body = json.dumps({"username": ADMIN_USER, "password": self.password()}).encode()
        req = urllib.request.Request(f"{self.url}/auth/token", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())["access_token"]

    def stop(self, grace: float = 30) -> None:
        """SIGINT to standalone's process group (its own clean stop), then SIGTERM, then SIGKILL."""
        if self.process is None:
            return
        pgid = self.process.pid  # standalone leads its own session: its process group id is its pid
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # children of standalone (api-server workers, executor processes) go with the group
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.5)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def serve(port: int = DEFAULT_PORT) -> int:
    """Foreground: start, print how to log in, stop cleanly on Ctrl-C."""
    airflow = StandaloneAirflow(port=port)
    airflow.start()
    print(
        f"\n  Airflow UI and API: {airflow.url}\n  log in as {ADMIN_USER} / {airflow.password()}\n"
        f"  engagement DAG:     {airflow.url}/dags/poc_engagement (Trigger opens the form)\n"
        f"  Ctrl-C stops Airflow (the local stack keeps running: make stack-down)\n",
        flush=True,
    )
    process = airflow.process
    assert process is not None, "start() leaves the process running"
    try:
        while process.poll() is None:
            time.sleep(1)
        _say(f"airflow standalone exited with {process.returncode}; see {airflow.log_file}")
        return process.returncode or 1
    except KeyboardInterrupt:
        _say("stopping Airflow ...")
        airflow.stop()
        _say("Airflow stopped")
        return 0
