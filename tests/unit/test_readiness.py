import pytest

from inventories import col, inventory, table
from pocflow.source.readiness import BLOCKER, INFO, WARNING, assess

T = table("t", [col("id")])


def ids(inv, severity=None):
    return {(f.id, f.object) for f in assess(inv).findings if severity is None or f.severity == severity}


def finding(inv, id_):
    return next(f for f in assess(inv).findings if f.id == id_)


@pytest.mark.parametrize("server, expected", [
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
])
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
    inv = inventory([T, table("events", [col("at", "datetime"), col("kind", "varchar", nullable=True)], pk=(),
                                    uniques=[("kind",)])])
    f = finding(inv, "no-unique-not-null-key")
    assert (f.severity, f.object, f.excludes_table) == (BLOCKER, "shop.events", True)
    assert "allow NULLs" in f.evidence
    assert assess(inv).importable == ["t"] and "events" in assess(inv).excluded


def test_a_not_null_unique_key_is_enough():
    inv = inventory([table("u", [col("code", "varchar")], pk=(), uniques=[("code",)])])
    assert assess(inv).importable == ["u"]


@pytest.mark.parametrize("kwargs, expected", [
    ({"engine": "MyISAM"}, "non-innodb-engine"),
    ({"collation": "sjis_japanese_ci"}, "unsupported-table-charset"),
    ({"partition": "HASH"}, "non-range-partitioning"),
])
def test_table_blockers_exclude_the_table(kwargs, expected):
    inv = inventory([table("x", [col("id")], **kwargs)])
    assert (expected, "shop.x") in ids(inv, BLOCKER) and assess(inv).excluded.keys() == {"x"}


def test_range_partitioning_is_fine():
    assert assess(inventory([table("x", [col("id")], partition="RANGE")])).importable == ["x"]


def test_too_many_columns():
    inv = inventory([table("wide", [col(f"c{i}", position=i) for i in range(1100)], pk=("c0",))])
    assert ("too-many-columns", "shop.wide") in ids(inv, BLOCKER)


def test_foreign_keys_triggers_and_views_are_warnings():
    inv = inventory([T, table("c", [col("id"), col("t_id")], fks=[("t_id", "t", "id")])], triggers=["trg"],
                    views=["v"])
    assert {("foreign-key", "shop.c"), ("trigger", "shop.trg"), ("view", "shop.v")} <= ids(inv, WARNING)


def test_latin1_column_is_importable_and_noted_for_validation():
    inv = inventory([table("c", [col("id"), col("legacy", "varchar", charset="latin1", collation="latin1_swedish_ci")])])
    r = assess(inv)
    assert r.importable == ["c"] and ("non-utf8mb4-column", "shop.c.legacy") in ids(inv, INFO)
    assert any("shop.c.legacy" in n for n in r.validation_notes)


def test_large_lobs_against_a_small_packet_warn():
    inv = inventory([table("d", [col("id"), col("body", "longblob", nullable=True)])],
                    server={"max_allowed_packet": "4194304"})
    assert ("lob-larger-than-packet", "shop.d.body") in ids(inv, WARNING)


def test_hidden_triggers_are_reported_when_the_account_cannot_see_them():
    inv = inventory([T], own=("SELECT",))
    assert {("triggers-not-visible", "server"), ("events-not-visible", "server")} <= ids(inv, WARNING)


def test_import_user_privileges_are_checked():
    inv = inventory([T])
    inv.import_user = "imp"
    inv.import_user_privileges = {"Select_priv": True, "Reload_priv": False, "Process_priv": True,
                                  "Repl_slave_priv": True, "Repl_client_priv": True, "Lock_tables_priv": True}
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
