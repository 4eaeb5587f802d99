"""Malformed engagement files: each gets a clear error naming the field, before anything runs.

(The trigger form's malformed values are in test_engagement.py; the form's schema-level refusals,
HTTP 400 through the API, in tests/integration/test_airflow_ui.py.)"""

import datetime as dt

import pytest

from pocflow.engagement import EngagementError, from_inputs, unknown_fields

TODAY = dt.date(2026, 11, 28)
GOOD_YAML = """\
engagement_name: acme-poc
customer: Acme
source_connection_id: src
source_database: shop
vtctld_address: 127.0.0.1:15999
vtgate_connection_id: gate
target_keyspace: shop
opt_out_date: 2027-01-31
"""


def load(tmp_path, text: str):
    f = tmp_path / "engagement.yaml"
    f.write_text(text)
    return from_inputs(file=f, connection_exists={"src", "gate"}.__contains__, today=TODAY)


def replace(field: str, raw: str) -> str:
    lines = [line for line in GOOD_YAML.splitlines() if not line.startswith(field + ":")]
    return "\n".join(lines + ([f"{field}: {raw}"] if raw is not None else [])) + "\n"


def test_the_good_file_loads(tmp_path):
    assert load(tmp_path, GOOD_YAML).name == "acme-poc"


YAML_CASES = [
    # field, raw YAML value (None: the line is removed), expected words in the message
    ("engagement_name", None, "is required"),
    ("engagement_name", '""', "is required"),
    ("engagement_name", "[a, b]", "must be text"),
    ("engagement_name", "Acme_PoC", "lower-case"),
    ("engagement_name", "x" * 65, "1-64 characters"),
    ("customer", "{a: 1}", "must be text"),
    ("customer", "x" * 201, "longer than 200"),
    ("source_connection_id", "unknown_conn", "unknown connection id"),
    ("source_database", "12", "must be text"),
    ("source_database", '"shop\\u0000"', "NUL"),
    ("source_database", '"shop`"', "contains '`'"),
    ("source_keyspace", "_x", "must start with a letter"),
    ("source_import_user", '"bob;"', "is not a MySQL account name"),
    ("vtctld_address", "vtctld", "host:port"),
    ("vtctld_address", '"vtctld:15999; rm -rf /"', "host:port"),
    ("target_keyspace", "shop-1", "must start with a letter"),
    ("opt_out_date", "2026-02-30", "is not a date"),
    ("opt_out_date", "2020-01-01", "in the past"),
    ("opt_out_date", "tomorrow", "is not a date"),
    ("sharding_mode", "range", "is not one of"),
    ("shard_count", "2.5", "not a whole number"),
    ("shard_count", "-2", "outside"),
    ("shard_size_target_gb", "zero", "number"),
    ("workload_files", "[1, 2]", "list of file paths"),
    ("workload_files", "[include/missing.yaml]", "does not exist"),
    ("artifact_location", "http://bucket/x", "use a local folder or s3://"),
    ("artifact_aws_conn_id", '"aws default"', "not a valid connection id"),
    ("max_mismatched_rows", "-1", "outside"),
    ("float_decimals", "99", "outside"),
    ("chunk_rows", "5", "outside"),
    ("row_count_tolerance", "1.5", "fraction"),
    ("approve_read_switch", "maybe", "is not true or false"),
    ("test_duration_seconds", "0", "outside"),
    ("test_concurrency", "1000", "outside"),
    ("max_p99_regression_pct", "lots", "not a number"),
    ("customer_decision", "ask", "record or"),
    ("opt_out_dat", "2027-01-31", "did you mean opt_out_date"),
    ("shard_cnt", "2", "did you mean shard_count"),
]


@pytest.mark.parametrize("field, raw, message", YAML_CASES, ids=[f"{c[0]}={c[1]}" for c in YAML_CASES])
def test_a_malformed_file_names_the_field(tmp_path, field, raw, message):
    with pytest.raises(EngagementError) as err:
        load(tmp_path, replace(field, raw))
    assert field in err.value.problems, err.value.problems
    assert message in err.value.problems[field], err.value.problems[field]


@pytest.mark.parametrize(
    "text, message",
    [
        ("engagement_name: [unclosed\n", "is not valid YAML at line"),
        ("- a\n- b\n", "does not hold a mapping"),
        ("just text\n", "does not hold a mapping"),
    ],
)
def test_a_file_that_is_not_an_engagement_is_named(tmp_path, text, message):
    with pytest.raises(EngagementError) as err:
        load(tmp_path, text)
    assert message in err.value.problems["engagement_file"]


def test_there_are_at_least_thirty_malformed_inputs():
    assert len(YAML_CASES) + 3 >= 30


def test_a_stored_engagement_has_no_unknown_fields(tmp_path):
    assert unknown_fields(load(tmp_path, GOOD_YAML).to_dict()) == []
