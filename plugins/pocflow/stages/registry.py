"""The stages by name: each stage module registers its function and its result type here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pocflow.stage_order import STAGE_ORDER

if TYPE_CHECKING:
    from pocflow.stages.context import StageContext


class StageResult(Protocol):
    def to_dict(self) -> dict[str, Any]: ...
    def summary(self) -> str: ...


@dataclass(frozen=True)
class StageSpec:
    name: str
    run: Callable[[StageContext], Any]
    result_type: Any
    """The result class: a dataclass with ``from_dict`` (the stored JSON) and ``to_dict``."""


STAGES: dict[str, StageSpec] = {}
"""Every stage once ``pocflow.stages`` is imported (the package imports each stage module)."""


def register(name: str, result_type: type):
    """Decorates a stage module's ``run``: the stage's name (one of STAGE_ORDER) and its result type,
    whose ``from_dict`` reads the stored result back."""
    if name not in STAGE_ORDER:
        raise ValueError(f"{name!r} is not one of the stages {STAGE_ORDER}")

    def wrap(fn):
        STAGES[name] = StageSpec(name, fn, result_type)
        return fn

    return wrap
