"""Stages 2 and 3 on the real stack: provisioning is idempotent and Vitess accepts the VSchemas."""

import pytest

from pocflow.engagement import from_inputs
from pocflow.stages import StageContext, run_stage
from pocflow.stages.sharding_plan import VSchemaRejected, apply_vschema

pytestmark = pytest.mark.integration


def context(tmp_path, file, run_id):
    engagement = from_inputs({"engagement_file": file, "artifact_location": str(tmp_path)})
    return StageContext(engagement, run_id, log=lambda m: None, compute_missing=True)  # select-database first


def test_unsharded_demo_target_is_already_provisioned(stack, sample, tmp_path):
    result, _ = run_stage("provision", context(tmp_path, "demo-shop.yaml", "p1"))
    assert not result.sharded and result.keyspaces == {"shop": ["0"]} and result.already_provisioned
    assert "0.0" in result.sizing.arithmetic[0]


@pytest.fixture(scope="module")
def sharded(stack, sample, tmp_path_factory):
    ctx = context(tmp_path_factory.mktemp("a"), "demo-shop-sharded.yaml", "s1")
    first, _ = run_stage("provision", ctx)
    second, _ = run_stage("provision", context(tmp_path_factory.mktemp("b"), "demo-shop-sharded.yaml", "s2"))
    plan, _ = run_stage("sharding-plan", ctx)
    return first, second, plan


def test_provisioning_twice_creates_nothing_the_second_time(sharded, stack):
    first, second, _ = sharded
    assert first.keyspaces == {"shop_sharded": ["-80", "80-"], "shop_sharded_global": ["0"]}
    assert second.already_provisioned and not any(second.created.values())
    assert stack.keyspaces()["shop_sharded"] == ["-80", "80-"]
    assert all(s.healthy for s in stack.status())


def test_two_shard_plan_co_locates_order_tables_by_customer(sharded):
    plan = sharded[2].plan
    tables = plan.vschemas["shop_sharded"]["tables"]
    for t in ("orders", "order_lines", "payments"):
        assert tables[t]["column_vindexes"][0] == {"column": "customer_id", "name": "hash"}
    assert tables["customers"]["column_vindexes"][0] == {"column": "id", "name": "hash"}
    assert tables["customers"]["auto_increment"]["sequence"] == "shop_sharded_global.customers_seq"
    assert tables["orders"]["auto_increment"]["sequence"] == "shop_sharded_global.orders_seq"
    assert plan.vschemas["shop_sharded_global"]["tables"]["orders_seq"] == {"type": "sequence"}
    assert any("order_lines" in q["query"] for q in plan.scatter_queries)


def test_vitess_holds_the_applied_vschemas(sharded, vtctld):
    plan = sharded[2].plan
    for keyspace in ("shop_sharded", "shop_sharded_global"):
        applied = vtctld.run_json("GetVSchema", keyspace)
        assert set(applied.get("tables", {})) == set(plan.vschemas[keyspace]["tables"])
    assert vtctld.run_json("GetVSchema", "shop_sharded")["sharded"] is True


def test_a_vschema_vitess_refuses_fails_with_its_message(stack, vtctld):
    bad = {
        "sharded": True,
        "vindexes": {"v": {"type": "no_such_vindex"}},
        "tables": {"t": {"column_vindexes": [{"column": "id", "name": "v"}]}},
    }
    with pytest.raises(VSchemaRejected) as err:
        apply_vschema(vtctld, "shop_sharded", bad)
    assert "no_such_vindex" in str(err.value) and "(dry run)" in str(err.value)
