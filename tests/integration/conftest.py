"""Integration tests run against the real local stack (MySQL source, a second source of the other flavour,
and the Vitess cluster).

The session starts the stack if it is not running (idempotent) and loads the sample shop.
"""

import os

import pytest

from pocflow.connections import Endpoint
from pocflow.local.sample.load import load
from pocflow.local.stack import Stack
from pocflow.vitess.vtctldclient import Vtctld

# The tests run on the local rig: have it registered (its connections, provisioner, Vitess binaries) in this process
# and in the Airflow processes the tests start, even where the installed metadata predates its entry point.
os.environ.setdefault("POCFLOW_EXTENSIONS", "pocflow.local")


@pytest.fixture(scope="session")
def stack() -> Stack:
    import dataclasses

    from pocflow.local.stack.config import SOURCE_FLAVORS, StackConfig

    config = StackConfig.from_env()
    if config.second_source_flavor is None:  # both flavours are covered: add a source of the other one
        other = next(f for f in SOURCE_FLAVORS if f != config.source_flavor)
        config = dataclasses.replace(config, second_source_flavor=other)
    s = Stack(config)
    s.up()
    return s


@pytest.fixture(scope="session")
def env(stack) -> dict[str, str]:
    return stack.env()


@pytest.fixture(scope="session")
def source_admin(env) -> Endpoint:
    return Endpoint.from_dsn(env["POCFLOW_SOURCE_ADMIN_DSN"])


@pytest.fixture(scope="session")
def source_readonly(env) -> Endpoint:
    return Endpoint.from_dsn(env["POCFLOW_SOURCE_READONLY_DSN"])


@pytest.fixture(scope="session")
def source_import(env) -> Endpoint:
    return Endpoint.from_dsn(env["POCFLOW_SOURCE_IMPORT_DSN"])


@pytest.fixture(scope="session")
def vtgate(env) -> Endpoint:
    return Endpoint.from_dsn(env["POCFLOW_VTGATE_DSN"])


@pytest.fixture(scope="session")
def vtctld(stack, env) -> Vtctld:
    return Vtctld(env["VTCTLD_SERVER"], binary=str(stack.config.vitess_bin / "vtctldclient"))


@pytest.fixture(scope="session")
def sample(stack, source_admin):
    return load(source_admin, scale="small", data_dir=stack.config.state_dir / "sample-data")


@pytest.fixture(scope="session")
def second_flavor(stack) -> str:
    """The flavour of the stack's second source server (MariaDB when the source is MySQL)."""
    return stack.config.second_source_flavor


@pytest.fixture(scope="session")
def second_source_admin(env, second_flavor) -> Endpoint:
    return Endpoint.from_dsn(env[f"POCFLOW_SOURCE_{second_flavor.upper()}_ADMIN_DSN"])


@pytest.fixture(scope="session")
def second_sample(stack, second_source_admin):
    """The sample shop on the second source server."""
    return load(second_source_admin, scale="small", data_dir=stack.config.state_dir / "sample-data")


def cancel_workflows(vtctld: Vtctld, *names_and_keyspaces: tuple[str, str]) -> None:
    """Test cleanup: cancel import workflows (drops their copied tables on the target)."""
    from pocflow.vitess.movetables import MoveTables

    for workflow, keyspace in names_and_keyspaces:
        MoveTables(vtctld, workflow, keyspace).cancel(approved=True)


ENGAGEMENT_WORKFLOWS = {
    "demo-shop.yaml": [("demo_shop", "shop")],
    "demo-shop-sharded.yaml": [("demo_shop_sharded", "shop_sharded")],
    "demo-shop-mariadb.yaml": [("demo_shop_mariadb", "shop_from_mariadb")],
}


@pytest.fixture(scope="module")
def no_engagement_workflows(vtctld):
    """Start and end the module without the demo engagements' import workflows."""
    for workflows in ENGAGEMENT_WORKFLOWS.values():
        cancel_workflows(vtctld, *workflows)
    yield
    for workflows in ENGAGEMENT_WORKFLOWS.values():
        cancel_workflows(vtctld, *workflows)


