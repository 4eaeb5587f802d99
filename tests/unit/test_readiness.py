import pytest
from inventories import col, inventory, table

from pocflow.source.readiness import BLOCKER, INFO, WARNING, assess

T = table("t", [col("id")])


def ids(inv, severity=None):
    return {(f.id, f.object) for f in assess(inv).findings if severity is None or f.severity == severity}


def finding(inv, id_):
    return next(f for f in assess(inv).findings if f.id == id_)


@pytest.mark.parametrize(
    "server, expected",
    [
        ({"binlog_format": "MIXED"}, "binlog-format-not-row"),
        ({"binlog_format": "STATEMENT"}, "binlog-format-not-row"),
        ({"log_bin": "OFF"}, "binlog-disabled"),
        ({"binlog_row_image": "MINIMAL"}, "binlog-row-image"),
        ({"gtid_mode": "OFF_PERMISSIVE"}, "gtid-mode-off"),
        ({"binlog_expire_logs_seconds": "3600"}, "binlog-retention-short"),
        ({"binlog_expire_logs_seconds": "0", "expire_logs_days": "1"}, "binlog-retention-short"),
        ({"sql_mode": "ANSI_QUOTES,STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE"}, "sql-mode-ansi-quotes"),
        ({"max_connections": "5"}, "max-connections-low"),
        ({"server_id": "0"}, "server-id-zero"),
    ],
)
def test_server_settings_that_stop_an_import_are_blockers(server, expected):
    assert (expected, "server") in ids(inventory([T], server=server), BLOCKER)


def test_a_well_configured_server_has_no_server_blockers():
    assert not [f for f in assess(inventory([T])).findings if f.object == "server" and f.severity == BLOCKER]


def test_binlogs_that_never_expire_are_fine():
    assert ("binlog-retention-short", "server") not in ids(inventory([T], server={"binlog_expire_logs_seconds": "0"}))


def test_zero_dates_allowed_is_a_warning():
    assert ("sql-mode-zero-dates", "server") in ids(inventory([T], server={"sql_mode": "STRICT_TRANS_TABLES"}), WARNING)


def test_mariadb_source_is_noted_and_old_mariadb_blocked():
    old = inventory([T], server={"version": "10.6.12-MariaDB", "version_comment": "mariadb.org"})
    assert ("mariadb-version", "server") in ids(old, BLOCKER) and ("mariadb-source", "server") in ids(old, INFO)


def test_existing_vt_schema_is_a_warning():
    assert ("vt-schema-exists", "server") in ids(inventory([T], schemas=("shop", "_vt")), WARNING)


def test_table_without_a_usable_key_is_a_blocker_and_excluded():
    inv = inventory(
        [T, table("events", [col("at", "datetime"), col("kind", "varchar", nullable=True)], pk=(), uniques=[("kind",)])]
    )
    f = finding(inv, "no-unique-not-null-key")
    assert (f.severity, f.object, f.excludes_table) == (BLOCKER, "shop.events", True)
    assert "allow NULLs" in f.evidence
    assert assess(inv).importable == ["t"] and "events" in assess(inv).excluded


def test_a_not_null_unique_key_is_enough():
    inv = inventory([table("u", [col("code", "varchar")], pk=(), uniques=[("code",)])])
    assert assess(inv).importable == ["u"]


def test_a_functional_unique_key_is_read_but_is_not_a_key_vreplication_can_use():
    # MySQL 8.0.13+: UNIQUE ((lower(email))) has a key part with no column name in information_schema.statistics
    from pocflow.source.inventory import Index

    keyed, only_functional = (
        table("users", [col("id"), col("email", "varchar")]),
        table("tags", [col("name", "varchar")], pk=()),
    )
    keyed.indexes.append(Index("uk_lower_email", True, (None,), False))
    only_functional.indexes.append(Index("uk_lower_name", True, ("name", None), False))
    result = assess(inventory([keyed, only_functional]))
    assert result.importable == ["users"]
    assert finding(inventory([keyed, only_functional]), "no-unique-not-null-key").object == "shop.tags"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"engine": "MyISAM"}, "non-innodb-engine"),
        ({"collation": "sjis_japanese_ci"}, "unsupported-table-charset"),
        ({"partition": "HASH"}, "non-range-partitioning"),
    ],
)
def test_table_blockers_exclude_the_table(kwargs, expected):
    inv = inventory([table("x", [col("id")], **kwargs)])
    assert (expected, "shop.x") in ids(inv, BLOCKER) and assess(inv).excluded.keys() == {"x"}


def test_range_partitioning_is_fine():
    assert assess(inventory([table("x", [col("id")], partition="RANGE")])).importable == ["x"]


