"""Destructive Vitess operations are refused without an explicit approval, before anything runs."""

import pytest

from pocflow.connections import Endpoint
from pocflow.local import import_proof
from pocflow.vitess.movetables import MoveTables
from pocflow.vitess.vtctldclient import NotApproved, Vtctld, destructive

# a vtctldclient that cannot run: a refusal must come before any process is started
NOWHERE = Vtctld("127.0.0.1:1", binary="/nonexistent/vtctldclient")


@pytest.mark.parametrize(
    "args",
    [
        (
            "MoveTables",
            "--workflow",
            "w",
            "--target-keyspace",
            "k",
            "SwitchTraffic",
            "--tablet-types",
            "rdonly,replica",
        ),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "SwitchTraffic"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "ReverseTraffic"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "complete"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "cancel"),
        ("MoveTables", "--workflow=w", "--target-keyspace=k", "cancel", "--keep-data"),
        ("Reshard", "--workflow", "w", "--target-keyspace", "k", "complete"),
        ("Workflow", "--keyspace", "k", "delete", "--workflow", "w"),
        ("DeleteKeyspace", "--recursive", "k"),
        ("DeleteShards", "k/-80"),
        ("ApplyRoutingRules", "--rules", "{}"),
        ("PlannedReparentShard", "k/0", "--new-primary", "zone1-100"),
        ("ApplySchema", "--sql", "DROP TABLE orders", "k"),
        ("ApplySchema", "--sql", "rename table a to b", "k"),
        ("SetShardTabletControl", "--remove", "k/0", "PRIMARY"),
    ],
)
def test_destructive_commands_are_refused_without_approval(args):
    assert destructive(args)
    with pytest.raises(NotApproved, match="without explicit approval"):
        NOWHERE.run(*args)
    with pytest.raises(FileNotFoundError):  # approved, it gets as far as starting vtctldclient
        NOWHERE.run(*args, approved=True)


@pytest.mark.parametrize(
    "args",
    [
        ("MoveTables", "--workflow", "complete", "--target-keyspace", "cancel", "create", "--tables", "delete,cancel"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "status", "--format", "json"),
        ("VDiff", "--workflow", "w", "--target-keyspace", "k", "delete", "abc"),
        ("ApplySchema", "--sql", "CREATE TABLE t (id int primary key)", "k"),
        ("ApplyVSchema", "--vschema", "{}", "k"),
        ("GetWorkflows", "k"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "SwitchTraffic", "--dry-run"),
        ("MoveTables", "--workflow", "w", "--target-keyspace", "k", "complete", "--keep-data", "--dry-run"),
    ],
)
def test_reading_and_creating_need_no_approval(args):
    assert destructive(args) is None


def test_cancel_and_switch_are_refused_without_approval():
    mt = MoveTables(NOWHERE, "w", "k")
    with pytest.raises(NotApproved):
        mt.cancel(approved=False)
    with pytest.raises(NotApproved):
        mt.switch_reads(approved=False)
    for action in (mt.switch_traffic, mt.reverse_traffic, mt.complete):
        with pytest.raises(NotApproved):
            action()


def test_the_import_proof_refuses_to_start_without_approval_to_cancel():
    nowhere = Endpoint("127.0.0.1", 1, "u", "p")
    with pytest.raises(NotApproved, match="--approve-cancel"):
        import_proof.run(
            vtctld=NOWHERE,
            source_admin=nowhere,
            source_readonly=nowhere,
            vtgate=nowhere,
            source_keyspace="s",
            target_keyspace="t",
        )


def test_testing_does_not_switch_reads_unless_the_engagement_approves(monkeypatch):
    import datetime as dt

    from pocflow.engagement import from_inputs
    from pocflow.stages import StageContext, testing
    from pocflow.stages.workflows import WorkflowPlan
    from pocflow.vitess.movetables import WorkflowStatus

    e = from_inputs(
        {"engagement_file": "demo-shop.yaml", "approve_read_switch": "false"},
        connection_exists=lambda _: True,
        today=dt.date(2026, 11, 28),
    )
    monkeypatch.setattr(MoveTables, "status", lambda self: WorkflowStatus("w", "k", [], [], "Reads Not Switched"))
    ctx = StageContext(e, run_id="r", log=lambda m: None)
    ctx_vtctld = Vtctld("127.0.0.1:1", binary="/nonexistent/vtctldclient")
    monkeypatch.setattr(StageContext, "vtctld", property(lambda self: ctx_vtctld))
    with pytest.raises(NotApproved):
        testing.switch_reads(ctx, [WorkflowPlan("w", "s", "k", [])])


def test_names_that_look_like_ddl_are_not_statements():
    assert (
        destructive(("ApplySchema", "--sql", "CREATE TABLE IF NOT EXISTS `drop shipments_seq` (id int)", "k")) is None
    )
    assert destructive(("ApplySchema", "--sql", "create table t (id int); DROP TABLE x", "k"))
