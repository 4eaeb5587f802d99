"""Stage 2, provision: size the target and make sure its keyspaces, shards and tablets exist."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Protocol

from pocflow import extensions
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.table import render
from pocflow.vitess.vschema import shard_ranges
from pocflow.vitess.vtctldclient import Vtctld, VtctldError

GROWTH_HEADROOM = 1.5  # storage for a year of growth plus index rebuilds
PRODUCTION_TABLETS_PER_SHARD = 3  # primary + 2 replicas, as PlanetScale runs


@dataclass(frozen=True)
class Sizing:
    data_gb: float
    shard_size_target_gb: float
    shards: int
    sharded: bool
    storage_gb_per_shard: float
    tablets_per_shard: int
    arithmetic: list[str]


def size(data_bytes: int, *, mode: str, shard_size_target_gb: float, forced_shards: int | None) -> Sizing:
    """Shards from the data size and the per-shard target, unless the engagement forces the choice."""
    gb = data_bytes / 1024**3
    by_size = max(1, math.ceil(gb / shard_size_target_gb))
    steps = [
        f"data {gb:,.3f} GB / {shard_size_target_gb:,.0f} GB per shard = {gb / shard_size_target_gb:.4f} "
        f"-> {by_size} shard(s) by size"
    ]
    if mode == "unsharded":
        shards = 1
        steps.append("sharding mode 'unsharded': 1 shard")
    elif mode == "sharded":
        shards = forced_shards or max(2, by_size)
        steps.append(
            f"sharding mode 'sharded': {shards} shards" + (" (set by the engagement)" if forced_shards else "")
        )
    else:
        shards = forced_shards or by_size
        steps.append(f"sharding mode 'auto': {shards} shard(s)" + (" (set by the engagement)" if forced_shards else ""))
    per_shard = gb / shards * GROWTH_HEADROOM
    steps.append(f"storage per shard: {gb:,.3f} GB / {shards} x {GROWTH_HEADROOM} headroom = {per_shard:,.3f} GB")
    steps.append(f"tablets per shard: {PRODUCTION_TABLETS_PER_SHARD} in production (primary + 2 replicas)")
    return Sizing(
        round(gb, 6), shard_size_target_gb, shards, shards > 1, round(per_shard, 6), PRODUCTION_TABLETS_PER_SHARD, steps
    )


class Provisioner(Protocol):
    """Makes keyspaces with the given shards exist and serve; returns, per keyspace, whether it created it."""

    def ensure(self, keyspaces: dict[str, list[str]]) -> dict[str, bool]: ...


def existing_shards(vtctld: Vtctld, keyspace: str) -> list[str] | None:
    """The shards of ``keyspace`` in the topology, sorted; None when the keyspace does not exist."""
    try:
        data = vtctld.run_json("FindAllShardsInKeyspace", keyspace)
    except VtctldError as e:
        if "node doesn't exist" in e.stderr or "not found" in e.stderr.lower():
            return None
        raise
    return sorted((data.get("shards") or {}).keys())


class TargetNotProvisioned(RuntimeError):
    """The plan's keyspaces are not (all) in Vitess, and nothing registered can create them here."""

    def __init__(self, missing: dict[str, list[str]], different: dict[str, tuple[list[str], list[str]]]):
        self.missing = missing
        self.different = different
        lines = [f"  keyspace {ks}: create it with {_shards(shards)}" for ks, shards in missing.items()]
        lines += [
            f"  keyspace {ks}: has {_shards(has)}, the plan needs {_shards(needs)} (choose another target "
            f"keyspace name, or reshard it first)"
            for ks, (has, needs) in different.items()
        ]
        super().__init__(
            "the target is not provisioned, and pocflow creates keyspaces only on its local stack; "
            "create these in Vitess, then run provision again:\n" + "\n".join(lines)
        )


def _shards(shards: list[str]) -> str:
    return ("shard " if len(shards) == 1 else "shards ") + ", ".join(shards)


class ExistingTarget:
    """Where no provisioner is registered (a customer's Airflow): creates nothing, checks that every keyspace
    exists with the planned shards, and otherwise says which keyspaces and shards to create."""

    def __init__(self, vtctld: Vtctld):
        self.vtctld = vtctld

    def ensure(self, keyspaces: dict[str, list[str]]) -> dict[str, bool]:
        missing, different = {}, {}
        for keyspace, shards in keyspaces.items():
            existing = existing_shards(self.vtctld, keyspace)
            if not existing:
                missing[keyspace] = shards
            elif existing != sorted(shards):
                different[keyspace] = (existing, shards)
        if missing or different:
            raise TargetNotProvisioned(missing, different)
        return {keyspace: False for keyspace in keyspaces}


def default_provisioner(vtctld: Vtctld) -> Provisioner:
    """The provisioner an extension registers (the local stack's, from pocflow.local), else :class:`ExistingTarget`."""
    factory = extensions.registry().provisioner
    return factory(vtctld) if factory is not None else ExistingTarget(vtctld)


@dataclass
class ProvisionResult:
    sizing: Sizing
    keyspaces: dict[str, list[str]]
    created: dict[str, bool] = field(default_factory=dict)

    @property
    def sharded(self) -> bool:
        return self.sizing.sharded

    @property
    def already_provisioned(self) -> bool:
        return not any(self.created.values())

    def to_dict(self) -> dict:
        return {
            "sizing": asdict(self.sizing),
            "keyspaces": self.keyspaces,
            "created": self.created,
            "already_provisioned": self.already_provisioned,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ProvisionResult:
        return cls(Sizing(**d["sizing"]), d["keyspaces"], d["created"])

    def summary(self) -> str:
        state = "already provisioned: nothing changed" if self.already_provisioned else "provisioned"
        rows = [
            [ks, ", ".join(shards), "created" if self.created.get(ks) else "existed"]
            for ks, shards in self.keyspaces.items()
        ]
        return "\n".join(
            [
                f"{state}; {'sharded' if self.sharded else 'unsharded'} target, {self.sizing.shards} shard(s)",
                *[f"  {s}" for s in self.sizing.arithmetic],
                "",
                render(["keyspace", "shards", "state"], rows),
            ]
        )


def target_keyspaces(keyspace: str, sizing: Sizing) -> dict[str, list[str]]:
    """The keyspaces a plan needs: the target; when sharded, an unsharded global one for sequences,
    lookup and reference tables."""
    if not sizing.sharded:
        return {keyspace: ["0"]}
    return {keyspace: shard_ranges(sizing.shards), f"{keyspace}_global": ["0"]}


@register("provision", ProvisionResult)
def run(ctx: StageContext, provisioner: Provisioner | None = None) -> ProvisionResult:
    selected = ctx.earlier("select-database")
    e = ctx.engagement
    sizing = size(
        selected.inventory.total_bytes,
        mode=e.sharding.mode,
        shard_size_target_gb=e.sharding.shard_size_target_gb,
        forced_shards=e.sharding.shards,
    )
    keyspaces = target_keyspaces(e.target.keyspace, sizing)
    provisioner = provisioner or default_provisioner(ctx.vtctld)
    ctx.log(f"provision: ensuring {keyspaces}")
    created = provisioner.ensure(keyspaces)
    return ProvisionResult(sizing, keyspaces, created)
