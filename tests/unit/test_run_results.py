"""A run's stage results: read back typed, missing ones named, earlier stages computed only where asked."""

import datetime as dt

import pytest

from pocflow.engagement import from_inputs
from pocflow.stage_order import STAGE_ORDER
from pocflow.stages import STAGES, MissingResult, RunResults, StageContext, StageSpec, run_stage
from pocflow.stages.testing import TestingResult as Skipped


@pytest.fixture
def engagement(tmp_path):
    return from_inputs(
        {"engagement_file": "demo-shop.yaml", "artifact_location": str(tmp_path)},
        connection_exists=lambda _: True,
        today=dt.date(2026, 11, 28),
    )


@pytest.fixture
def testing_runs(monkeypatch) -> list[str]:
    """The testing stage replaced by one that records its runs and skips."""
    runs: list[str] = []

    def run(ctx):
        runs.append(ctx.run_id)
        return Skipped("shop", False, "no workload")

    monkeypatch.setitem(STAGES, "testing", StageSpec("testing", run, Skipped))
    return runs


def test_every_stage_of_the_order_is_registered():
    assert set(STAGES) == set(STAGE_ORDER)


def test_a_missing_result_is_none_or_an_error_naming_the_stage_and_the_run(engagement):
    results = RunResults.of(engagement, "run-1")
    assert results.get("import") is None
    with pytest.raises(MissingResult, match="run run-1 of demo-shop has no import result"):
        results.require("import")


def test_a_stored_result_reads_back_as_its_stages_type(engagement):
    RunResults.of(engagement, "run-1").put("testing", Skipped("shop", False, "no workload"))
    again = RunResults.of(engagement, "run-1").require("testing")
    assert isinstance(again, Skipped) and again.skipped_reason == "no workload"
    assert RunResults.of(engagement, "run-2").get("testing") is None


def test_an_earlier_stage_is_never_run_unless_asked(engagement, testing_runs):
    ctx = StageContext(engagement, "task-run", log=lambda m: None)
    with pytest.raises(MissingResult, match="run task-run of demo-shop has no testing result"):
        ctx.earlier("testing")
    assert testing_runs == []


def test_the_cli_context_runs_a_missing_earlier_stage_first(engagement, testing_runs):
    said: list[str] = []
    ctx = StageContext(engagement, "cli-run", log=said.append, compute_missing=True)
    assert ctx.earlier("testing").skipped_reason == "no workload"
    assert ctx.earlier("testing").skipped_reason == "no workload"
    assert testing_runs == ["cli-run"]
    assert said[0] == "testing: no result in this run yet; running it first"
    assert RunResults.of(engagement, "cli-run").get("testing") is not None


def test_a_held_result_is_used_without_being_stored(engagement, testing_runs):
    ctx = StageContext(engagement, "nightly", log=lambda m: None)
    ctx.results.hold("testing", Skipped("shop", False, "from another run"))
    assert ctx.earlier("testing").skipped_reason == "from another run"
    assert RunResults.of(engagement, "nightly").get("testing") is None
    result, uri = run_stage("testing", ctx)
    assert uri.endswith("testing.json") and RunResults.of(engagement, "nightly").get("testing") is not None


def test_the_imports_workflows_are_typed_and_stored_as_before():
    from pocflow.stages.import_data import ImportResult
    from pocflow.stages.workflows import WorkflowPlan

    stored = {
        "workflows": [
            {
                "workflow": "demo_shop",
                "source_keyspace": "shop_source",
                "target_keyspace": "shop",
                "tables": ["customers", "orders"],
                "options": ["--defer-secondary-keys"],
            }
        ],
        "excluded": {"events": "no primary key"},
        "created": {"demo_shop": True},
        "tables": [{"keyspace": "shop", "table": "orders", "rows_on_target": 10}],
        "copy_seconds": 1.5,
        "final_lag_seconds": None,
        "traffic_state": {"demo_shop": "Reads Not Switched. Writes Not Switched"},
    }
    result = ImportResult.from_dict(stored)
    assert result.workflows == [
        WorkflowPlan("demo_shop", "shop_source", "shop", ["customers", "orders"], ["--defer-secondary-keys"])
    ]
    assert result.to_dict() == stored
    del stored["workflows"][0]["options"]  # stored before the copy options were kept
    assert ImportResult.from_dict(stored).workflows[0].options == []
