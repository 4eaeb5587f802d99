"""poc_cutover: production traffic from the source to Vitess, reversible and gated by people.

Pre-checks (with evidence), reads first and a probed soak, writes only after a person approves
with Vitess's dry run in the request, a second soak, then a person chooses complete or roll back
(ReverseTraffic). Every step is idempotent: run it again after any failure or unanswered request.
The cutover log goes into the engagement's report.
"""

from datetime import datetime

from airflow.sdk import DAG, chain

from pocflow.airflow.cutover import (
    APPROVE_WRITES,
    COMPLETE,
    PREPARE_TASK,
    ROLL_BACK,
    ApproveWritesOperator,
    CutoverStepOperator,
    FinishCutoverOperator,
    PrepareCutoverOperator,
    SoakSensor,
    WaitForWindowOperator,
)
from pocflow.airflow.params import cutover_params

with DAG(
    dag_id="poc_cutover",
    description="Cut an engagement's import over to Vitess: reads, soak, approved writes, soak, complete or roll back",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=16,
    params=cutover_params(),
    tags=["pocflow", "cutover"],
    doc_md=__doc__,
) as dag:
    prepare = PrepareCutoverOperator(task_id=PREPARE_TASK)
    checks = CutoverStepOperator(task_id="pre_checks", step="pre-checks")
    reads = CutoverStepOperator(task_id="switch_reads", step="switch-reads")
    read_soak = SoakSensor(task_id="read_soak", writes=False)
    window = WaitForWindowOperator(task_id="wait_for_window")
    approve = ApproveWritesOperator(task_id="approve_writes", soak_task_id="read_soak", pre_checks_task_id="pre_checks")
    writes = CutoverStepOperator(
        task_id="switch_writes", step="switch-writes", approval_task_id="approve_writes", approval_choice=APPROVE_WRITES
    )
    write_soak = SoakSensor(task_id="write_soak", writes=True)
    finish = FinishCutoverOperator(task_id="complete_or_roll_back", soak_task_id="write_soak")
    complete = CutoverStepOperator(
        task_id="complete", step="complete", approval_task_id="complete_or_roll_back", approval_choice=COMPLETE
    )
    rollback = CutoverStepOperator(
        task_id="rollback", step="rollback", approval_task_id="complete_or_roll_back", approval_choice=ROLL_BACK
    )
    chain(prepare, checks, reads, read_soak, window, approve, writes, write_soak, finish, [complete, rollback])
