"""Operators of poc_cutover: each runs one step of pocflow.cutover; approvals are Airflow's own
human-in-the-loop requests, answered in the UI (or its REST API) by a person whose name goes into
the cutover log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLBranchOperator
from airflow.sdk import BaseOperator, BaseSensorOperator, Param, PokeReturnValue

from pocflow.airflow.operators import airflow_connection
from pocflow.connections import resolve

PREPARE_TASK = "prepare_cutover"
APPROVAL_KEY = "approval"
APPROVE_WRITES = "Approve"


def cutover_context(context: Any, log):
    from pocflow.cutover.context import CutoverContext

    data = context["ti"].xcom_pull(task_ids=PREPARE_TASK)
    return CutoverContext.from_dict(data, resolve=lambda cid: resolve(cid, airflow_lookup=airflow_connection),
                                    log=log.info)


def _responder(payload: dict) -> str:
    who = payload.get("responded_by_user")
    name = (who.get("name") or who.get("id")) if isinstance(who, dict) else who
    return str(name or "unknown user")


class PrepareCutoverOperator(BaseOperator):
    """Reads the form, finds the engagement and the run whose import is cut over; fails naming bad fields."""

    ui_color = "#e8f1fb"

    def execute(self, context: Any) -> dict:
        from pocflow import cutover_log
        from pocflow.cutover.context import CutoverContext, engagement_run
        from pocflow.cutover.settings import find_engagement, parse

        form = {k: v for k, v in dict(context["params"]).items() if v not in (None, "", [])}
        settings = parse(form)
        engagement = find_engagement(settings.engagement)
        by = getattr(context["dag_run"], "triggering_user_name", None) or "scheduler"
        ctx = CutoverContext(engagement, settings, context["run_id"], engagement_run(engagement), log=self.log.info,
                             by=by)
        planned = settings.planned_at.isoformat() if settings.planned_at else "as soon as approved"
        ctx.record("cutover requested", cutover_log.INFO,
                   f"{engagement.name}: import of run {ctx.engagement_run}; writes switch {planned}; read soak "
                   f"{settings.read_soak_minutes:g} min, write soak {settings.write_soak_minutes:g} min; "
                   f"{settings.criteria()}")
        return ctx.to_dict()


class CutoverStepOperator(BaseOperator):
    """One cutover step. Steps that move traffic take the approval from ``approval_task_id``'s answer."""

    ui_color = "#eef7ee"
    STEPS = ("pre-checks", "switch-reads", "switch-writes", "rollback", "complete")

    def __init__(self, *, step: str, approval_task_id: str | None = None, approval_choice: str | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if step not in self.STEPS:
            raise ValueError(f"unknown cutover step {step!r}; one of {self.STEPS}")
        self.step = step
        self.approval_task_id = approval_task_id
        self.approval_choice = approval_choice

    def execute(self, context: Any) -> dict:
        from pocflow import cutover_log
        from pocflow.cutover import steps

        ctx = cutover_context(context, self.log)
        approved_by = ""
        if self.approval_task_id:
            answer = context["ti"].xcom_pull(task_ids=self.approval_task_id, key=APPROVAL_KEY) or {}
            if answer.get("choice") == self.approval_choice:
                approved_by = answer.get("by") or ""
        try:
            if self.step == "pre-checks":
                return {"checks": [c.to_dict() for c in steps.pre_checks(ctx)]}
            if self.step == "switch-reads":
                steps.switch_reads(ctx)
            elif self.step == "switch-writes":
                steps.switch_writes(ctx, approved_by=approved_by)
            elif self.step == "rollback":
                steps.rollback(ctx, approved_by=approved_by)
            elif self.step == "complete":
                steps.complete(ctx, approved_by=approved_by)
        except Exception as e:
            if self.step != "pre-checks":  # pre-checks log their own failure with the evidence
                ctx.record(self.step, cutover_log.FAILED, str(e)[:2000])
            raise
        return {"step": self.step, "traffic": steps.traffic_summary(ctx)}


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

    @property
    def step(self) -> str:
        return "write soak" if self.writes else "read soak"

    def execute(self, context: Any) -> Any:
        ctx = cutover_context(context, self.log)
        self.poke_interval = ctx.settings.probe_interval_seconds
        return super().execute(context)

    def poke(self, context: Any) -> PokeReturnValue:
        from airflow.sdk.exceptions import AirflowFailException

        from pocflow import cutover_log
        from pocflow.cutover import steps
        from pocflow.cutover.soak import probe

        ctx = cutover_context(context, self.log)
        minutes = ctx.settings.write_soak_minutes if self.writes else ctx.settings.read_soak_minutes
        current = cutover_log.read(ctx.engagement, ctx.run_id)
        started = current.last(f"{self.step} started")
        if started is None:
            current = ctx.record(f"{self.step} started", cutover_log.INFO,
                                 f"{minutes:g} min, a probe every {ctx.settings.probe_interval_seconds:g}s; "
                                 f"{ctx.settings.criteria()}")
            started = current.last(f"{self.step} started")
        sample = probe(ctx, writes_switched=self.writes)
        self.log.info("%s probe: %s", self.step, sample.line())
        elapsed = (dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(started.at)).total_seconds()
        if sample.breaches:
            ctx.record(self.step, cutover_log.BREACH, "; ".join(sample.breaches), evidence=sample.line())
            if not self.writes:
                steps.reverse_reads(ctx, "read soak breached the rollback criteria: " + "; ".join(sample.breaches))
                raise AirflowFailException(f"read soak breached the rollback criteria ({'; '.join(sample.breaches)}); "
                                           f"reads are back on the source and writes were not switched")
            return PokeReturnValue(True, {"breaches": sample.breaches, "probe": sample.to_dict()})
        if elapsed >= minutes * 60:
            ctx.record(self.step, cutover_log.PASSED, f"{elapsed / 60:.1f} min without a breach; last probe: "
                                                      f"{sample.line()}")
            return PokeReturnValue(True, {"breaches": [], "probe": sample.to_dict()})
        return PokeReturnValue(False)


class WaitForWindowOperator(BaseOperator):
    """Waits (deferred, no worker slot) until the planned cutover time; at once when none or past."""

    ui_color = "#f3f4f6"

    def execute(self, context: Any) -> None:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        ctx = cutover_context(context, self.log)
        planned = ctx.settings.planned_at
        if planned is None or planned <= dt.datetime.now(dt.timezone.utc):
            self.log.info("no planned cutover time ahead: asking for the write approval now")
            return
        self.log.info("waiting for the planned cutover time %s", planned.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=planned), method_name="execute_complete")

    def execute_complete(self, context: Any, event: Any = None) -> None:
        self.log.info("the planned cutover time has come")


