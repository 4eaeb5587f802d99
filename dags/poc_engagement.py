"""poc_engagement: one PoC engagement, stage by stage. Triggered by an SA from the form."""

from datetime import datetime

from airflow.sdk import DAG, chain

from pocflow.airflow.decision import CustomerDecisionOperator
from pocflow.airflow.operators import (EngagementStageOperator, ImportOperator, ValidateEngagementOperator,
                                      ValidationOperator)
from pocflow.airflow.params import engagement_params

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
        EngagementStageOperator(task_id="select_database", stage="select-database"),
        EngagementStageOperator(task_id="provision", stage="provision"),
        EngagementStageOperator(task_id="sharding_plan", stage="sharding-plan"),
        ImportOperator(task_id="import", poll_seconds=2, report_every=30),
        ValidationOperator(task_id="validation"),
        EngagementStageOperator(task_id="testing", stage="testing"),
        EngagementStageOperator(task_id="opt_out_review", stage="opt-out-review"),
        CustomerDecisionOperator(task_id="customer_decision"),
    )
