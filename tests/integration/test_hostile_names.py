"""A source schema with hostile but legal names is assessed, imported and validated end to end."""

from __future__ import annotations

import pytest

from pocflow.connections import exists, resolve
from pocflow.engagement import from_inputs
from pocflow.local.sample import hostile
from pocflow.stages import StageContext, run_stage
from pocflow.vitess.movetables import MoveTables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engagement(stack, source_admin, vtctld):
    e = from_inputs({"engagement_file": "hostile-names.yaml"}, connection_exists=exists)
    MoveTables(vtctld, "hostile_names", e.target.keyspace).cancel(approved=True)
    hostile.load(source_admin)
    yield e
    MoveTables(vtctld, "hostile_names", e.target.keyspace).cancel(approved=True)


@pytest.fixture(scope="module")
def results(engagement):
    import uuid

    ctx = StageContext(engagement, run_id=f"hostile-{uuid.uuid4().hex[:8]}", resolve=resolve, log=print)
    return {
        stage: run_stage(stage, ctx)[0]
        for stage in ("select-database", "provision", "sharding-plan", "import", "validation")
    }


def test_every_hostile_table_is_found_and_importable(results):
    selected = results["select-database"]
    names = {t.name for t in selected.inventory.tables}
    assert names == set(hostile.TABLES)
    assert set(selected.readiness.importable) == set(hostile.TABLES), selected.readiness.excluded
    columns = {c.name for t in selected.inventory.tables for c in t.columns}
    assert {"select", '"quoted"', "it's", "col`umn", "ключ", "emoji ✓", hostile.LONG_COLUMN, "note;--"} <= columns
    assert 'it\'s "quoted"' in names and "naïve café 表" in names and hostile.LONG in names


def test_every_hostile_table_is_imported_with_every_row(results):
    imported = results["import"]
    assert {t.table: t.rows_on_target for t in imported.tables} == {t: 300 for t in hostile.TABLES}


def test_validation_compares_every_hostile_table_and_finds_no_difference(results):
    validation = results["validation"]
    assert validation.passed, validation.summary()
    assert {t.table: t.status for t in validation.tables} == {t: "match" for t in hostile.TABLES}
    # "match" over every row on both sides, not over an empty read
    assert {t.table: (t.rows_source, t.rows_target) for t in validation.tables} == {
        t: (300, 300) for t in hostile.TABLES
    }
    assert all(not a for a in validation.aggregates.values()) and set(validation.aggregates) == set(hostile.TABLES)
    assert all(not diffs for diffs in validation.schema.values()), validation.schema
    assert {v["state"] for v in validation.vdiff.values()} == {"completed"}
    assert not any(v["has_mismatch"] for v in validation.vdiff.values())
