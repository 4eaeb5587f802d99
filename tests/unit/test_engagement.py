import datetime as dt

import pytest

from pocflow.engagement import Engagement, EngagementError, from_inputs, validate

TODAY = dt.date(2026, 11, 28)
GOOD = {
    "engagement_name": "acme-poc",
    "customer": "Acme",
    "source_connection_id": "src",
    "source_database": "shop",
    "vtctld_address": "127.0.0.1:15999",
    "vtgate_connection_id": "gate",
    "target_keyspace": "shop",
    "sharding_mode": "auto",
    "opt_out_date": "2027-01-31",
}
KNOWN = {"src", "gate"}


def build(**changes):
    form = {**GOOD, **changes}
    return from_inputs(
        {k: v for k, v in form.items() if v is not None}, connection_exists=KNOWN.__contains__, today=TODAY
    )


def test_a_good_form_builds_the_engagement():
    e = build()
    assert (e.name, e.source.database, e.target.keyspace, e.opt_out_date) == (
        "acme-poc",
        "shop",
        "shop",
        dt.date(2027, 1, 31),
    )
    assert e.sharding.mode == "auto" and e.artifacts.location == "artifacts" and e.days_left(TODAY) == 64


def test_engagement_round_trips_through_its_dict():
    e = build(workload_files=["include/workloads/shop/workload.yaml"], sharding_mode="sharded", shard_count=4)
    assert Engagement.from_dict(e.to_dict()) == e


def test_the_demo_file_loads_and_the_form_overrides_it():
    e = from_inputs({"engagement_file": "demo-shop.yaml", "target_keyspace": "other"}, today=TODAY)
    assert e.name == "demo-shop" and e.target.keyspace == "other" and e.source.import_user == "pocflow_import"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("source_connection_id", "missing", "unknown connection id 'missing'"),
        ("vtgate_connection_id", "nope", "unknown connection id 'nope'"),
        ("source_database", None, "is required"),
        ("source_database", "shop`; DROP", "contains"),
        ("source_database", "sh'op", "contains"),
        ("source_database", 'sh"op', "contains"),
        ("source_database", "shop;", "contains"),
        ("source_database", "x" * 65, "at most 64"),
        ("target_keyspace", "k" * 70, "at most 64"),
        ("target_keyspace", "1shop", "must start with a letter"),
        ("target_keyspace", "sh-op", "must start with a letter"),
        ("opt_out_date", "2020-01-01", "in the past"),
        ("opt_out_date", "next tuesday", "is not a date"),
        ("opt_out_date", None, "is required"),
        ("sharding_mode", "hash", "is not one of"),
        ("shard_count", 0, "outside"),
        ("shard_count", "two", "not a whole number"),
        ("engagement_name", "Acme PoC!", "lower-case"),
        ("engagement_name", None, "is required"),
        ("customer", None, "is required"),
        ("vtctld_address", "localhost", "host:port"),
        ("vtctld_address", "h:99999", "outside"),
        ("shard_size_target_gb", -5, "between"),
        ("workload_files", ["include/nope.sql"], "does not exist"),
        ("artifact_location", "ftp://x/y", "use a local folder"),
        ("artifact_location", "s3://B", "valid s3"),
    ],
)
def test_bad_input_names_the_field_and_what_is_wrong(field, value, message):
    with pytest.raises(EngagementError) as err:
        build(**{field: value})
    assert field in err.value.problems, err.value.problems
    assert message in err.value.problems[field]
    assert f"  {field}: " in str(err.value)


@pytest.mark.parametrize(
    "mode, shards, message",
    [
        ("sharded", None, "is required when sharding_mode is 'sharded'"),
        ("sharded", 1, "impossible"),
        ("sharded", 1000, "impossible"),
        ("unsharded", 4, "has 1 shard"),
    ],
)
def test_impossible_shard_counts_are_refused(mode, shards, message):
    with pytest.raises(EngagementError) as err:
        build(sharding_mode=mode, shard_count=shards)
    assert message in err.value.problems["shard_count"]


def test_every_problem_is_reported_at_once():
    with pytest.raises(EngagementError) as err:
        build(source_database=None, opt_out_date="2001-01-01", target_keyspace="a`b")
    assert set(err.value.problems) == {"source_database", "opt_out_date", "target_keyspace"}


def test_the_opt_out_date_may_be_today():
    assert build(opt_out_date=TODAY.isoformat()).days_left(TODAY) == 0


def test_a_missing_engagement_file_is_named():
    with pytest.raises(EngagementError) as err:
        from_inputs({"engagement_file": "no-such.yaml"}, today=TODAY)
    assert "engagement_file" in err.value.problems


def test_validate_takes_nested_yaml_shape():
    e = validate(
        {
            "name": "n",
            "customer": "c",
            "source": {"connection_id": "src", "database": "d"},
            "target": {"vtctld_address": "h:1", "vtgate_connection_id": "gate", "keyspace": "k"},
            "opt_out_date": dt.date(2027, 1, 1),
        },
        connection_exists=KNOWN.__contains__,
        today=TODAY,
    )
    assert e.target.keyspace == "k"
