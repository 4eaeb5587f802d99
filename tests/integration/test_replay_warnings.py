"""The replay reads each statement's warnings from the server, and the comparison's sides read time in UTC."""

import pytest

from pocflow.connections import connect
from pocflow.quality.sides import SourceSide, TargetSide
from pocflow.workload.replay import execute, replay

pytestmark = pytest.mark.integration


TRUNCATING = "SELECT CAST('12abc' AS UNSIGNED)"


def test_warnings_of_a_statement_are_read_from_the_server(source_readonly):
    with connect(source_readonly) as conn:
        done = execute(conn, TRUNCATING)
    assert done.error is None and done.rows == 1
    assert (done.warnings, done.warning_codes) == (1, ["Warning 1292"])


def test_vtgate_evaluating_a_statement_itself_drops_its_warning_and_replay_says_so(source_readonly, vtgate):
    # Without a keyspace vtgate computes the expression itself: same result, no warning. An application
    # that reads warnings (truncation checks) would notice; the replay classifies it.
    with connect(source_readonly) as s_conn, connect(vtgate.with_database(None)) as t_conn:
        replayed = replay([("truncating", TRUNCATING)], s_conn, t_conn, slower_factor=1000)
    assert replayed[0].target.warning_codes == [] and replayed[0].classification == "different_warnings"


def test_a_clean_statement_has_no_warnings(source_readonly):
    with connect(source_readonly) as conn:
        assert execute(conn, "SELECT 1").warning_codes == []


def test_both_comparison_sides_read_time_in_utc(source_readonly, vtgate):
    sides = [SourceSide(source_readonly), TargetSide(vtgate, "shop", ["0"])]
    try:
        for side in sides:
            assert side.rows("SELECT @@session.time_zone") == [("+00:00",)], side.name
    finally:
        for side in sides:
            side.close()
