"""Operators: each wires one stage function to a task. No business logic here."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook, BaseOperator

from pocflow.connections import Endpoint, exists, resolve


def airflow_connection(conn_id: str) -> Endpoint | None:
    """An Airflow connection as an Endpoint, or None when Airflow does not know the id."""
    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException and friends: fall back to the next source
        return None
    return Endpoint(host=conn.host or "127.0.0.1", port=int(conn.port or 3306), user=conn.login or "",
                    password=conn.password or "", database=conn.schema or None)


class ValidateEngagementOperator(BaseOperator):
    """Builds the Engagement from the trigger form (and the file it names); fails naming bad fields."""

    ui_color = "#e8f1fb"

    def execute(self, context: Any) -> dict:
        from pocflow.engagement import from_inputs

        form = {k: v for k, v in dict(context["params"]).items() if v not in (None, "", [])}
        engagement = from_inputs(form, connection_exists=lambda cid: exists(cid, airflow_lookup=airflow_connection))
        self.log.info("engagement %s for %s: source %s/%s -> keyspace %s via %s; opt-out %s (%d days left)",
                      engagement.name, engagement.customer, engagement.source.connection_id,
                      engagement.source.database, engagement.target.keyspace, engagement.target.vtctld_address,
                      engagement.opt_out_date, engagement.days_left())
        return engagement.to_dict()


class EngagementStageOperator(BaseOperator):
    """Runs one stage of the engagement; its result goes to the artifact store, its summary to the log."""

    ui_color = "#eef7ee"

    def __init__(self, *, stage: str, engagement_task_id: str = "validate_engagement", **kwargs):
        super().__init__(**kwargs)
        self.stage = stage
        self.engagement_task_id = engagement_task_id

    def execute(self, context: Any) -> dict:
        from pocflow.engagement import Engagement
        from pocflow.stages import StageContext, run_stage

        engagement = Engagement.from_dict(context["ti"].xcom_pull(task_ids=self.engagement_task_id))
        ctx = StageContext(engagement, run_id=context["run_id"],
                           resolve=lambda cid: resolve(cid, airflow_lookup=airflow_connection), log=self.log.info)
        _, uri = run_stage(self.stage, ctx)
        return {"stage": self.stage, "artifact": uri}
