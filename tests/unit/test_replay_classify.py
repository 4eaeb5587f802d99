"""Replay classification: results first, then warnings, then time."""

import pytest

from pocflow.workload.replay import Execution, classify


def run(rows=1, checksum="a", error=None, codes=(), ms=1.0):
    return Execution(rows, checksum, error, len(codes), ms, list(codes))


@pytest.mark.parametrize(
    "source, target, expected",
    [
        (run(), run(), "same"),
        (run(), run(checksum="b"), "different_result"),
        (run(codes=["Warning 1292"]), run(), "different_warnings"),
        (run(), run(codes=["Warning 1265"]), "different_warnings"),
        (run(codes=["Warning 1292"]), run(codes=["Warning 1292"]), "same"),
        (run(), run(rows=None, checksum=None, error="1105: VT12001: unsupported"), "unsupported"),
        (run(), run(ms=50.0), "slower"),
    ],
)
def test_a_query_is_classified_by_its_results_warnings_and_time(source, target, expected):
    assert classify(source, target, slower_factor=2.0) == expected


def test_stored_executions_without_warning_codes_still_load():
    stored = {"rows": 1, "checksum": "a", "error": None, "warnings": 0, "milliseconds": 1.0}
    assert Execution(**stored).warning_codes == []
