"""Operators: each wires one stage function to a task. No business logic here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseOperator

from pocflow.airflow.hooks import PocflowMySqlHook, endpoint
from pocflow.airflow.web import StageResultLink


def stage_context(context: Any, engagement_task_id: str, log):
    """The StageContext of a task: the engagement from the validate task's XCom, Airflow connections."""
    from pocflow.engagement import Engagement
    from pocflow.stages import StageContext

    engagement = Engagement.from_dict(context["ti"].xcom_pull(task_ids=engagement_task_id))
    return StageContext(engagement, run_id=context["run_id"], resolve=endpoint, log=log.info)


class ValidateEngagementOperator(BaseOperator):
    """Builds the Engagement from the trigger form (and the file it names); fails naming bad fields."""

    ui_color = "#e8f1fb"
    operator_extra_links = (StageResultLink(),)

    def execute(self, context: Any) -> dict:
        from pocflow.engagement import from_inputs

        form = {k: v for k, v in dict(context["params"]).items() if v not in (None, "", [])}
        engagement = from_inputs(form, connection_exists=lambda cid: PocflowMySqlHook(cid).exists())
        from pocflow.artifacts import ArtifactStore

        # Kept with the run, so the nightly validation finds engagements started from the form too.
        ArtifactStore(engagement.artifacts.location, engagement.name, context["run_id"]).put_json(
            "engagement", engagement.to_dict()
        )
        self.log.info(
            "engagement %s for %s: source %s/%s -> keyspace %s via %s; opt-out %s (%d days left)",
            engagement.name,
            engagement.customer,
            engagement.source.connection_id,
            engagement.source.database,
            engagement.target.keyspace,
            engagement.target.vtctld_address,
            engagement.opt_out_date,
            engagement.days_left(),
        )
        return engagement.to_dict()


class EngagementStageOperator(BaseOperator):
    """Runs one stage of the engagement; its result goes to the artifact store, its summary to the log."""

    ui_color = "#eef7ee"
    operator_extra_links = (StageResultLink(),)

    def __init__(self, *, stage: str, engagement_task_id: str = "validate_engagement", **kwargs):
        super().__init__(**kwargs)
        self.stage = stage
        self.engagement_task_id = engagement_task_id

    def stage_context(self, context: Any):
        return stage_context(context, self.engagement_task_id, self.log)

    def execute(self, context: Any) -> dict:
        from pocflow.stages import run_stage

        result, uri = run_stage(self.stage, self.stage_context(context))
        out: dict[str, Any] = {"stage": self.stage, "artifact": uri}
        if hasattr(result, "recommendation"):  # the review: the run note shows it
            out["recommendation"] = result.recommendation
            out["report"] = result.report.get("html")
            out["decision"] = result.decision.to_dict() if result.decision else None
        return out


SETTLE_ENV = "POCFLOW_IMPORT_SETTLE_SECONDS"


def import_settle_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """How long the import task waits for the copy in its worker before deferring: $POCFLOW_IMPORT_SETTLE_SECONDS
    (default 30; 0 defers at once)."""
    raw = environ.get(SETTLE_ENV, "30")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValueError(f"{SETTLE_ENV}={raw!r}: give the seconds to wait before deferring, 0 to 3600")
    return seconds


class ImportOperator(EngagementStageOperator):
    """Starts (or reattaches to) the MoveTables workflows and waits up to ``settle_seconds`` for the copy
    in the worker: a copy done by then (a small database's) finishes here; a longer one is handed to the
    triggerer, which waits without holding a worker slot."""

    def __init__(
        self, *, poll_seconds: float = 5.0, report_every: float = 60.0, settle_seconds: float = 30.0, **kwargs
    ):
        super().__init__(stage="import", **kwargs)
        self.poll_seconds = poll_seconds
        self.report_every = report_every
        self.settle_seconds = settle_seconds

    def execute(self, context: Any) -> dict:
        from datetime import timedelta

        from pocflow.airflow.triggers import MoveTablesCopyTrigger
        from pocflow.stages import import_data
        from pocflow.vitess.vtctldclient import find_vtctldclient

        ctx = self.stage_context(context)
        started = import_data.start(ctx)
        if self.settle_seconds > 0 and import_data.copied_within(
            ctx, started, self.settle_seconds, poll=min(self.poll_seconds, 2.0)
        ):
            self.log.info("import: copied within %.0fs; finishing without deferring", self.settle_seconds)
            return self._finish(ctx, started)
        self.log.info("import: still copying after %.0fs; the triggerer waits for it", self.settle_seconds)
        self.defer(
            trigger=MoveTablesCopyTrigger(
                vtctld_address=ctx.engagement.target.vtctld_address,
                vtctldclient=find_vtctldclient(),
                workflows=[[w.workflow, w.target_keyspace] for w in started.workflows],
                poll_seconds=self.poll_seconds,
                report_every=self.report_every,
                payload={"started": started.to_dict()},
            ),
            method_name="execute_complete",
            timeout=timedelta(days=7),
        )
        raise AssertionError("defer() raises TaskDeferred")

    def execute_complete(self, context: Any, event: dict) -> dict:
        from pocflow.stages import import_data
        from pocflow.vitess.movetables import WorkflowError

        if event.get("status") != "complete":
            raise WorkflowError(f"{event.get('message')}. {import_data.restart_advice('clear this task')}")
        return self._finish(self.stage_context(context), import_data.ImportStart.from_dict(event["started"]))

    def _finish(self, ctx, started) -> dict:
        from pocflow.stages import import_data, record

        _, uri = record("import", ctx, import_data.finish(ctx, started))
        return {"stage": "import", "artifact": uri}


