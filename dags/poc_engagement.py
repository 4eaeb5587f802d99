"""poc_engagement: one PoC engagement, stage by stage. Triggered by an SA from the form."""

from datetime import datetime

from airflow.sdk import DAG, chain

from pocflow.airflow.decision import CustomerDecisionOperator
from pocflow.airflow.operators import (
    EngagementStageOperator,
    ImportOperator,
    ValidateEngagementOperator,
    ValidationOperator,
)
from pocflow.airflow.params import engagement_params
from pocflow.stage_order import STAGE_ORDER


def stage_task(stage: str) -> EngagementStageOperator:
    """The task that runs ``stage``; its id is the stage's name with underscores."""
    task_id = stage.replace("-", "_")
    if stage == "import":
        return ImportOperator(task_id=task_id, poll_seconds=2, report_every=30)
    if stage == "validation":
        return ValidationOperator(task_id=task_id)
    return EngagementStageOperator(task_id=task_id, stage=stage)


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
        *(stage_task(stage) for stage in STAGE_ORDER),
        CustomerDecisionOperator(task_id="customer_decision"),
    )