def test_too_many_columns():
    inv = inventory([table("wide", [col(f"c{i}", position=i) for i in range(1100)], pk=("c0",))])
    assert ("too-many-columns", "shop.wide") in ids(inv, BLOCKER)


def test_foreign_keys_triggers_and_views_are_warnings():
    inv = inventory([T, table("c", [col("id"), col("t_id")], fks=[("t_id", "t", "id")])], triggers=["trg"], views=["v"])
    assert {("foreign-key", "shop.c"), ("trigger", "shop.trg"), ("view", "shop.v")} <= ids(inv, WARNING)


def test_latin1_column_is_importable_and_noted_for_validation():
    legacy = col("legacy", "varchar", charset="latin1", collation="latin1_swedish_ci")
    inv = inventory([table("c", [col("id"), legacy])])
    r = assess(inv)
    assert r.importable == ["c"] and ("non-utf8mb4-column", "shop.c.legacy") in ids(inv, INFO)
    assert any("shop.c.legacy" in n for n in r.validation_notes)


def test_large_lobs_against_a_small_packet_warn():
    inv = inventory(
        [table("d", [col("id"), col("body", "longblob", nullable=True)])], server={"max_allowed_packet": "4194304"}
    )
    assert ("lob-larger-than-packet", "shop.d.body") in ids(inv, WARNING)


def test_hidden_triggers_are_reported_when_the_account_cannot_see_them():
    inv = inventory([T], own=("SELECT",))
    assert {("triggers-not-visible", "server"), ("events-not-visible", "server")} <= ids(inv, WARNING)


def test_import_user_privileges_are_checked():
    inv = inventory([T])
    inv.import_user = "imp"
    inv.import_user_privileges = {
        "Select_priv": True,
        "Reload_priv": False,
        "Process_priv": True,
        "Repl_slave_priv": True,
        "Repl_client_priv": True,
        "Lock_tables_priv": True,
    }
    f = finding(inv, "import-user-privileges")
    assert f.severity == BLOCKER and "Reload_priv" in f.evidence and "RELOAD" in f.remediation
    inv.import_user_privileges = {}
    assert finding(inv, "import-user-missing").severity == BLOCKER


def test_a_backtick_in_a_table_name_blocks_the_whole_database():
    from pocflow.source.readiness import assess

    inv = inventory([table("orders", [col("id")]), table("back`tick", [col("id"), col("col`umn")])])
    r = assess(inv)
    assert r.importable == [] and set(r.excluded) == {"orders", "back`tick"}
    blocker = next(f for f in r.findings if f.id == "backtick-in-table-name")
    assert blocker.severity == "blocker" and blocker.object == "back`tick" and "RENAME TABLE" in blocker.remediation
    # a backtick in a column name is fine: Vitess reads it
    assert assess(inventory([table("orders", [col("id"), col("col`umn")])])).importable == ["orders"]


MARIADB = {"version": "10.11.6-MariaDB-0+deb12u1", "version_comment": "Debian 12", "gtid_strict_mode": "ON"}


@pytest.mark.parametrize(
    "server, expected, severity",
    [
        ({"gtid_mode": "OFF"}, "gtid-mode-off", BLOCKER),
        ({"gtid_mode": "ON_PERMISSIVE"}, "gtid-mode-off", BLOCKER),
        ({"enforce_gtid_consistency": "WARN"}, "gtid-consistency-not-enforced", BLOCKER),
        ({"enforce_gtid_consistency": "OFF"}, "gtid-consistency-not-enforced", BLOCKER),
        ({"binlog_row_value_options": "PARTIAL_JSON"}, "binlog-row-value-options", WARNING),
        ({"binlog_transaction_compression": "ON"}, "binlog-transaction-compression", INFO),
        ({"sql_generate_invisible_primary_key": "ON"}, "generated-invisible-primary-key", WARNING),
        ({"version": "5.7.44-log"}, "mysql-version", BLOCKER),
        ({"version": "8.0.36"}, "mysql-8.0-end-of-life", INFO),
        ({"version": "9.7.4-2", "version_comment": "(Debian)"}, "mysql-9-source", INFO),
    ],
)
def test_mysql_server_findings(server, expected, severity):
    assert (expected, "server") in ids(inventory([T], server=server), severity)


@pytest.mark.parametrize(
    "server, absent",
    [
        ({"binlog_row_value_options": ""}, "binlog-row-value-options"),
        ({"binlog_transaction_compression": "OFF"}, "binlog-transaction-compression"),
        ({"sql_generate_invisible_primary_key": "OFF"}, "generated-invisible-primary-key"),
        ({"version": "8.4.3"}, "mysql-8.0-end-of-life"),
        ({"version": "8.4.3"}, "mysql-9-source"),
        ({"version": "9.7.4-2"}, "mysql-8.0-end-of-life"),
    ],
)
def test_mysql_settings_that_are_fine_have_no_finding(server, absent):
    assert absent not in {i for i, _ in ids(inventory([T], server=server))}


