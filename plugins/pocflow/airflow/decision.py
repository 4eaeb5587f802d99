"""The customer's decision, asked in Airflow's own human-in-the-loop form after the opt-out review.

The task waits in Airflow's awaiting-input state (no worker slot) until the SA answers or the
opt-out date ends; either way the decision (or "no decision recorded") is written into the report.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param
from airflow.sdk.exceptions import AirflowSkipException

from pocflow.airflow.operators import stage_context
from pocflow.airflow.web import StageResultLink, result_path
from pocflow.review import decision as decisions


class CustomerDecisionOperator(HITLOperator):
    """Asks Proceed / Proceed with conditions / Opt out, with a comment; records the answer."""

    ui_color = "#fdf3e7"
    operator_extra_links = (StageResultLink(),)

    def __init__(
        self, *, engagement_task_id: str = "validate_engagement", review_task_id: str = "opt_out_review", **kwargs
    ):
        kwargs.pop("params", None)  # the DAG's trigger-form params do not belong in the decision form
        super().__init__(
            subject="Customer decision",
            options=list(decisions.OPTIONS),
            params={
                "comment": Param(
                    "", type="string", title="Comment", description="Why, and any conditions agreed with the customer."
                )
            },
            **kwargs,
        )
        self.engagement_task_id = engagement_task_id
        self.review_task_id = review_task_id

    def _stage_context(self, context: Any):
        return stage_context(context, self.engagement_task_id, self.log)

    def execute(self, context: Any):
        # Here, not at the top: the DAG file imports this module at every parse; the stages load in the task.
        from pocflow.stages.review import record_decision

        ctx = self._stage_context(context)
        e = ctx.engagement
        if not e.review.customer_decision:
            record_decision(ctx, decisions.not_requested())
            raise AirflowSkipException(
                "this engagement does not ask for the customer's decision in Airflow (customer_decision: false)"
            )
        review = ctx.results.require("opt-out-review")
        self.response_timeout = decisions.time_left(e.opt_out_date)
        if not self.response_timeout:
            self.log.warning("the opt-out date %s has passed: no decision can be recorded", e.opt_out_date)
            return self._record(context, decisions.timed_out(e.opt_out_date))
        card = review.scorecard
        report_link = result_path(context["ti"].dag_id, context["run_id"], self.review_task_id)
        problems = "\n".join(f"- {p}" for p in card.open_problems) or "- none"
        self.subject = f"{e.customer}: proceed with Vitess? (recommendation: {card.recommendation})"
        self.body = (
            f"**Engagement** {e.name}, opt-out date **{e.opt_out_date}** ({card.days_left} day(s) left).\n\n"
            f"**Recommendation:** {card.recommendation}\n\n**Open problems**\n\n{problems}\n\n"
            f"**Report:** [open the report]({report_link}) ({review.report.get('html', '')})\n\n"
            f"Record the customer's decision. Without an answer the run ends at {decisions.deadline(e.opt_out_date)} "
            f'with "no decision recorded".'
        )
        self.log.info(
            "waiting for the customer's decision until %s (%s from now); recommendation: %s",
            decisions.deadline(e.opt_out_date).isoformat(),
            self.response_timeout,
            card.recommendation,
        )
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict:
        e = self._stage_context(context).engagement
        if event.get("error_type") == "timeout":
            self.log.warning("no decision recorded before the opt-out date ended")
            return self._record(context, decisions.timed_out(e.opt_out_date))
        payload = super().execute_complete(context, event)
        decision = decisions.from_response(
            payload["chosen_options"],
            payload["params_input"],
            payload["responded_by_user"],
            payload["responded_at"],
            e.opt_out_date,
        )
        return self._record(context, decision)

    def _record(self, context: Any, decision: decisions.Decision) -> dict:
        from pocflow.stages.review import record_decision  # in the task, not at DAG parse (as in execute)

        result = record_decision(self._stage_context(context), decision)
        return {
            "stage": "customer-decision",
            "decision": decision.to_dict(),
            "recommendation": result.recommendation,
            "artifact": result.report.get("html"),
        }
