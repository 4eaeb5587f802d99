"""Great Expectations suites against real servers: a unique key's values held twice fail its expectation,
named by the key (one column or several, rows with a NULL in the key left out, as a unique index leaves
them), on MySQL and MariaDB alike; a failing suite's raw result counts the values held more than once."""

from __future__ import annotations

import pytest

from pocflow.connections import connect
from pocflow.quality.expectations import GreatExpectations, sqlalchemy_url, unique_key_spec

pytestmark = pytest.mark.integration

DATABASE = "pocflow_gx_test"


@pytest.fixture(scope="module")
def gx():
    return GreatExpectations()


@pytest.mark.parametrize("server", ["source_admin", "second_source_admin"])
def test_a_unique_key_held_twice_fails_its_expectation(server, request, gx):
    endpoint = request.getfixturevalue(server)
    with connect(endpoint.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cur.execute(f"CREATE DATABASE {DATABASE}")
        cur.execute(
            f"CREATE TABLE {DATABASE}.accounts (id INT PRIMARY KEY, email VARCHAR(64), a INT, b INT, `we{{ird` INT)"
        )
        cur.execute(
            f"INSERT INTO {DATABASE}.accounts VALUES (1, 'x@example.com', 1, 1, 1), (2, 'x@example.com', 1, 2, 2), "
            "(3, NULL, 2, NULL, 3), (4, NULL, 2, NULL, 4), (5, 'y@example.com', 3, 3, 5), (6, 'z@example.com', 3, 3, 6)"
        )
    try:
        specs = [unique_key_spec(k) for k in (["id"], ["email"], ["a", "b"], ["we{ird"], ["a"])]
        outcome, raw = gx.run(
            table="accounts",
            side=server,
            url=sqlalchemy_url(endpoint, DATABASE),
            source_name=f"gx-test-{server}",
            specs=specs,
        )
    finally:
        with connect(endpoint.with_database(None)) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE {DATABASE}")
    # email: x@example.com twice (the NULLs do not count); (a, b): (3, 3) twice; a: 1, 2 and 3 twice each
    assert not outcome.success and outcome.evaluated == 5
    assert outcome.failed == [
        "expect_column_values_to_be_unique(email)",
        "expect_column_values_to_be_unique(a, b)",
        "expect_column_values_to_be_unique(a)",
    ]
    observed = {r["expectation_config"]["description"]: r["result"]["observed_value"] for r in raw["results"]}
    assert observed == {
        "expect_column_values_to_be_unique(id)": 0,
        "expect_column_values_to_be_unique(email)": 1,
        "expect_column_values_to_be_unique(a, b)": 1,
        "expect_column_values_to_be_unique(we{ird)": 0,
        "expect_column_values_to_be_unique(a)": 3,  # the key values held more than once
    }