class ValidationPlanOperator(BaseOperator):
    """Validation's start: the workflows' states read, a VDiff per workflow started, the parts planned. Its
    XCom is the parts, one mapped ValidationPartOperator task each."""

    ui_color = "#eef7ee"

    def __init__(self, *, engagement_task_id: str = "validate_engagement", **kwargs):
        super().__init__(**kwargs)
        self.engagement_task_id = engagement_task_id

    def execute(self, context: Any) -> list[dict | list[dict]]:
        from pocflow.stages.validation import start
        from pocflow.stages.validation_parts import batches

        parts, _ = start(stage_context(context, self.engagement_task_id, self.log))
        limit = max_map_length()
        tasks = batches(parts, limit)
        if len(tasks) < len(parts):
            self.log.info(
                "validation: %d parts in %d mapped tasks of up to %d parts each (Airflow maps at most "
                "core.max_map_length = %d tasks)",
                len(parts),
                len(tasks),
                max(len(t) for t in tasks),
                limit,
            )
        # one part: its dict, as before batches existed; several: a list of them
        return [t[0].to_dict() if len(t) == 1 else [p.to_dict() for p in t] for t in tasks]


def max_map_length() -> int:
    """How many tasks one task's output may map to (Airflow's ``core.max_map_length``)."""
    from airflow.sdk.configuration import conf

    from pocflow.stages.validation_parts import AIRFLOW_MAX_MAP_LENGTH

    return conf.getint("core", "max_map_length", fallback=AIRFLOW_MAX_MAP_LENGTH)


class ValidationPartOperator(EngagementStageOperator):
    """Validates one part (a table or a key range of one), mapped over the plan's parts: the workers share them.
    A plan of more parts than Airflow maps gives each task a batch of parts (a list), run one after the other."""

    def __init__(self, *, part: dict | list[dict], **kwargs):
        super().__init__(stage="validation", **kwargs)
        self.part = part

    def parts(self) -> list:
        from pocflow.stages.validation_parts import ValidationPart

        return [ValidationPart.from_dict(p) for p in (self.part if isinstance(self.part, list) else [self.part])]

    @property
    def part_label(self) -> str:
        """The table and its key range: the mapped task's name (map_index_template); a batch by its first part."""
        parts = self.parts()
        more = len(parts) - 1
        return parts[0].label() + (f" and {more} more part{'s' if more > 1 else ''}" if more else "")

    def execute(self, context: Any) -> dict:
        from pocflow.stages.validation import run_part

        ctx = self.stage_context(context)
        summaries = []
        parts = self.parts()
        for i, part in enumerate(parts):
            if len(parts) > 1:
                self.log.info("validation: part %d of %d in this task: %s", i + 1, len(parts), part.label())
            summaries.append(self.summary(run_part(ctx, part)))
        return summaries[0] if len(summaries) == 1 else {"parts": summaries}

    @staticmethod
    def summary(result) -> dict:
        out: dict[str, Any] = {"part": result.part.label()}
        if result.table is not None:
            out.update(
                status=result.table.status,
                rows_source=result.table.rows_source,
                differences=result.table.differences_total,
            )
        if result.part.checks_table:
            out.update(
                schema_differences=len(result.schema or []),
                aggregates_differing=len(result.aggregates or []),
                expectation_suites_failed=sum(not e["success"] for e in result.expectations),
            )
        return out


class ValidationOperator(EngagementStageOperator):
    """Merges the validated parts into the stage's result (the VDiffs awaited); differences are findings,
    unless the engagement's threshold says stop."""

    def __init__(self, **kwargs):
        super().__init__(stage="validation", **kwargs)

    def execute(self, context: Any) -> dict:
        from pocflow.stages import record
        from pocflow.stages.validation import enforce_threshold, merge, stored_parts

        ctx = self.stage_context(context)
        result, uri = record("validation", ctx, merge(ctx, stored_parts(ctx)))
        enforce_threshold(ctx, result)
        return {
            "stage": "validation",
            "artifact": uri,
            "passed": result.passed,
            "mismatched_rows": result.mismatched_rows,
        }