RUN_TIMEOUT = 900


class AirflowApi:
    """Airflow's REST API v2 for one DAG, as an SA's script would use it (a bearer token of the admin)."""

    def __init__(self, airflow, dag: str):
        self.base = airflow.url
        self.token = airflow.token()
        self.dag = dag

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        import json
        import urllib.error
        import urllib.request

        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def ok(self, method: str, path: str, body: dict | None = None):
        status, data = self.call(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {data}"
        return data

    def trigger(self, conf: dict) -> str:
        return self.ok("POST", f"/api/v2/dags/{self.dag}/dagRuns", {"logical_date": None, "conf": conf})["dag_run_id"]

    def task_states(self, run_id: str) -> dict[str, str | None]:
        data = self.ok("GET", f"/api/v2/dags/{self.dag}/dagRuns/{run_id}/taskInstances")
        return {t["task_id"]: t["state"] for t in data["task_instances"]}

    def wait(self, run_id: str, until, what: str, timeout: float = RUN_TIMEOUT) -> dict:
        import time

        deadline = time.monotonic() + timeout
        while True:
            run = self.ok("GET", f"/api/v2/dags/{self.dag}/dagRuns/{run_id}")
            states = self.task_states(run_id)
            if until(run, states):
                return run
            assert run["state"] != "failed", f"run {run_id} failed: {states}"
            assert time.monotonic() < deadline, f"{what} not reached in {timeout:.0f}s: {run['state']} {states}"
            time.sleep(3)

    def hitl_path(self, run_id: str, task_id: str) -> str:
        return f"/api/v2/dags/{self.dag}/dagRuns/{run_id}/taskInstances/{task_id}/-1/hitlDetails"

    def answer(self, run_id: str, task_id: str, option: str, comment: str = "") -> dict:
        """Answer a human-in-the-loop request as a person would: some seconds after it appeared (an answer
        within a second of the task parking races the executor's report of it in Airflow 3.3.2)."""
        import time

        self.wait(run_id, lambda r, s: s.get(task_id) == "awaiting_input", f"{task_id} awaiting input")
        time.sleep(10)
        detail = self.ok("GET", self.hitl_path(run_id, task_id))
        self.ok(
            "PATCH", self.hitl_path(run_id, task_id), {"chosen_options": [option], "params_input": {"comment": comment}}
        )
        return detail


_STANDALONE: list = []


def pytest_collection_modifyitems(items):
    """The tests that use the standalone Airflow run first and together: it starts once and is stopped
    before the others (its scheduler must not compete with them for the two cores)."""
    items.sort(key=lambda item: 0 if "airflow" in getattr(item, "fixturenames", ()) else 1)


def pytest_runtest_teardown(item, nextitem):
    if _STANDALONE and (nextitem is None or "airflow" not in getattr(nextitem, "fixturenames", ())):
        _STANDALONE.pop().stop()


@pytest.fixture(scope="session")
def airflow(stack, sample):
    """One Airflow standalone (its own home and port) for the session's REST and browser tests."""
    import os
    import shutil
    from pathlib import Path

    from pocflow.airflow.operators import SETTLE_ENV
    from pocflow.local.airflow.env import airflow_env
    from pocflow.local.airflow.standalone import StandaloneAirflow

    env = airflow_env()
    home = Path(env["AIRFLOW_HOME"]).parent / "airflow-ui-test"
    shutil.rmtree(home, ignore_errors=True)
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"))
    # The import defers at once here, so the triggerer's wait is covered end to end (the demo's copy would
    # otherwise finish inside the worker's settle time; `airflow dags test` runs cover that path).
    env[SETTLE_ENV] = "0"
    server = StandaloneAirflow(port=int(os.environ.get("POCFLOW_TEST_AIRFLOW_PORT", "18080")), env=env)
    server.start()
    _STANDALONE.append(server)
    try:
        server.wait_for_dag("poc_engagement", server.token())
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def airflow_api(airflow):
    return lambda dag: AirflowApi(airflow, dag)
