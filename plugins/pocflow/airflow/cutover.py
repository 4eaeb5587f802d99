"""Operators of poc_cutover: each runs one step of pocflow.cutover; approvals are Airflow's own
human-in-the-loop requests, answered in the UI (or its REST API) by a person whose name goes into
the cutover log. What is asked, decided and recorded lives in pocflow.cutover; these only wire it to tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLBranchOperator
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk import BaseOperator, BaseSensorOperator, Param, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from pocflow.airflow.hooks import endpoint
from pocflow.cutover import approval
from pocflow.cutover.approval import COMPLETE, FINISH_STEP, ROLL_BACK, WRITES_STEP
from pocflow.cutover.context import CutoverContext, from_form
from pocflow.cutover.steps import STEPS, run_step

PREPARE_TASK = "prepare_cutover"
APPROVAL_KEY = "approval"
APPROVE_WRITES = "Approve"


def cutover_context(context: Any, log):
    data = context["ti"].xcom_pull(task_ids=PREPARE_TASK)
    return CutoverContext.from_dict(data, resolve=endpoint, log=log.info)


def _responder(payload: dict) -> str:
    who = payload.get("responded_by_user")
    name = (who.get("name") or who.get("id")) if isinstance(who, dict) else who
    return str(name or "unknown user")


class PrepareCutoverOperator(BaseOperator):
    """Reads the form, finds the engagement and the run whose import is cut over; fails naming bad fields."""

    ui_color = "#e8f1fb"

    def execute(self, context: Any) -> dict:
        form = {k: v for k, v in dict(context["params"]).items() if v not in (None, "", [])}
        by = getattr(context["dag_run"], "triggering_user_name", None) or "scheduler"
        return from_form(form, context["run_id"], by=by, log=self.log.info).to_dict()


class CutoverStepOperator(BaseOperator):
    """One cutover step. Steps that move traffic take the approval from ``approval_task_id``'s answer."""

    ui_color = "#eef7ee"

    def __init__(self, *, step: str, approval_task_id: str | None = None, approval_choice: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if step not in STEPS:
            raise ValueError(f"unknown cutover step {step!r}; one of {STEPS}")
        self.step = step
        self.approval_task_id = approval_task_id
        self.approval_choice = approval_choice

    def execute(self, context: Any) -> dict:
        approved_by = ""
        if self.approval_task_id:
            answer = context["ti"].xcom_pull(task_ids=self.approval_task_id, key=APPROVAL_KEY) or {}
            if answer.get("choice") == self.approval_choice:
                approved_by = answer.get("by") or ""
        return run_step(cutover_context(context, self.log), self.step, approved_by=approved_by)


class SoakSensor(BaseSensorOperator):
    """Probes the target every ``probe_interval_seconds`` until the soak time has passed. A breach of the
    rollback criteria ends the soak: during the read soak reads go back to the source and the task fails;
    during the write soak the breach goes to the person deciding between complete and roll back."""

    ui_color = "#fff7e6"

    def __init__(self, *, writes: bool, **kwargs):
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", 60)
        super().__init__(**kwargs)
        self.writes = writes

    def execute(self, context: Any) -> Any:
        ctx = cutover_context(context, self.log)
        self.poke_interval = ctx.settings.probe_interval_seconds
        return super().execute(context)

    def poke(self, context: Any) -> PokeReturnValue:
        from pocflow.cutover.soak import ReadSoakBreached, check

        try:
            soak = check(cutover_context(context, self.log), writes=self.writes)
        except ReadSoakBreached as e:
            raise AirflowFailException(str(e)) from e
        return PokeReturnValue(True, soak.to_dict()) if soak.over else PokeReturnValue(False)


class WaitForWindowOperator(BaseOperator):
    """Waits (deferred, no worker slot) until the planned cutover time; at once when none or past."""

    ui_color = "#f3f4f6"

    def execute(self, context: Any) -> None:
        planned = cutover_context(context, self.log).settings.window_ahead()
        if planned is None:
            self.log.info("no planned cutover time ahead: asking for the write approval now")
            return
        self.log.info("waiting for the planned cutover time %s", planned.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=planned), method_name="execute_complete")

    def execute_complete(self, context: Any, event: Any = None) -> None:
        self.log.info("the planned cutover time has come")


