"""The note an engagement run carries in the Airflow UI: the recommendation and the decision, or where it failed.

A listener (registered by the pocflow plugin) sets it when a run of poc_engagement ends; it runs where
the run's state changes (the scheduler, or `airflow dags test`), on that process's database session.
"""

from __future__ import annotations

from typing import Any

from airflow.models.dagrun import DagRun
from airflow.utils.session import create_session
from sqlalchemy.orm import object_session

from pocflow.airflow.web import result_path
from pocflow.airflow.xcoms import return_values
from pocflow.review.decision import Decision

ENGAGEMENT_DAG = "poc_engagement"


def compose(
    state: str, review: dict | None, decision: dict | None, failed_tasks: list[str], report_link: str | None = None
) -> str:
    """The note's text (Markdown, as Airflow shows notes) from the review and decision tasks' return values."""
    if state == "failed":
        where = ", ".join(failed_tasks) or "a task"
        return f"Engagement run failed at {where}: open that task's log for the reason and what to do."
    if not review:
        return "Engagement run finished without an opt-out review."
    lines = [f"Recommendation: {review.get('recommendation', 'unknown')}"]
    recorded = (decision or {}).get("decision") or review.get("decision")  # the decision task's, else the review's
    decided = Decision.from_dict(recorded) if recorded else None
    if decided is not None:
        lines.append(decided.sentence())
    if review.get("report"):
        shown = f"[{review['report']}]({report_link})" if report_link else review["report"]
        lines.append(f"Report: {shown}")
    return "\n".join(lines)


def set_note(dag_run: Any, state: str) -> None:
    if dag_run.dag_id != ENGAGEMENT_DAG:
        return
    session = object_session(dag_run)
    if session is None:  # `airflow dags test` hands over a detached run: write through a session of our own
        with create_session() as own:
            attached = own.get(DagRun, dag_run.id)
            if attached is not None:
                _set(attached, own, state)
        return
    _set(dag_run, session, state)


def _set(dag_run: Any, session: Any, state: str) -> None:
    values = return_values(session, dag_run.dag_id, dag_run.run_id, ["opt_out_review", "customer_decision"])
    failed = [
        ti.task_id
        for ti in dag_run.get_task_instances(state=["failed", "upstream_failed"], session=session)
        if ti.state == "failed"
    ]
    dag_run.note = compose(
        state,
        values.get("opt_out_review"),
        values.get("customer_decision"),
        failed,
        result_path(dag_run.dag_id, dag_run.run_id, "opt_out_review"),
    )