class _Recorded:
    """Shared by the approval requests: timeouts and answers go into the cutover log."""

    log_step = ""

    def _timeout(self, context: Any, what: str):
        from airflow.sdk.exceptions import AirflowSkipException

        from pocflow import cutover_log

        ctx = cutover_context(context, self.log)
        ctx.record(self.log_step, cutover_log.TIMED_OUT, f"no answer within {ctx.settings.approval_hours:g} h: {what}")
        raise AirflowSkipException(f"no answer in time: {what}")


class ApproveWritesOperator(_Recorded, ApprovalOperator):
    """Asks a person to approve switching the writes, with the pre-checks, the read soak and Vitess's dry run."""

    ui_color = "#fdf3e7"
    log_step = "approve writes"

    def __init__(self, *, soak_task_id: str, pre_checks_task_id: str, **kwargs):
        kwargs.pop("params", None)
        super().__init__(subject="Switch writes to Vitess?",
                         params={"comment": Param("", type="string", title="Comment")}, **kwargs)
        self.soak_task_id = soak_task_id
        self.pre_checks_task_id = pre_checks_task_id

    def execute(self, context: Any):
        from pocflow import cutover_log
        from pocflow.cutover import steps

        ctx = cutover_context(context, self.log)
        if steps.writes_switched(ctx):
            ctx.record(self.log_step, cutover_log.ALREADY_DONE, "writes were switched before: nothing to approve")
            return {"approved": False, "already_switched": True}
        self.response_timeout = dt.timedelta(hours=ctx.settings.approval_hours)
        dry_run = steps.writes_dry_run(ctx)
        checks = (context["ti"].xcom_pull(task_ids=self.pre_checks_task_id) or {}).get("checks", [])
        soak = context["ti"].xcom_pull(task_ids=self.soak_task_id) or {}
        e = ctx.engagement
        self.subject = f"{e.customer}: switch writes of {e.source.database} to Vitess keyspace {e.target.keyspace}?"
        self.body = "\n\n".join([
            f"**Engagement** {e.name}; cutover run {ctx.run_id} requested by {ctx.by}.",
            "**What happens on Approve:** Vitess stops writes on the source for the moved tables, waits for the "
            "target to catch up, routes all traffic to the target and starts reverse replication, so the source "
            "stays current and a rollback (ReverseTraffic) loses nothing.",
            "**Pre-checks**\n\n" + "\n".join(f"- {'PASS' if c['passed'] else 'FAIL'} {c['name']}: {c['evidence']}"
                                             for c in checks),
            "**Read soak:** " + (f"probe {soak.get('probe', {}).get('queries', 0)} queries, "
                                 f"{soak.get('probe', {}).get('errors', 0)} errors, p99 "
                                 f"{soak.get('probe', {}).get('p99_ms', 0):.1f} ms" if soak else "no figures"),
            f"**Rollback criteria:** {ctx.settings.criteria()}",
            "**Vitess dry run (`SwitchTraffic --dry-run`)**\n\n```\n" + dry_run + "\n```",
            f"Without an answer within {ctx.settings.approval_hours:g} h nothing more is switched.",
        ])
        ctx.record(self.log_step, cutover_log.INFO, "approval requested", evidence=dry_run)
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from pocflow import cutover_log

        if event.get("error_type") == "timeout":
            self._timeout(context, "writes not switched")
        # Recorded before the base class acts: on Reject it skips the downstream tasks by raising.
        self.validate_chosen_options(event["chosen_options"])
        ctx = cutover_context(context, self.log)
        approved = event["chosen_options"] == [self.APPROVE]
        comment = str((event.get("params_input") or {}).get("comment") or "")
        who = _responder(event)
        ctx.record(self.log_step, cutover_log.APPROVED if approved else cutover_log.REJECTED,
                   ("writes may switch" if approved else "writes stay on the source; reads stay where they are "
                    "(a rollback or ReverseTraffic --tablet-types rdonly,replica returns them)")
                   + (f": {comment}" if comment else ""), by=who)
        context["ti"].xcom_push(key=APPROVAL_KEY, value={"choice": event["chosen_options"][0], "by": who,
                                                         "comment": comment})
        super().execute_complete(context, event)
        return {"approved": approved, "by": who, "comment": comment}


