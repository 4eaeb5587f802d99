"""The load generator (workload/load.py) against real servers: every scheduled query counted once,
generated values rendered as literals each server reads back unchanged, a server's errors counted per
class, an unreachable server counted as errors (not raised), a refused login raised."""

from __future__ import annotations

import datetime as dt
import random
import socket
from dataclasses import replace

import pytest
from MySQLdb import MySQLError

from pocflow.connections import Endpoint, connect
from pocflow.workload.load import run_load
from pocflow.workload.spec import QueryTemplate, Workload

pytestmark = pytest.mark.integration

VALUES = ["O'Brien", "C:\\temp", "tab\there", None, 7, 2.5, dt.date(2026, 12, 2)]


def load(endpoint: Endpoint, workload: Workload):
    return run_load(
        side="source",
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.user,
        password=endpoint.password,
        database=None,
        workload=workload,
    )


@pytest.mark.parametrize("server", ["source_admin", "second_source_admin"])
def test_a_fixed_rate_run_counts_every_scheduled_query_and_each_class_errors(server, request):
    endpoint = request.getfixturevalue(server)
    echo = QueryTemplate("echo", "SELECT {v} AS v", params={"v": {"choice": VALUES}})
    broken = QueryTemplate("broken", "SELECT no_such_column")
    # 2 workers, 100 q/s for 2 s: each worker has exactly 100 queries scheduled
    result = load(endpoint, Workload("w", [echo, broken], concurrency=2, target_rate=100, duration_seconds=2))
    assert result.queries == 200 and result.coordinated_omission_corrected
    assert result.classes["echo"].errors == 0 and result.classes["echo"].count > 0
    assert result.classes["broken"].errors == result.classes["broken"].count > 0
    assert "no_such_column" in result.classes["broken"].first_error
    assert result.errors == result.classes["broken"].count


@pytest.mark.parametrize("server", ["source_admin", "second_source_admin"])
def test_rendered_values_read_back_unchanged(server, request):
    endpoint = request.getfixturevalue(server)
    rng = random.Random(1)
    with connect(endpoint.with_database(None)) as conn, conn.cursor() as cur:
        for value in VALUES:
            sql = QueryTemplate("echo", "SELECT {v}", params={"v": {"choice": [value]}}).render(rng)
            cur.execute(sql)
            back = cur.fetchone()[0]
            expected = value.isoformat() if isinstance(value, dt.date) else value
            assert (back.decode() if isinstance(back, bytes) else back) == expected, sql


def test_an_unreachable_server_counts_each_scheduled_query_as_an_error(source_admin):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens once the socket is closed
    nowhere = replace(source_admin, port=closed_port)
    q = QueryTemplate("q", "SELECT 1")
    result = load(nowhere, Workload("w", [q], concurrency=1, target_rate=20, duration_seconds=1))
    assert result.queries == result.errors == 20
    assert "connect" in result.classes["q"].first_error.lower()


def test_a_refused_login_is_raised(source_admin):
    wrong = replace(source_admin, password=source_admin.password + "-wrong")
    q = QueryTemplate("q", "SELECT 1")
    with pytest.raises(MySQLError) as raised:
        load(wrong, Workload("w", [q], concurrency=1, target_rate=10, duration_seconds=1))
    assert raised.value.args[0] == 1045  # access denied
