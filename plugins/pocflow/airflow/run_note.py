"""The note an engagement run carries in the Airflow UI: the recommendation and the decision, or where it failed.

A listener (registered by the pocflow plugin) sets it when a run of poc_engagement ends; it runs where
the run's state changes (the scheduler, or `airflow dags test`), on that process's database session.
"""

from __future__ import annotations

from typing import Any

ENGAGEMENT_DAG = "poc_engagement"


def compose(state: str, review: dict | None, decision: dict | None, failed_tasks: list[str],
            report_link: str | None = None) -> str:
    """The note's text (Markdown, as Airflow shows notes) from the review and decision tasks' return values."""
    from pocflow.review.decision import Decision

    if state == "failed":
        where = ", ".join(failed_tasks) or "a task"
        return f"Engagement run failed at {where}: open that task's log for the reason and what to do."
    if not review:
        return "Engagement run finished without an opt-out review."
    lines = [f"Recommendation: {review.get('recommendation', 'unknown')}"]
    recorded = (decision or {}).get("decision") or review.get("decision")  # the decision task's, else the review's
    if recorded:
        lines.append(Decision.from_dict(recorded).sentence())
    if review.get("report"):
        shown = f"[{review['report']}]({report_link})" if report_link else review["report"]
        lines.append(f"Report: {shown}")
    return "\n".join(lines)


def return_values(session: Any, dag_id: str, run_id: str, task_ids: list[str]) -> dict[str, Any]:
    """The return values of some tasks of a run, read from Airflow's database (server-side processes)."""
    from sqlalchemy import select

    from airflow.models.xcom import XComModel

    rows = session.scalars(select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id,
                                                   XComModel.task_id.in_(task_ids),
                                                   XComModel.key == "return_value")).all()
    return {row.task_id: XComModel.deserialize_value(row) for row in rows}


def set_note(dag_run: Any, state: str) -> None:
    from sqlalchemy.orm import object_session

    if dag_run.dag_id != ENGAGEMENT_DAG:
        return
    session = object_session(dag_run)
    if session is None:  # `airflow dags test` hands over a detached run: write through a session of our own
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session

        with create_session() as own:
            attached = own.get(DagRun, dag_run.id)
            if attached is not None:
                _set(attached, own, state)
        return
    _set(dag_run, session, state)


def _set(dag_run: Any, session: Any, state: str) -> None:
    values = return_values(session, dag_run.dag_id, dag_run.run_id, ["opt_out_review", "customer_decision"])
    failed = [ti.task_id for ti in dag_run.get_task_instances(state=["failed", "upstream_failed"], session=session)
              if ti.state == "failed"]
    from pocflow.airflow.web import result_path

    dag_run.note = compose(state, values.get("opt_out_review"), values.get("customer_decision"), failed,
                           result_path(dag_run.dag_id, dag_run.run_id, "opt_out_review"))
