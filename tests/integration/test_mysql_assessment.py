"""The assessment on a real MySQL source (9.7 on the stack): each problem planted by
include/sample/planted/mysql.sql is found on its object, and what only looks like a problem is not."""

import pytest

from pocflow.connections import connect
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.sample.load import schema_statements
from pocflow.quality.diff import DiffSettings, chunk_hash_sql, row_hash_sql
from pocflow.source.inventory import take
from pocflow.source.readiness import BLOCKER, INFO, WARNING, assess
from pocflow.sql import quote_identifier
from pocflow.workload.digests import digest_workload

pytestmark = pytest.mark.integration

DATABASE = "planted"
PLANTED_SQL = PROJECT_ROOT / "include" / "sample" / "planted" / "mysql.sql"
CUSTOMER_READ = "SELECT id, name FROM parents WHERE id = "


def grants(verb: str) -> str:
    # The stack grants the read-only account TRIGGER and EVENT only on the databases it knows:
    # without them MySQL hides triggers and events from it.
    to_from = "TO" if verb == "GRANT" else "FROM"
    return f"{verb} SELECT, TRIGGER, EVENT ON {quote_identifier(DATABASE)}.* {to_from} %s@'127.0.0.1'"


@pytest.fixture(scope="module")
def planted(source_admin, source_readonly, source_import):
    """(inventory, readiness) of the planted database, read by the read-only account."""
    with connect(source_admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(DATABASE)}")
        cur.execute(f"CREATE DATABASE {quote_identifier(DATABASE)}")
        cur.execute(f"USE {quote_identifier(DATABASE)}")
        for statement in schema_statements(PLANTED_SQL.read_text()):
            cur.execute(statement)
        cur.execute(grants("GRANT"), (source_readonly.user,))
        for key in (1, 2, 1):  # the customer's own reads, for the statement digests
            cur.execute(CUSTOMER_READ + str(key))
            cur.fetchall()
    try:
        with connect(source_readonly.with_database(DATABASE)) as conn:
            inventory = take(conn, DATABASE, import_user=source_import.user)
        yield inventory, assess(inventory)
    finally:
        with connect(source_admin.with_database(None)) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(DATABASE)}")
            cur.execute(grants("REVOKE"), (source_readonly.user,))


def findings_on(readiness, obj: str) -> dict[str, str]:
    return {f.id: f.severity for f in readiness.findings if f.object == obj}


@pytest.mark.parametrize(
    "finding, obj, severity",
    [
        ("no-unique-not-null-key", "planted.no_key", BLOCKER),
        ("no-unique-not-null-key", "planted.tag_names", BLOCKER),
        ("non-innodb-engine", "planted.myisam_log", BLOCKER),
        ("unsupported-table-charset", "planted.legacy_sjis", BLOCKER),
        ("unsupported-column-charset", "planted.legacy_sjis.name", BLOCKER),
        ("non-range-partitioning", "planted.hashed", BLOCKER),
        ("foreign-key", "planted.children", WARNING),
        ("trigger", "planted.children_touch", WARNING),
        ("routine", "planted.count_children", WARNING),
        ("event", "planted.purge_children", WARNING),
        ("view", "planted.parent_counts", WARNING),
        ("generated-column", "planted.orders.line_total", WARNING),
        ("invisible-column", "planted.orders.internal_flag", WARNING),
        ("generated-invisible-primary-key", "planted.generated_key.my_row_id", WARNING),
        ("vector-column", "planted.embeddings.embedding", WARNING),
    ],
)
def test_each_planted_problem_is_found_on_its_object(planted, finding, obj, severity):
    _, readiness = planted
    assert findings_on(readiness, obj).get(finding) == severity, findings_on(readiness, obj)


@pytest.mark.parametrize("obj", ["planted.orders.updated_at", "planted.orders.created_on"])
def test_expression_defaults_are_not_generated_columns(planted, obj):
    inventory, readiness = planted
    column = inventory.table("orders").column(obj.rsplit(".", 1)[1])
    assert "DEFAULT_GENERATED" in column.extra and not column.generated
    assert "generated-column" not in findings_on(readiness, obj)


def test_the_generated_key_is_read_as_invisible_and_as_the_primary_key(planted):
    inventory, readiness = planted
    table = inventory.table("generated_key")
    assert table.primary_key.columns == ("my_row_id",) and table.column("my_row_id").invisible
    assert "invisible-column" not in findings_on(readiness, "planted.generated_key.my_row_id")


def test_problem_tables_are_excluded_and_the_rest_importable(planted):
    _, readiness = planted
    assert set(readiness.excluded) == {"no_key", "myisam_log", "legacy_sjis", "hashed", "tag_names"}
    assert set(readiness.importable) == {"parents", "children", "orders", "generated_key", "embeddings", "accounts"}


def test_a_functional_key_part_is_read_as_naming_no_column(planted):
    inventory, _ = planted
    (functional,) = [i for i in inventory.table("accounts").indexes if i.name == "uk_email_ci"]
    assert functional.unique and functional.columns == (None,)
    assert inventory.table("tag_names").indexes[0].columns == ("name", None)


def test_the_server_is_read_as_mysql_with_gtids_and_its_version_noted(planted):
    inventory, readiness = planted
    server = findings_on(readiness, "server")
    assert inventory.flavor == "mysql" and inventory.server["gtid_mode"] == "ON"
    assert inventory.server["enforce_gtid_consistency"] == "ON"
    assert not {"gtid-mode-off", "gtid-consistency-not-enforced", "triggers-not-visible", "events-not-visible"} & set(
        server
    )
    major = inventory.server_flavor.version[0]
    assert server.get("mysql-9-source" if major >= 9 else "mysql-8.0-end-of-life") == INFO


def test_the_import_users_privileges_are_read_from_mysql_user(planted):
    inventory, readiness = planted
    assert inventory.import_user_privileges and all(inventory.import_user_privileges.values())
    assert not {"import-user-unverified", "import-user-missing", "import-user-privileges"} & set(
        findings_on(readiness, "server")
    )


def test_the_customers_reads_come_back_as_a_runnable_workload(planted):
    inventory, _ = planted
    samples = [d.sample_text for d in inventory.digests if d.sample_text.startswith(CUSTOMER_READ)]
    assert samples, [d.text for d in inventory.digests]
    workload = digest_workload(inventory.digests)
    read = [q for q in workload.queries if q.sql.startswith(CUSTOMER_READ)]
    assert len(read) == 1 and read[0].weight >= 3 and read[0].name.startswith("digest-")
    assert all(
        not q.sql.lower().startswith("show") and "information_schema" not in q.sql.lower() for q in workload.queries
    )


def test_the_comparisons_hashes_run_on_this_source(planted, source_readonly):
    inventory, _ = planted
    orders = inventory.table("orders")
    with connect(source_readonly.with_database(DATABASE)) as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*), SUM({row_hash_sql(orders.columns, DiffSettings())}), "
            f"SUM({chunk_hash_sql(orders.columns, DiffSettings())}) FROM orders"
        )
        rows, row_hashes, crcs = cur.fetchone()
    assert rows == 2 and row_hashes > 0 and crcs > 0
