from pathlib import Path

import pytest

from pocflow.stage_order import STAGE_ORDER

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}


def test_engagement_dag_runs_the_stages_in_order(dagbag):
    dag = dagbag.dags["poc_engagement"]
    order = [
        "validate_engagement",
        "select_database",
        "provision",
        "sharding_plan",
        "import",
        "validation_plan",
        "validate_part",
        "validation",
        "testing",
        "opt_out_review",
    ]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    stages = [t for t in order[1:] if t not in ("validation_plan", "validate_part")]
    assert stages == [stage.replace("-", "_") for stage in STAGE_ORDER]
    assert dag.schedule is None or str(dag.timetable.summary) in ("None", "")


def test_validation_fans_out_as_mapped_part_tasks_and_merges(dagbag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    from pocflow.airflow.operators import ValidationOperator, ValidationPartOperator, ValidationPlanOperator

    dag = dagbag.dags["poc_engagement"]
    plan, parts, merge = (dag.get_task(t) for t in ("validation_plan", "validate_part", "validation"))
    assert isinstance(plan, ValidationPlanOperator) and isinstance(merge, ValidationOperator)
    assert isinstance(parts, MappedOperator) and parts.operator_class is ValidationPartOperator
    assert parts.map_index_template == "{{ task.part_label }}"
    assert merge.trigger_rule == "none_failed"  # no parts (nothing imported) still merges


def test_a_part_task_is_named_for_its_table_and_key_range():
    from pocflow.airflow.operators import ValidationPartOperator
    from pocflow.stages.validation_parts import ValidationPart

    part = ValidationPart("wf", "shop", "orders", index=1, of=3, low=100, high=200)
    task = ValidationPartOperator(task_id="p", part=part.to_dict())
    assert task.part_label == "orders [2/3] 100 < key <= 200"
    assert ValidationPartOperator(task_id="q", part=ValidationPart("wf", "shop", "items").to_dict()).part_label == (
        "items"
    )


def test_form_defaults_to_the_demo_engagement_file(dagbag):
    params = dagbag.dags["poc_engagement"].params
    assert params["engagement_file"] == "demo-shop.yaml"
    assert params.get_param("opt_out_date").schema["format"] == "date"
    assert params.get_param("sharding_mode").schema["enum"] == [None, "auto", "unsharded", "sharded"]


def test_import_waits_in_a_deferrable_trigger(dagbag):
    from pocflow.airflow.operators import ImportOperator

    task = dagbag.dags["poc_engagement"].get_task("import")
    assert isinstance(task, ImportOperator) and hasattr(task, "execute_complete")


def test_nightly_validation_is_scheduled_daily_and_maps_over_engagements(dagbag):
    dag = dagbag.dags["poc_nightly_validation"]
    assert dag.timetable.expression == "0 2 * * *"
    assert dag.get_task("validate").upstream_task_ids == {"active_engagements"}
    assert dag.get_task("summary").upstream_task_ids == {"validate"}


def test_cutover_moves_writes_only_after_a_persons_answer(dagbag):
    from airflow.providers.standard.operators.hitl import HITLOperator

    dag = dagbag.dags["poc_cutover"]
    order = [
        "prepare_cutover",
        "pre_checks",
        "switch_reads",
        "read_soak",
        "wait_for_window",
        "approve_writes",
        "switch_writes",
        "write_soak",
        "complete_or_roll_back",
    ]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    for task_id in ("complete", "rollback"):
        assert dag.get_task(task_id).upstream_task_ids == {"complete_or_roll_back"}
    for task_id in ("approve_writes", "complete_or_roll_back"):
        assert isinstance(dag.get_task(task_id), HITLOperator)
    assert dag.get_task("read_soak").mode == "reschedule"
    params = dag.params
    assert params["keep_source_data"] is True and params.get_param("planned_at").schema["format"] == "date-time"


def test_a_batch_task_is_named_for_its_first_part_and_how_many_follow():
    from pocflow.airflow.operators import ValidationPartOperator
    from pocflow.stages.validation_parts import ValidationPart

    batch = [ValidationPart("wf", "shop", t).to_dict() for t in ("items", "orders", "users")]
    assert ValidationPartOperator(task_id="b", part=batch).part_label == "items and 2 more parts"
    assert ValidationPartOperator(task_id="c", part=batch[:2]).part_label == "items and 1 more part"


def test_the_plan_maps_no_more_tasks_than_airflow_s_max_map_length(monkeypatch):
    from pocflow.airflow import operators
    from pocflow.stages import validation
    from pocflow.stages.validation_parts import ValidationPart

    parts = [ValidationPart("wf", "shop", f"t{i}") for i in range(5)]
    monkeypatch.setattr(operators, "stage_context", lambda *a: None)
    monkeypatch.setattr(validation, "start", lambda ctx: (parts, {}))
    plan = operators.ValidationPlanOperator(task_id="validation_plan")
    assert plan.execute({}) == [p.to_dict() for p in parts]  # under the default 1,024: a task per part
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "2")
    out = plan.execute({})
    assert [[p["table"] for p in batch] for batch in out] == [["t0", "t2", "t4"], ["t1", "t3"]]
