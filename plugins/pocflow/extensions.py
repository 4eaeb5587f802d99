"""Extension points: what a deployment adds to pocflow without pocflow importing it.

An extension is a module with ``register(registry)``. Extensions are found through the entry-point
group ``pocflow.extensions`` (pyproject.toml declares pocflow's local rig, ``pocflow.local``) and
through $POCFLOW_EXTENSIONS (comma-separated module names), and are loaded once, on first use.
Where none is installed (a customer's Airflow), every extension point falls back to pocflow's own
behaviour: connections come from the environment and Airflow only, provisioning checks that the
target exists, vtctldclient is looked up on PATH only, and the CLI has the engagement commands only.
"""

from __future__ import annotations

import argparse
import importlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: those modules consult this one
    from pocflow.connections import Endpoint
    from pocflow.stages.provision import Provisioner
    from pocflow.vitess.vtctldclient import Vtctld

ENTRY_POINT_GROUP = "pocflow.extensions"
ENV_VAR = "POCFLOW_EXTENSIONS"

ConnectionFallback = Callable[[str], "Endpoint | None"]
ProvisionerFactory = Callable[["Vtctld"], "Provisioner"]
CommandAdder = Callable[["argparse._SubParsersAction"], None]


class ExtensionError(RuntimeError):
    """An extension could not be loaded, or two extensions claim the same single extension point."""


@dataclass
class Registry:
    connection_fallbacks: list[ConnectionFallback] = field(default_factory=list)
    """conn_id -> Endpoint or None, asked in order after AIRFLOW_CONN_<ID> and Airflow's connections."""
    provisioner: ProvisionerFactory | None = None
    """vtctld -> the Provisioner the provision stage uses when its caller passes none."""
    tool_dirs: list[Callable[[], Path]] = field(default_factory=list)
    """Folders (computed when asked) where tool binaries such as vtctldclient are looked up after PATH."""
    commands: list[CommandAdder] = field(default_factory=list)
    """Each adds sub-commands to the ``pocflow`` parser."""
    command_errors: list[type[BaseException]] = field(default_factory=list)
    """Errors of those commands the CLI prints as one line (exit 2) instead of a traceback."""
    extensions: list[str] = field(default_factory=list)
    """Modules whose ``register`` ran, in order."""

    def add_connection_fallback(self, lookup: ConnectionFallback) -> None:
        self.connection_fallbacks.append(lookup)

    def set_provisioner(self, factory: ProvisionerFactory) -> None:
        if self.provisioner is not None and self.provisioner is not factory:
            raise ExtensionError(f"two extensions register a provisioner: {self.provisioner!r} and {factory!r}")
        self.provisioner = factory

    def add_tool_dir(self, where: Callable[[], Path]) -> None:
        self.tool_dirs.append(where)

    def add_commands(self, add: CommandAdder, *, errors: tuple[type[BaseException], ...] = ()) -> None:
        self.commands.append(add)
        self.command_errors.extend(errors)


Loader = Callable[[], Callable[[Registry], None]]
"""Imports an extension and returns its ``register``."""


def _register_function(name: str) -> Callable[[Registry], None]:
    module = importlib.import_module(name)
    register = getattr(module, "register", None)
    if not callable(register):
        raise ExtensionError(f"pocflow extension {name} has no register(registry) function")
    return register


def discover(env: Mapping[str, str] | None = None) -> list[tuple[str, Loader]]:
    """(module, loader of its register function) for every installed and named extension, each module once:
    the entry points of ``pocflow.extensions`` first, then $POCFLOW_EXTENSIONS."""
    named = (os.environ if env is None else env).get(ENV_VAR, "")
    found: dict[str, Loader] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.module, ep.load)
    for name in (n.strip() for n in named.split(",")):
        if name:
            found.setdefault(name, partial(_register_function, name))
    return list(found.items())


def load(registry: Registry, extensions: list[tuple[str, Loader]]) -> Registry:
    """Run each extension's ``register`` on ``registry`` (a module already registered is skipped)."""
    for name, loader in extensions:
        if name in registry.extensions:
            continue
        try:
            register = loader()
        except ExtensionError:
            raise
        except Exception as e:
            raise ExtensionError(f"pocflow extension {name} could not be loaded: {e}") from e
        register(registry)
        registry.extensions.append(name)
    return registry


_registry: Registry | None = None
_lock = threading.RLock()


def registry() -> Registry:
    """The registry with every extension registered; the first call loads them."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = Registry()  # an extension consulting the registry while registering sees it as it grows
            try:
                load(_registry, discover())
            except BaseException:
                _registry = None
                raise
        return _registry
