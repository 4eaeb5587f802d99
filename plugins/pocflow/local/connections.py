"""The connection ids the local stack answers for, when nothing else (AIRFLOW_CONN_<ID>, Airflow) defines them."""

from __future__ import annotations

from pocflow.connections import Endpoint
from pocflow.local.stack import Stack
from pocflow.local.stack.config import StackConfig

LOCAL_STACK_CONNECTIONS = {
    "pocflow_source": "POCFLOW_SOURCE_READONLY_DSN",
    "pocflow_source_admin": "POCFLOW_SOURCE_ADMIN_DSN",
    "pocflow_vtgate": "POCFLOW_VTGATE_DSN",
    # each flavour's source server by name, when the stack runs it (the second source runs in tests)
    **{
        f"pocflow_source_{flavor}{suffix}": f"POCFLOW_SOURCE_{flavor.upper()}_{kind}_DSN"
        for flavor in ("mysql", "mariadb")
        for suffix, kind in (("", "READONLY"), ("_admin", "ADMIN"))
    },
}


def from_local_stack(conn_id: str) -> Endpoint | None:
    """The local stack's endpoint for one of its connection ids; None for other ids or when the stack has
    never been set up here (no credentials file)."""
    key = LOCAL_STACK_CONNECTIONS.get(conn_id)
    if key is None:
        return None
    if not StackConfig.from_env().credentials_file.exists():
        return None
    dsn = Stack().env().get(key)
    return Endpoint.from_dsn(dsn) if dsn else None
