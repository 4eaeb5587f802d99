"""The foundation's proof: a real MoveTables from the MariaDB source into the Vitess target."""

import pytest

from pocflow.connections import connect
from pocflow.local import import_proof
from pocflow.sql import quote_identifier
from pocflow.vitess.movetables import MoveTables

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]


@pytest.fixture(scope="module")
def proof(env, vtctld, source_admin, source_readonly, vtgate, sample):
    messages = []
    result = import_proof.run(
        vtctld=vtctld,
        source_admin=source_admin,
        source_readonly=source_readonly,
        vtgate=vtgate,
        source_keyspace=env["POCFLOW_SOURCE_KEYSPACE"],
        target_keyspace=env["POCFLOW_TARGET_KEYSPACE"],
        approve_cancel=True,
        progress=messages.append,
    )
    return result, messages


def source_counts(endpoint, tables):
    with connect(endpoint) as conn, conn.cursor() as cur:
        counts = {}
        for t in tables:
            cur.execute(f"SELECT COUNT(*) FROM {quote_identifier(t)}")
            counts[t] = cur.fetchone()[0]
        return counts


def test_importable_tables_are_moved_and_the_table_without_a_key_is_excluded(proof):
    result, _ = proof
    assert set(result.tables) == {"customers", "products", "orders", "order_lines", "payments", "inventory"}
    assert list(result.excluded) == ["events"] and "primary key" in result.excluded["events"]


def test_target_holds_exactly_the_source_rows(proof, source_readonly):
    result, _ = proof
    assert result.rows_copied == source_counts(source_readonly, result.tables)


def test_a_row_written_on_the_source_is_read_from_the_target_through_vtgate(proof):
    result, _ = proof
    assert 0 < result.replication_seconds < 120


def test_vdiff_finds_no_mismatch_in_any_table(proof):
    result, _ = proof
    assert result.vdiff.state == "completed" and not result.vdiff.has_mismatch
    assert {t.table for t in result.vdiff.tables} == set(result.tables)
    for t in result.vdiff.tables:
        assert t.rows_compared == t.matching_rows == result.rows_copied[t.table]
        assert (t.mismatched_rows, t.extra_rows_source, t.extra_rows_target) == (0, 0, 0)
    assert result.passed


def test_the_workflow_is_cancelled_cleanly(proof, vtctld, vtgate, env):
    result, messages = proof
    assert result.cancelled and not MoveTables(vtctld, result.workflow, env["POCFLOW_TARGET_KEYSPACE"]).exists()
    with connect(vtgate.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"USE {quote_identifier(env['POCFLOW_TARGET_KEYSPACE'] + ':0@primary')}")
        cur.execute("SHOW TABLES")
        assert {r[0] for r in cur.fetchall()} & set(result.tables) == set()
    assert any("cancelled" in m for m in messages)


def test_the_source_keeps_its_rows_after_the_proof(proof, source_readonly, sample):
    result, _ = proof
    counts = source_counts(source_readonly, result.tables)
    assert all(counts[t] == sample.rows[t] for t in result.tables)
