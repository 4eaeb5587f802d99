"""The decision task's outcomes, as Airflow hands them over: an answer, or the opt-out date passing."""

import datetime as dt
import json

from test_scorecard import TODAY, engagement, imported, measured, selected, validation

from pocflow.airflow.decision import CustomerDecisionOperator
from pocflow.artifacts import ArtifactStore
from pocflow.review import decision as decisions
from pocflow.review.scorecard import score
from pocflow.stages.review import ReviewResult


class FakeTI:
    def __init__(self, engagement_dict):
        self.engagement = engagement_dict

    def xcom_pull(self, task_ids):
        assert task_ids == "validate_engagement"
        return self.engagement


def reviewed_run(tmp_path):
    e = engagement(artifact_location=str(tmp_path), customer_decision="record")
    store = ArtifactStore(str(tmp_path), e.name, "run-1")
    results = {"select-database": selected(), "import": imported(), "validation": validation(), "testing": measured()}
    for stage, result in results.items():
        store.put_json(stage, result.to_dict())
    card = score(
        e,
        selected=results["select-database"],
        imported=results["import"],
        validation=results["validation"],
        testing=results["testing"],
        today=TODAY,
    )
    store.put_json("opt-out-review", ReviewResult(card, {}, decisions.pending(e.opt_out_date)).to_dict())
    return e, store, {"ti": FakeTI(e.to_dict()), "run_id": "run-1"}


def test_the_opt_out_date_passing_records_no_decision_in_the_report(tmp_path):
    e, store, context = reviewed_run(tmp_path)
    out = CustomerDecisionOperator(task_id="customer_decision").execute_complete(
        context, {"error": "The Human-in-the-loop response timeout has passed", "error_type": "timeout"}
    )
    assert out["decision"]["status"] == "no decision recorded"
    assert json.loads(store.get_text("report.json"))["decision"]["status"] == "no decision recorded"
    assert "Customer decision: no decision recorded before the opt-out date ended" in store.get_text("report.html")
    assert ReviewResult.from_dict(store.get_json("opt-out-review")).decision.status == "no decision recorded"


def test_an_answer_is_recorded_with_who_and_why(tmp_path):
    e, store, context = reviewed_run(tmp_path)
    op = CustomerDecisionOperator(task_id="customer_decision")
    out = op.execute_complete(
        context,
        {
            "chosen_options": ["Opt out"],
            "params_input": {"comment": "too slow"},
            "responded_at": dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC),
            "responded_by_user": {"id": "7", "name": "sa@example.com"},
        },
    )
    assert (out["decision"]["outcome"], out["decision"]["by"]) == ("opt out", "sa@example.com")
    assert "Customer decision: opt out by sa@example.com on 2027-01-05 09:00 UTC: too slow" in store.get_text(
        "report.md"
    )
