"""Stage 1 on the real sample database and on a deliberately misconfigured second source."""

import dataclasses

import pytest

from pocflow.connections import Endpoint, connect
from pocflow.engagement import from_inputs
from pocflow.local.stack.config import StackConfig
from pocflow.local.stack.credentials import READONLY_USER, load_or_create
from pocflow.local.stack.source import SOURCE_SERVERS
from pocflow.source.inventory import take
from pocflow.source.readiness import BLOCKER, INFO, WARNING, assess
from pocflow.stages import StageContext, run_stage

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def selected(stack, sample, tmp_path_factory):
    engagement = from_inputs(
        {"engagement_file": "demo-shop.yaml", "artifact_location": str(tmp_path_factory.mktemp("artifacts"))}
    )
    result, uri = run_stage("select-database", StageContext(engagement, "test-select", log=lambda m: None))
    return result, uri


def severity_of(result, id_, obj):
    matches = [f.severity for f in result.readiness.findings if f.id == id_ and f.object == obj]
    assert matches, f"no {id_} finding for {obj}"
    return matches[0]


def test_table_without_primary_key_is_a_blocker_and_excluded(selected):
    result, _ = selected
    assert severity_of(result, "no-unique-not-null-key", "shop.events") == BLOCKER
    assert "events" in result.readiness.excluded and "events" not in result.importable


def test_foreign_keys_trigger_and_view_are_warnings(selected):
    result, _ = selected
    assert severity_of(result, "foreign-key", "shop.orders") == WARNING
    assert severity_of(result, "foreign-key", "shop.order_lines") == WARNING
    assert severity_of(result, "trigger", "shop.inventory_never_negative") == WARNING
    assert severity_of(result, "view", "shop.customer_order_totals") == WARNING


def test_latin1_column_is_importable_and_noted_for_validation(selected):
    result, _ = selected
    assert severity_of(result, "non-utf8mb4-column", "shop.customers.legacy_code") == INFO
    assert "customers" in result.importable
    assert any(n.startswith("shop.customers.legacy_code") for n in result.readiness.validation_notes)


def test_inventory_holds_the_catalogue(selected):
    result, _ = selected
    inv = result.inventory
    assert {t.name for t in inv.tables} == {
        "customers",
        "products",
        "orders",
        "order_lines",
        "payments",
        "inventory",
        "events",
    }
    orders = inv.table("orders")
    assert orders.primary_key.columns == ("id",) and orders.foreign_keys[0].referenced_table == "customers"
    assert inv.table("order_lines").primary_key.columns == ("order_id", "line_no")
    assert inv.table("customers").column("legacy_code").charset == "latin1"
    assert inv.server["binlog_format"] == "ROW" and inv.flavor == stack_flavor()
    assert inv.import_user_privileges and all(inv.import_user_privileges.values())
    assert [v.name for v in inv.views] == ["customer_order_totals"]


def stack_flavor() -> str:
    return StackConfig.from_env().source_flavor


def test_the_result_is_stored_as_json_in_the_artifact_store(selected):
    result, uri = selected
    assert uri.endswith("demo-shop/test-select/select-database.json")
    import json
    from pathlib import Path

    stored = json.loads(Path(uri).read_text())
    assert stored["readiness"]["excluded"].keys() == {"events"}


def questions(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Questions'")
        return int(cur.fetchone()[1])


def make_tables(admin: Endpoint, database: str, count: int) -> None:
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}`")
        cur.execute(f"USE `{database}`")
        for i in range(count):
            cur.execute(f"CREATE TABLE t{i:04d} (id INT PRIMARY KEY, parent INT, v VARCHAR(10), KEY (v)) ENGINE=InnoDB")


def test_inventory_asks_as_many_catalogue_queries_for_1000_tables_as_for_10(stack, source_admin, source_readonly):
    counts = {}
    try:
        for n in (10, 1000):
            make_tables(source_admin, f"inv_{n}", n)
            with connect(source_admin.with_database(f"inv_{n}")) as conn:
                before = questions(conn)
                inv = take(conn, f"inv_{n}")
                counts[n] = questions(conn) - before - 1  # the second SHOW STATUS counts itself
            assert len(inv.tables) == n
    finally:
        with connect(source_admin.with_database(None)) as conn, conn.cursor() as cur:
            for n in (10, 1000):
                cur.execute(f"DROP DATABASE IF EXISTS `inv_{n}`")
    assert counts[10] == counts[1000] == inv.catalogue_queries


MISCONFIGURED = {
    "mysql": {"binlog_format": "MIXED", "gtid_mode": "OFF", "enforce_gtid_consistency": "OFF"},
    "mariadb": {"binlog_format": "MIXED"},
}


@pytest.fixture(scope="module")
def misconfigured_source(stack, tmp_path_factory):
    """A second server of the source's flavour, like the source but with binlog_format=MIXED (and, on
    MySQL, without GTIDs)."""
    base = StackConfig.from_env()
    state = tmp_path_factory.mktemp("mixed-source")
    state.chmod(0o755)
    config = dataclasses.replace(base, state_dir=state, ports=dataclasses.replace(base.ports, source_mysql=13399))
    from pocflow.local.stack import install

    config = install.prepare_state_dir(config)
    flavor = base.source_flavor
    server = SOURCE_SERVERS[flavor](config, port=13399, databases=("shop",), overrides=MISCONFIGURED[flavor])
    creds = load_or_create(config)
    server.up(creds)
    yield Endpoint("127.0.0.1", 13399, READONLY_USER, creds.readonly_password, "shop")
    server.down()


def test_a_source_logging_mixed_binlogs_gets_a_blocker(misconfigured_source):
    with connect(misconfigured_source) as conn:
        inv = take(conn, "shop")
    assert inv.server["binlog_format"] == "MIXED"
    blocker = next(f for f in assess(inv).findings if f.id == "binlog-format-not-row")
    assert blocker.severity == BLOCKER and blocker.object == "server" and "MIXED" in blocker.evidence


def test_a_mysql_source_without_gtids_gets_blockers(misconfigured_source):
    if stack_flavor() != "mysql":
        pytest.skip("GTID mode is a MySQL setting; this stack's source is MariaDB")
    with connect(misconfigured_source) as conn:
        inv = take(conn, "shop")
    ids = {f.id: f for f in assess(inv).findings}
    assert ids["gtid-mode-off"].severity == BLOCKER and "OFF" in ids["gtid-mode-off"].evidence
    assert inv.flavor == "mysql"


def test_an_empty_database_is_refused_before_any_other_stage(stack, source_admin, tmp_path):
    from pocflow.stages.select_database import NothingToImport

    make_tables(source_admin, "pocflow_empty", 0)
    try:
        engagement = from_inputs(
            {
                "engagement_file": "demo-shop.yaml",
                "source_database": "pocflow_empty",
                "artifact_location": str(tmp_path),
            }
        )
        with pytest.raises(NothingToImport, match="'pocflow_empty' .* holds no tables"):
            run_stage("select-database", StageContext(engagement, "test-empty", log=lambda m: None))
    finally:
        with connect(source_admin.with_database(None)) as conn, conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS `pocflow_empty`")
    assert not list(tmp_path.rglob("*.json")), "a refused selection stores no result"