def test_mysql_9_says_what_it_removed():
    f = finding(inventory([T], server={"version": "9.7.4-2", "version_comment": "(Debian)"}), "mysql-9-source")
    assert "MD5()" in f.evidence and "mysql_native_password" in f.evidence


@pytest.mark.parametrize(
    "server, expected",
    [
        ({}, {("mariadb-source", INFO)}),
        ({"gtid_strict_mode": "OFF"}, {("mariadb-source", INFO), ("mariadb-gtid-strict-mode-off", WARNING)}),
        ({"version": "10.6.12-MariaDB"}, {("mariadb-source", INFO), ("mariadb-version", BLOCKER)}),
    ],
)
def test_mariadb_keeps_its_own_findings_and_gets_none_of_mysqls(server, expected):
    # the MySQL-only settings are absent on MariaDB, and that is no finding
    inv = inventory(
        [T],
        server={
            **MARIADB,
            **server,
            "gtid_mode": None,
            "enforce_gtid_consistency": None,
            "binlog_row_value_options": None,
        },
    )
    flavour_ids = {
        "mariadb-source",
        "mariadb-gtid-strict-mode-off",
        "mariadb-version",
        "gtid-mode-off",
        "gtid-consistency-not-enforced",
        "binlog-row-value-options",
        "mysql-version",
        "mysql-8.0-end-of-life",
        "mysql-9-source",
    }
    assert {(f.id, f.severity) for f in assess(inv).findings if f.id in flavour_ids} == expected


@pytest.mark.parametrize(
    "column, expected",
    [
        (col("v", generated=True, extra="VIRTUAL GENERATED"), ("generated-column", WARNING)),
        (col("u", "timestamp", extra="DEFAULT_GENERATED on update CURRENT_TIMESTAMP"), None),
        (col("h", invisible=True, extra="INVISIBLE"), ("invisible-column", WARNING)),
        (col("e", "vector", column_type="vector(3)", nullable=True), ("vector-column", WARNING)),
    ],
)
def test_column_findings(column, expected):
    inv = inventory([table("t", [col("id"), column])])
    found = {
        (f.id, f.severity)
        for f in assess(inv).findings
        if f.object == f"shop.t.{column.name}"
        and f.id in ("generated-column", "invisible-column", "vector-column", "generated-invisible-primary-key")
    }
    assert found == ({expected} if expected else set())


def test_a_generated_invisible_primary_key_has_its_own_finding_and_remediation():
    gipk = col("my_row_id", extra="auto_increment INVISIBLE", invisible=True, column_type="bigint unsigned")
    inv = inventory([table("legacy", [gipk, col("x", "int", position=2)], pk=("my_row_id",), auto_increment=10)])
    r = assess(inv)
    f = next(f for f in r.findings if f.object == "shop.legacy.my_row_id")
    assert (f.id, f.severity) == ("generated-invisible-primary-key", WARNING)
    assert "ALTER TABLE `legacy` ALTER COLUMN `my_row_id` SET VISIBLE" in f.remediation
    assert "invisible-column" not in {x.id for x in r.findings} and r.importable == ["legacy"]


@pytest.mark.parametrize(
    "server, kept",
    [
        ({"binlog_expire_logs_seconds": "0", "expire_logs_days": "0.000000"}, None),  # MariaDB 10.6+: never expire
        ({"binlog_expire_logs_seconds": "0", "expire_logs_days": "0"}, None),
        ({"binlog_expire_logs_seconds": "0", "expire_logs_days": "1.500000"}, "36"),
        ({"binlog_expire_logs_seconds": "3600", "expire_logs_days": None}, "1"),  # MySQL 9: no expire_logs_days
    ],
)
def test_binlog_retention_reads_both_flavours_variables(server, kept):
    found = [f for f in assess(inventory([T], server=server)).findings if f.id == "binlog-retention-short"]
    assert [f.evidence for f in found] == ([f"binary logs are kept {kept} h"] if kept else [])


def test_a_database_with_nothing_to_import_is_named_with_its_reasons():
    from pocflow.stages.select_database import SelectDatabaseResult, nothing_to_import

    def why(inv):
        return nothing_to_import(SelectDatabaseResult(inv, assess(inv)))

    assert why(inventory([T])) is None
    assert "holds no tables" in why(inventory([]))
    blocked = why(inventory([table("orders", [col("id")]), table("back`tick", [col("id")])]))
    assert "every one is excluded" in blocked and "orders: backtick-in-table-name" in blocked
