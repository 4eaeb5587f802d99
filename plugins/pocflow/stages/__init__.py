"""The stages of an engagement. Each is a function of (engagement, earlier results, connections)
returning a typed, JSON-serialisable result; Airflow, the CLI and the tests call the same code.

Importing this package imports every stage module, so ``STAGES`` holds all seven. The stage modules
import what they share from ``pocflow.stages.context`` and ``pocflow.stages.registry``, never from here.
"""

# Each stage module registers its stage in STAGES.
from pocflow.stages import import_data, provision, review, select_database, sharding_plan, testing, validation  # noqa: F401
from pocflow.stages.context import StageContext, record, run_stage
from pocflow.stages.registry import STAGES, StageResult, StageSpec, register
from pocflow.stages.results import MissingResult, RunResults

__all__ = [
    "STAGES",
    "MissingResult",
    "RunResults",
    "StageContext",
    "StageResult",
    "StageSpec",
    "record",
    "register",
    "run_stage",
]
