"""The run note: the recommendation and decision of a finished engagement run, or where it failed."""

from pocflow.airflow.run_note import compose
from pocflow.airflow.web import result_path
from pocflow.review import decision as decisions


def test_a_finished_run_carries_its_recommendation_decision_and_report():
    review = {"recommendation": "proceed with conditions", "report": "/x/report.html"}
    decision = {
        "decision": decisions.Decision("recorded", "opt out", "too slow", "sa", "2027-01-02T10:00:00").to_dict()
    }
    note = compose("success", review, decision, [])
    assert note.splitlines() == [
        "Recommendation: proceed with conditions",
        "Customer decision: opt out by sa on 2027-01-02 10:00 UTC: too slow",
        "Report: /x/report.html",
    ]
    assert compose("success", review, None, []).splitlines()[0] == "Recommendation: proceed with conditions"
    linked = compose("success", review, None, [], "/pocflow/runs/poc_engagement/r1/opt_out_review")
    assert linked.splitlines()[-1] == "Report: [/x/report.html](/pocflow/runs/poc_engagement/r1/opt_out_review)"


def test_a_failed_run_names_the_failed_task():
    assert "failed at import" in compose("failed", None, None, ["import"])
    assert "without an opt-out review" in compose("success", None, None, [])


def test_stage_result_links_quote_run_ids():
    assert (
        result_path("poc_engagement", "manual__2026-11-28T10:00:00+00:00", "import")
        == "/pocflow/runs/poc_engagement/manual__2026-11-28T10%3A00%3A00%2B00%3A00/import"
    )
