"""The customer's decision: deadline at the end of the opt-out date, answers and timeouts in the report."""

import datetime as dt

import pytest
from test_scorecard import TODAY, engagement, imported, measured, selected, validation

from pocflow.engagement import EngagementError, from_inputs
from pocflow.review import decision as decisions
from pocflow.review.report import render_markdown
from pocflow.review.scorecard import score


def test_the_wait_ends_when_the_opt_out_date_ends():
    day = dt.date(2027, 3, 1)
    assert decisions.deadline(day) == dt.datetime(2027, 3, 2, tzinfo=dt.UTC)
    noon = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)
    assert decisions.time_left(day, noon) == dt.timedelta(hours=12)
    assert decisions.time_left(day, noon + dt.timedelta(days=3)) == dt.timedelta(0)


def test_an_answer_becomes_a_recorded_decision():
    at = dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.UTC)
    d = decisions.from_response(
        ["Proceed with conditions"], {"comment": " fix the join "}, {"id": "1", "name": "sa"}, at, dt.date(2027, 3, 1)
    )
    assert (d.status, d.outcome, d.comment, d.by) == ("recorded", "proceed with conditions", "fix the join", "sa")
    assert d.line() == "customer decision: proceed with conditions by sa on 2027-02-01 09:30 UTC: fix the join"
    with pytest.raises(ValueError, match="unexpected decision"):
        decisions.from_response(["Maybe"], {}, None, at, dt.date(2027, 3, 1))


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: decisions.timed_out(dt.date(2027, 3, 1)), "no decision recorded before the opt-out date ended"),
        (lambda: decisions.pending(dt.date(2027, 3, 1)), "awaiting the customer's answer in Airflow until 2027-03-02"),
        (decisions.not_requested, "not requested"),
    ],
)
def test_each_state_reads_plainly_in_the_report(make, text):
    e = engagement()
    card = score(e, selected=selected(), imported=imported(), validation=validation(), testing=measured(), today=TODAY)
    d = make()
    assert text in d.line() and text in render_markdown(e, card, d)
    assert decisions.Decision.from_dict(d.to_dict()) == d


def test_engagements_ask_for_the_decision_unless_switched_off():
    assert engagement().review.customer_decision is False  # the demo file switches it off
    assert engagement(customer_decision=True).review.customer_decision is True
    assert engagement(customer_decision="record").review.customer_decision is True
    with pytest.raises(EngagementError) as err:
        engagement(customer_decision="maybe")
    assert "customer_decision" in err.value.problems
    plain = from_inputs({"engagement_file": "demo-shop.yaml", "customer_decision": None}, today=TODAY)
    assert plain.review.customer_decision is False