class _Recorded:
    """Shared by the approval requests: timeouts and answers go into the cutover log."""

    log_step = ""
    log: Any  # the operator's logger (BaseOperator.log)

    def _timeout(self, context: Any, what: str):
        approval.timed_out(cutover_context(context, self.log), self.log_step, what)
        raise AirflowSkipException(f"no answer in time: {what}")


class ApproveWritesOperator(_Recorded, ApprovalOperator):
    """Asks a person to approve switching the writes, with the pre-checks, the read soak and Vitess's dry run."""

    ui_color = "#fdf3e7"
    log_step = WRITES_STEP

    def __init__(self, *, soak_task_id: str, pre_checks_task_id: str, **kwargs):
        kwargs.pop("params", None)
        super().__init__(
            subject="Switch writes to Vitess?", params={"comment": Param("", type="string", title="Comment")}, **kwargs
        )
        self.soak_task_id = soak_task_id
        self.pre_checks_task_id = pre_checks_task_id

    def execute(self, context: Any):
        ctx = cutover_context(context, self.log)
        checks = (context["ti"].xcom_pull(task_ids=self.pre_checks_task_id) or {}).get("checks", [])
        soak = context["ti"].xcom_pull(task_ids=self.soak_task_id) or {}
        request = approval.writes_request(ctx, checks=checks, soak=soak)
        if request is None:
            return {"approved": False, "already_switched": True}
        self.subject, self.body = request.subject, request.body
        self.response_timeout = dt.timedelta(hours=ctx.settings.approval_hours)
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if event.get("error_type") == "timeout":
            self._timeout(context, "writes not switched")
        # Recorded before the base class acts: on Reject it skips the downstream tasks by raising.
        self.validate_chosen_options(event["chosen_options"])
        ctx = cutover_context(context, self.log)
        approved = event["chosen_options"] == [self.APPROVE]
        comment = str((event.get("params_input") or {}).get("comment") or "")
        who = _responder(event)
        approval.writes_answered(ctx, approved=approved, comment=comment, by=who)
        context["ti"].xcom_push(
            key=APPROVAL_KEY, value={"choice": event["chosen_options"][0], "by": who, "comment": comment}
        )
        super().execute_complete(context, event)
        return {"approved": approved, "by": who, "comment": comment}


class FinishCutoverOperator(_Recorded, HITLBranchOperator):
    """After the write soak: a person chooses complete or roll back; either runs only on that answer."""

    ui_color = "#fdf3e7"
    log_step = FINISH_STEP

    def __init__(
        self, *, soak_task_id: str, complete_task_id: str = "complete", rollback_task_id: str = "rollback", **kwargs
    ):
        kwargs.pop("params", None)
        super().__init__(
            subject="Complete the migration or roll back?",
            options=[COMPLETE, ROLL_BACK],
            options_mapping={COMPLETE: complete_task_id, ROLL_BACK: rollback_task_id},
            params={"comment": Param("", type="string", title="Comment")},
            **kwargs,
        )
        self.soak_task_id = soak_task_id

    def execute(self, context: Any):
        ctx = cutover_context(context, self.log)
        soak = context["ti"].xcom_pull(task_ids=self.soak_task_id) or {}
        request = approval.finish_request(ctx, breaches=soak.get("breaches") or [])
        self.subject, self.body = request.subject, request.body
        self.response_timeout = dt.timedelta(hours=ctx.settings.approval_hours)
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if event.get("error_type") == "timeout":
            self._timeout(context, "traffic stays on Vitess with reverse replication; run poc_cutover again to decide")
        ctx = cutover_context(context, self.log)
        who = _responder(event)
        chosen = event.get("chosen_options") or []
        comment = str((event.get("params_input") or {}).get("comment") or "")
        # Recorded before the base class acts: it skips the branch not taken by raising.
        self.validate_chosen_options(chosen)
        approval.finish_answered(ctx, choice=chosen[0], comment=comment, by=who)
        context["ti"].xcom_push(key=APPROVAL_KEY, value={"choice": chosen[0], "by": who, "comment": comment})
        return super().execute_complete(context, event)
