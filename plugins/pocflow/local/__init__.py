"""The local rig: the stack, the sample shop and the local Airflow that run pocflow on one machine.

Demos and tests use it; it does not ship to a customer's Airflow. The product reaches it only
through what :func:`register` adds to pocflow's extension points (:mod:`pocflow.extensions`);
pyproject.toml declares it in the entry-point group ``pocflow.extensions``.
"""

from __future__ import annotations

from pocflow.extensions import Registry
from pocflow.local.cli import add_commands
from pocflow.local.connections import from_local_stack
from pocflow.local.provisioner import LocalStackProvisioner
from pocflow.local.stack.config import StackConfig
from pocflow.local.stack.process import StackError


def register(registry: Registry) -> None:
    """The local stack answers for its connection ids, provisions new keyspaces with tablets of its own, and its
    cached Vitess build holds vtctldclient; ``pocflow`` gets the rig's commands (stack, sample, source,
    import-proof, dags-test, airflow), their StackError printed as one line like the product's own errors."""
    registry.add_connection_fallback(from_local_stack)
    registry.set_provisioner(LocalStackProvisioner)
    registry.add_tool_dir(lambda: StackConfig.from_env().vitess_bin)
    registry.add_commands(add_commands, errors=(StackError,))
