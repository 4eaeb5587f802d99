"""Integration tests run against the real local stack (MariaDB source + Vitess cluster).

The session starts the stack if it is not running (idempotent) and loads the sample shop.
"""

import pytest

from pocflow.connections import Endpoint
from pocflow.sample.load import load
from pocflow.stack import Stack
from pocflow.vitess.vtctldclient import Vtctld


@pytest.fixture(scope="session")
def stack() -> Stack:
    s = Stack()
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


def cancel_workflows(vtctld: Vtctld, *names_and_keyspaces: tuple[str, str]) -> None:
    """Test cleanup: cancel import workflows (drops their copied tables on the target)."""
    from pocflow.vitess.movetables import MoveTables

    for workflow, keyspace in names_and_keyspaces:
        MoveTables(vtctld, workflow, keyspace).cancel(approved=True)


ENGAGEMENT_WORKFLOWS = {
    "demo-shop.yaml": [("demo_shop", "shop")],
    "demo-shop-sharded.yaml": [("demo_shop_sharded", "shop_sharded")],
}


@pytest.fixture(scope="module")
def no_engagement_workflows(vtctld):
    """Start and end the module without the demo engagements' import workflows."""
    for workflows in ENGAGEMENT_WORKFLOWS.values():
        cancel_workflows(vtctld, *workflows)
    yield
    for workflows in ENGAGEMENT_WORKFLOWS.values():
        cancel_workflows(vtctld, *workflows)
