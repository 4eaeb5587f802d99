"""Stage 7, opt-out review: the scorecard, the recommendation, and the report (HTML, Markdown, JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pocflow.artifacts import ArtifactStore
from pocflow.cutover_log import all_runs
from pocflow.review import decision as decisions
from pocflow.review.decision import Decision
from pocflow.review.report import render_html, render_json, render_markdown
from pocflow.review.scorecard import Scorecard, score
from pocflow.stages.context import StageContext, record
from pocflow.stages.registry import register
from pocflow.stages.table import render


@dataclass
class ReviewResult:
    scorecard: Scorecard
    report: dict[str, str] = field(default_factory=dict)  # format -> artifact location
    decision: Decision | None = None

    @property
    def recommendation(self) -> str:
        return self.scorecard.recommendation

    def to_dict(self) -> dict:
        return {
            "scorecard": self.scorecard.to_dict(),
            "report": self.report,
            "recommendation": self.recommendation,
            "decision": self.decision.to_dict() if self.decision else None,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ReviewResult:
        return cls(Scorecard.from_dict(d["scorecard"]), d.get("report", {}), Decision.from_dict(d.get("decision")))

    def summary(self) -> str:
        card = self.scorecard
        rows = [[a.name, a.status.upper(), "; ".join(a.evidence)] for a in card.areas]
        lines = [
            f"RECOMMENDATION: {card.recommendation.upper()}  (opt-out date {card.opt_out_date}, "
            f"{card.days_left} day(s) left)"
        ]
        if card.deadline_warning:
            lines.append(f"WARNING: {card.deadline_warning}")
        lines += ["", render(["area", "status", "evidence"], rows, max_width=110), "", "open problems:"]
        lines += [f"  - {p}" for p in card.open_problems] or ["  none"]
        if self.decision:
            lines += ["", self.decision.line()]
        lines += ["", "report: " + ", ".join(f"{k} {v}" for k, v in self.report.items())]
        return "\n".join(lines)


@register("opt-out-review", ReviewResult)
def run(ctx: StageContext) -> ReviewResult:
    e = ctx.engagement
    selected = ctx.earlier("select-database")
    # The review reports what is missing: these stages' results are optional.
    imported, validation, testing = (ctx.results.get(s) for s in ("import", "validation", "testing"))
    history = ArtifactStore(e.artifacts.location, e.name, "history").get_json("validation-history")
    card = score(e, selected=selected, imported=imported, validation=validation, testing=testing, history=history)
    decision = decisions.pending(e.opt_out_date) if e.review.customer_decision else decisions.not_requested()
    return ReviewResult(card, _write_report(ctx, card, decision), decision)


def _write_report(ctx: StageContext, card: Scorecard, decision: Decision) -> dict[str, str]:
    e = ctx.engagement
    selected = ctx.earlier("select-database")
    imported, validation, testing = (ctx.results.get(s) for s in ("import", "validation", "testing"))
    cutovers = all_runs(e)
    return {
        "html": ctx.store.put_text(
            "report.html",
            render_html(
                e,
                card,
                selected=selected,
                imported=imported,
                validation=validation,
                testing=testing,
                decision=decision,
                cutovers=cutovers,
            ),
        ),
        "markdown": ctx.store.put_text("report.md", render_markdown(e, card, decision, cutovers)),
        "json": ctx.store.put_text("report.json", render_json(e, card, decision, cutovers)),
    }


def refresh_report(ctx: StageContext) -> ReviewResult | None:
    """Render this run's report again (after a cutover step); None when the run has no review yet."""
    review = ctx.results.get("opt-out-review")
    if review is None:
        return None
    return ReviewResult(review.scorecard, _write_report(ctx, review.scorecard, review.decision), review.decision)


def record_decision(ctx: StageContext, decision: Decision) -> ReviewResult:
    """Write the customer's decision (or its absence) into this run's review result and report."""
    review = ctx.results.get("opt-out-review")
    if review is None:
        raise RuntimeError(f"no opt-out review for run {ctx.run_id} of {ctx.engagement.name}: run the review first")
    result = ReviewResult(review.scorecard, _write_report(ctx, review.scorecard, decision), decision)
    record("opt-out-review", ctx, result)
    return result
