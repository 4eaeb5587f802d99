"""poc_engagement: one PoC engagement, stage by stage. Triggered by an SA from the form."""

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, TriggerRule, chain

from pocflow.airflow.decision import CustomerDecisionOperator
from pocflow.airflow.operators import (
    EngagementStageOperator,
    ImportOperator,
    ValidateEngagementOperator,
    ValidationOperator,
    ValidationPartOperator,
    ValidationPlanOperator,
    import_settle_seconds,
)
from pocflow.airflow.params import engagement_params
from pocflow.stage_order import STAGE_ORDER


def stage_tasks(stage: str) -> list[Any]:
    """The tasks that run ``stage``; the last one's id is the stage's name with underscores. Validation is
    three: the plan, one mapped task per part (a table, or a key range of a large one: Celery or Kubernetes
    workers share them) and ``validation``, which merges them into the stage's result."""
    task_id = stage.replace("-", "_")
    if stage == "import":
        return [
            ImportOperator(task_id=task_id, poll_seconds=2, report_every=30, settle_seconds=import_settle_seconds())
        ]
    if stage == "validation":
        plan = ValidationPlanOperator(task_id="validation_plan")
        parts = ValidationPartOperator.partial(
            task_id="validate_part", map_index_template="{{ task.part_label }}"
        ).expand(part=plan.output)
        # no parts (nothing imported) skips the mapped task: the merge still runs
        return [plan, parts, ValidationOperator(task_id=task_id, trigger_rule=TriggerRule.NONE_FAILED)]
    return [EngagementStageOperator(task_id=task_id, stage=stage)]


with DAG(
    dag_id="poc_engagement",
    description="Bring a customer's MySQL into Vitess, test it, and judge it before the opt-out date",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,
    # Runs wait for the customer's decision until their opt-out date, for weeks: do not let them
    # use up Airflow's default of 16 active runs per DAG.
    max_active_runs=256,
    params=engagement_params(),
    tags=["pocflow", "engagement"],
    doc_md=__doc__,
) as dag:
    chain(
        ValidateEngagementOperator(task_id="validate_engagement"),
        *(task for stage in STAGE_ORDER for task in stage_tasks(stage)),
        CustomerDecisionOperator(task_id="customer_decision"),
    )
