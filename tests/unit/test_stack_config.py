import pytest

from pocflow.local.stack.config import SOURCE_DATABASES, Ports, StackConfig
from pocflow.local.stack.credentials import Credentials
from pocflow.local.stack.source import BINLOG_RETENTION_SECONDS, SOURCE_SERVERS, SourceMariaDB, SourceMySQL

FLAVORS = sorted(SOURCE_SERVERS)


def server(tmp_path, flavor, **kwargs):
    return SOURCE_SERVERS[flavor](
        StackConfig(state_dir=tmp_path, cache_dir=tmp_path), port=13306, databases=tuple(SOURCE_DATABASES), **kwargs
    )


def bootstrap_sql(tmp_path, flavor="mysql"):
    return server(tmp_path, flavor, writable_database="shop_cutover").bootstrap_sql(Credentials("a", "i", "r"))


def test_ports_default_when_environment_is_silent():
    assert Ports.from_env({}) == Ports()


def test_a_port_is_overridden_by_its_environment_variable():
    assert Ports.from_env({"POCFLOW_PORT_VTGATE_MYSQL": "25306"}).vtgate_mysql == 25306


@pytest.mark.parametrize("value, message", [("abc", "not a port"), ("70000", "outside")])
def test_bad_port_values_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        Ports.from_env({"POCFLOW_PORT_SOURCE_MYSQL": value})


def test_two_components_cannot_share_a_port():
    with pytest.raises(ValueError, match="more than once"):
        Ports.from_env({"POCFLOW_PORT_SOURCE_MYSQL": "15306"})


def test_state_and_cache_folders_follow_the_environment(tmp_path):
    cfg = StackConfig.from_env({"POCFLOW_STATE_DIR": str(tmp_path / "s"), "POCFLOW_CACHE_DIR": str(tmp_path / "c")})
    assert cfg.state_dir == tmp_path / "s" and cfg.vitess_bin.is_relative_to(tmp_path / "c")


@pytest.mark.parametrize(
    "flavor, gtids",
    [("mysql", ("gtid_mode = ON", "enforce_gtid_consistency = ON")), ("mariadb", ("gtid_strict_mode = ON",))],
)
def test_source_server_is_configured_as_an_import_source(tmp_path, flavor, gtids):
    cnf = server(tmp_path, flavor).my_cnf()
    for setting in (
        "log_bin =",
        "binlog_format = ROW",
        "binlog_row_image = FULL",
        "server_id =",
        "bind-address = 127.0.0.1",
        "performance_schema = ON",
        *gtids,
    ):
        assert setting in cnf
    assert "NO_ZERO_DATE" in cnf and "STRICT_TRANS_TABLES" in cnf and "ANSI_QUOTES" not in cnf
    assert BINLOG_RETENTION_SECONDS >= 2 * 24 * 3600
    assert f"binlog_expire_logs_seconds = {BINLOG_RETENTION_SECONDS}" in cnf


@pytest.mark.parametrize("flavor", FLAVORS)
def test_readonly_account_is_granted_no_write_privilege(tmp_path, flavor):
    sql = bootstrap_sql(tmp_path, flavor)
    grants = [line for line in sql.splitlines() if line.startswith("GRANT") and "pocflow_ro" in line]
    for grant in grants:
        for write in ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ALL"):
            assert write not in grant
    # Seeing triggers and events takes these privileges; they are limited to the sample database.
    assert any(g.startswith("GRANT TRIGGER, EVENT ON `shop`.*") for g in grants)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_import_account_writes_only_to_the_vitess_sidecar_and_the_cutover_copy(tmp_path, flavor):
    sql = bootstrap_sql(tmp_path, flavor)
    grants = [line for line in sql.splitlines() if line.startswith("GRANT") and "pocflow_import" in line]
    global_grant = next(g for g in grants if " ON *.* " in g)
    for write in ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ALL"):
        assert write not in global_grant
    assert any("ALL PRIVILEGES ON `_vt`.*" in g for g in grants)
    writes = [g for g in grants if "INSERT" in g]
    assert writes == ["GRANT INSERT, UPDATE, DELETE ON `shop_cutover`.* TO 'pocflow_import'@'127.0.0.1';"]


