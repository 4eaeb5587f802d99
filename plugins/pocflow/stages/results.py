"""A run's stage results, read back from the artifact store as their stages' result types."""

from __future__ import annotations

from typing import Any

from pocflow.artifacts import ArtifactStore
from pocflow.engagement import Engagement
from pocflow.stages.registry import STAGES


class MissingResult(LookupError):
    """The run holds no result of a stage that was asked for; the message names the stage and the run."""


class RunResults:
    """The stage results of one run (one folder of the artifact store), each read once."""

    def __init__(self, store: ArtifactStore):
        self.store = store
        self._held: dict[str, Any] = {}

    @classmethod
    def of(cls, engagement: Engagement, run_id: str) -> RunResults:
        """The results of run ``run_id`` of ``engagement``, in the engagement's artifact location."""
        a = engagement.artifacts
        return cls(ArtifactStore(a.location, engagement.name, run_id, a.aws_conn_id))

    def get(self, stage: str) -> Any | None:
        """The run's result of ``stage`` (one of STAGES), or None when the run holds none."""
        if stage not in self._held:
            data = self.store.get_json(stage)
            if data is None:
                return None
            self._held[stage] = STAGES[stage].result_type.from_dict(data)
        return self._held[stage]

    def require(self, stage: str) -> Any:
        """The run's result of ``stage``; MissingResult when the run holds none."""
        found = self.get(stage)
        if found is None:
            raise MissingResult(
                f"run {self.store.run_id} of {self.store.engagement} has no {stage} result "
                f"({stage}.json in {self.store.location}): run the {stage} stage first"
            )
        return found

    def put(self, stage: str, result: Any) -> str:
        """Store ``result`` as the run's <stage>.json; return where it went."""
        uri = self.store.put_json(stage, result.to_dict())
        self._held[stage] = result
        return uri

    def hold(self, stage: str, result: Any) -> None:
        """Use ``result`` as the run's ``stage`` result without storing it (another run's result: the nightly
        validation reads the import of the engagement's latest run)."""
        self._held[stage] = result
