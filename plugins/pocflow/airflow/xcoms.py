"""Task return values read from Airflow's database, in its server-side processes (the result pages, the
run-note listener)."""

from __future__ import annotations

from typing import Any

from airflow.models.xcom import XComModel
from sqlalchemy import select


def return_values(session: Any, dag_id: str, run_id: str, task_ids: list[str]) -> dict[str, Any]:
    """The return values of some tasks of a run."""
    rows = session.scalars(
        select(XComModel).where(
            XComModel.dag_id == dag_id,
            XComModel.run_id == run_id,
            XComModel.task_id.in_(task_ids),
            XComModel.key == "return_value",
        )
    ).all()
    return {row.task_id: XComModel.deserialize_value(row) for row in rows}
