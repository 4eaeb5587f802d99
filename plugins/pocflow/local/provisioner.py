"""Provisioning on the local stack: a new keyspace gets a primary and a replica per shard."""

from __future__ import annotations

from pocflow.local.stack import Stack
from pocflow.stages.provision import existing_shards
from pocflow.vitess.vtctldclient import Vtctld


class LocalStackProvisioner:
    """Provisions on pocflow's local stack: a primary and a replica (mysqlctl-managed MySQL + vttablet) per new
    shard."""

    def __init__(self, vtctld: Vtctld):
        self.vtctld = vtctld

    def ensure(self, keyspaces: dict[str, list[str]]) -> dict[str, bool]:
        stack = Stack()
        created = {}
        for keyspace, shards in keyspaces.items():
            existing = existing_shards(self.vtctld, keyspace)
            if existing is not None and sorted(existing) == sorted(shards):
                created[keyspace] = False
                continue
            if existing is not None and existing:
                raise ValueError(
                    f"keyspace {keyspace} exists with shards {existing}, the plan needs {shards}: "
                    f"choose another target keyspace name, or reshard it first"
                )
            created[keyspace] = stack.add_keyspace(keyspace, shards)
        return created
