"""Key shapes at the edges of their types, compared by key on a real server (MySQL 9.7 and the second
flavour): two copies of each table in two databases of one server, one row changed in the second, and the
comparison must name that row and no other."""

from __future__ import annotations

import pytest

from pocflow.connections import Endpoint, connect
from pocflow.quality.diff import DiffSettings, TableComparison
from pocflow.quality.sides import SourceSide
from pocflow.source.inventory import take
from pocflow.sql import quote_identifier

pytestmark = pytest.mark.integration

COPIES = ("key_extremes_a", "key_extremes_b")
ROWS = 2_000
LOW, HIGH = -(2**63), 2**63 - 1

TABLES = {
    # signed BIGINT keys over the whole of their range: a bucket's key - low passes a signed BIGINT
    "wide_signed": (
        "CREATE TABLE wide_signed (id BIGINT NOT NULL PRIMARY KEY, v INT NOT NULL)",
        [(LOW + i * ((HIGH - LOW) // (ROWS - 1)), i) for i in range(ROWS)],
    ),
    # the same span for an unsigned key
    "wide_unsigned": (
        "CREATE TABLE wide_unsigned (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v INT NOT NULL)",
        [(i * ((2**64 - 1) // (ROWS - 1)), i) for i in range(ROWS)],
    ),
    # a DOUBLE key round-trips exactly: compared by key
    "double_key": (
        "CREATE TABLE double_key (k DOUBLE NOT NULL PRIMARY KEY, v INT NOT NULL)",
        [(i / 10 + 0.1, i) for i in range(ROWS)],
    ),
    # a FLOAT key does not: the table is compared whole, and the change is still found
    "float_key": (
        "CREATE TABLE float_key (k FLOAT NOT NULL PRIMARY KEY, v INT NOT NULL)",
        [(i / 10 + 0.1, i) for i in range(ROWS)],
    ),
}
CHANGED = ROWS // 3


def sides(server: Endpoint) -> tuple[SourceSide, SourceSide]:
    return SourceSide(server.with_database(COPIES[0])), SourceSide(server.with_database(COPIES[1]))


@pytest.fixture(scope="module", params=["source", "second"])
def server(request, source_admin, second_source_admin):
    endpoint = source_admin if request.param == "source" else second_source_admin
    with connect(endpoint.with_database(None)) as conn, conn.cursor() as cur:
        for db in COPIES:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(db)}")
            cur.execute(f"CREATE DATABASE {quote_identifier(db)}")
            for name, (ddl, rows) in TABLES.items():
                cur.execute(f"USE {quote_identifier(db)}")
                cur.execute(ddl)
                cur.executemany(f"INSERT INTO {name} VALUES (%s, %s)", rows)
        cur.execute(f"USE {quote_identifier(COPIES[1])}")
        for name, (_, rows) in TABLES.items():
            cur.execute(f"UPDATE {name} SET v = -1 WHERE v = %s", (rows[CHANGED][1],))
            assert cur.rowcount == 1, name
        conn.commit()
    try:
        yield endpoint
    finally:
        with connect(endpoint.with_database(None)) as conn, conn.cursor() as cur:
            for db in COPIES:
                cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(db)}")


def compare(server: Endpoint, name: str):
    with connect(server.with_database(COPIES[0])) as conn:
        table = take(conn, COPIES[0]).table(name)
    a, b = sides(server)
    try:
        return TableComparison(table, a, b, DiffSettings(recheck_wait_seconds=0)).run()
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("name", ["wide_signed", "wide_unsigned", "double_key"])
def test_the_one_changed_row_is_named_by_its_key(server, name):
    result = compare(server, name)
    assert result.status == "mismatch", result
    assert (result.rows_source, result.rows_target) == (ROWS, ROWS)
    keys = [d.key for d in result.differences]
    (key_column,) = {c for k in keys for c in k}
    assert len(keys) == 1 and keys[0][key_column] == TABLES[name][1][CHANGED][0], keys
    assert result.differences[0].kind == "different"


def test_a_float_key_is_compared_whole_and_the_change_still_found(server):
    result = compare(server, "float_key")
    assert result.status == "mismatch" and result.chunks == 1, result
    assert "FLOAT" in result.warnings[0]