COMPLETE, ROLL_BACK = "Complete the migration", "Roll back to the source"


class FinishCutoverOperator(_Recorded, HITLBranchOperator):
    """After the write soak: a person chooses complete or roll back; either runs only on that answer."""

    ui_color = "#fdf3e7"
    log_step = "complete or roll back"

    def __init__(self, *, soak_task_id: str, complete_task_id: str = "complete", rollback_task_id: str = "rollback",
                 **kwargs):
        kwargs.pop("params", None)
        super().__init__(subject="Complete the migration or roll back?", options=[COMPLETE, ROLL_BACK],
                         options_mapping={COMPLETE: complete_task_id, ROLL_BACK: rollback_task_id},
                         params={"comment": Param("", type="string", title="Comment")}, **kwargs)
        self.soak_task_id = soak_task_id

    def execute(self, context: Any):
        from pocflow import cutover_log
        from pocflow.cutover import steps

        ctx = cutover_context(context, self.log)
        self.response_timeout = dt.timedelta(hours=ctx.settings.approval_hours)
        soak = context["ti"].xcom_pull(task_ids=self.soak_task_id) or {}
        breaches = soak.get("breaches") or []
        e = ctx.engagement
        complete_dry = "\n\n".join(mt.complete(keep_data=ctx.settings.keep_source_data, dry_run=True)
                                   for mt in ctx.workflows())
        rollback_dry = "\n\n".join(mt.reverse_traffic(dry_run=True) for mt in ctx.workflows())
        self.subject = (f"{e.customer}: ROLLBACK CRITERIA BREACHED, roll back?" if breaches else
                        f"{e.customer}: the write soak passed; complete the migration?")
        self.body = "\n\n".join([
            f"**Traffic now:** {steps.traffic_summary(ctx)}",
            ("**Rollback criteria breached:** " + "; ".join(breaches)) if breaches else
            f"**Write soak:** no breach of the rollback criteria ({ctx.settings.criteria()}).",
            f"**{COMPLETE}:** removes the reverse replication and the routing rules; the source's tables are "
            f"{'kept' if ctx.settings.keep_source_data else 'DROPPED'}. Not reversible with ReverseTraffic.\n\n```\n"
            + complete_dry + "\n```",
            f"**{ROLL_BACK}:** ReverseTraffic: reads and writes back to the source, which reverse replication "
            f"kept current; the target keeps replicating, so the cutover can run again.\n\n```\n" + rollback_dry + "\n```",
        ])
        ctx.record(self.log_step, cutover_log.INFO, "decision requested" + (f" (breach: {'; '.join(breaches)})"
                                                                           if breaches else ""))
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from pocflow import cutover_log

        if event.get("error_type") == "timeout":
            self._timeout(context, "traffic stays on Vitess with reverse replication; run poc_cutover again to decide")
        ctx = cutover_context(context, self.log)
        who = _responder(event)
        chosen = event.get("chosen_options") or []
        comment = str((event.get("params_input") or {}).get("comment") or "")
        # Recorded before the base class acts: it skips the branch not taken by raising.
        self.validate_chosen_options(chosen)
        ctx.record(self.log_step, cutover_log.APPROVED, f"chose {chosen[0]}" + (f": {comment}" if comment else ""),
                   by=who)
        context["ti"].xcom_push(key=APPROVAL_KEY, value={"choice": chosen[0], "by": who, "comment": comment})
        return super().execute_complete(context, event)