def test_mysql_privileges_have_mysql_names_and_mariadb_privileges_mariadb_names(tmp_path):
    assert "BINLOG MONITOR" not in bootstrap_sql(tmp_path, "mysql")  # no such privilege on MySQL
    assert "REPLICATION CLIENT" in SourceMySQL.import_privileges(None)
    assert "BINLOG MONITOR" in SourceMariaDB.import_privileges(None)


def test_the_mysql_server_runs_from_its_own_root(tmp_path):
    cnf = server(tmp_path, "mysql").my_cnf()
    assert f"basedir = {tmp_path / 'mysql' / 'root' / 'usr'}" in cnf and "secure-file-priv = \n" in cnf


def test_source_flavour_comes_from_the_environment_then_the_last_up(tmp_path):
    env = {"POCFLOW_STATE_DIR": str(tmp_path), "POCFLOW_CACHE_DIR": str(tmp_path / "c")}
    assert StackConfig.from_env(env).source_flavor == "mysql"
    saved = StackConfig.from_env({**env, "POCFLOW_SOURCE_FLAVOR": "mariadb", "POCFLOW_SECOND_SOURCE_FLAVOR": "mysql"})
    saved.save_flavors()
    again = StackConfig.from_env(env)
    assert (again.source_flavor, again.second_source_flavor) == ("mariadb", "mysql")
    assert [t.keyspace for t in again.second_source_tablets] == ["shop_mysql_source"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"POCFLOW_SOURCE_FLAVOR": "postgres"}, "unknown source flavour"),
        ({"POCFLOW_SECOND_SOURCE_FLAVOR": "mysql"}, "other flavour"),
    ],
)
def test_bad_flavours_are_refused(tmp_path, env, message):
    with pytest.raises(ValueError, match=message):
        StackConfig.from_env({"POCFLOW_STATE_DIR": str(tmp_path), **env})


def test_provisioned_tablets_never_take_a_port_of_the_stack(tmp_path):
    import dataclasses

    from pocflow.local.stack.config import StackConfig

    config = StackConfig(tmp_path / "state", tmp_path / "cache")
    uids = config.free_tablet_uids(12, taken=set(range(300, 306)))
    fixed = {getattr(config.ports, f.name) for f in dataclasses.fields(config.ports)}
    assert 306 not in uids  # 15306 is vtgate's MySQL port
    assert len(uids) == 12 and min(uids) > 305
    assert not {p for uid in uids for p in (15000 + uid, 16000 + uid, 17000 + uid)} & fixed


def test_built_in_source_tablets_keep_their_uids_and_ports_and_their_overrides(tmp_path):
    config = StackConfig(tmp_path, tmp_path, ports=Ports.from_env({"POCFLOW_PORT_BENCH_TABLET_GRPC": "26203"}))
    assert [(t.uid, t.keyspace, t.database, t.http_port, t.grpc_port) for t in config.source_tablets] == [
        (200, "shop_source", "shop", 15200, 16200),
        (201, "hostile_source", "hostile_names", 15201, 16201),
        (202, "cutover_source", "shop_cutover", 15202, 16202),
        (203, "bench_source", "bench", 15203, 26203),
    ]


def test_added_source_databases_are_data_with_ports_allocated_from_their_own_range(tmp_path):
    from pocflow.local.stack.config import SourceEntry

    config = StackConfig(tmp_path, tmp_path)
    busy = {15220, 16221}  # in use by something else on the machine
    uid = config.free_source_uid({200, 201, 202, 203, 210}, port_in_use=lambda port: port in busy)
    assert uid == 222
    config.save_added_sources([SourceEntry("acme", "acme_source", uid, origin="/tmp/acme.sql")])
    added = config.source_tablets[4]
    assert (added.uid, added.keyspace, added.database, added.http_port, added.grpc_port) == (
        222,
        "acme_source",
        "acme",
        15222,
        16222,
    )
    assert [e.database for e in config.source_entries()] == ["shop", "hostile_names", "shop_cutover", "bench", "acme"]
    assert config.free_source_uid({222}) == 220
    with pytest.raises(ValueError, match="no free tablet uid"):
        config.free_source_uid(set(range(220, 300)))
