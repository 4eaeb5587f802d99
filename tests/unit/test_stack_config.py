
import pytest

from pocflow.stack.config import Ports, StackConfig
from pocflow.stack.source import BINLOG_RETENTION_SECONDS, bootstrap_sql, my_cnf
from pocflow.stack.credentials import Credentials


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


def test_source_server_is_configured_as_an_import_source(tmp_path):
    cnf = my_cnf(StackConfig(state_dir=tmp_path, cache_dir=tmp_path))
    for setting in ("log_bin =", "binlog_format = ROW", "binlog_row_image = FULL", "server_id =",
                    "gtid_strict_mode = ON", "bind-address = 127.0.0.1"):
        assert setting in cnf
    assert "NO_ZERO_DATE" in cnf and "STRICT_TRANS_TABLES" in cnf and "ANSI_QUOTES" not in cnf
    assert BINLOG_RETENTION_SECONDS >= 2 * 24 * 3600
    assert f"binlog_expire_logs_seconds = {BINLOG_RETENTION_SECONDS}" in cnf


def test_readonly_account_is_granted_no_write_privilege():
    sql = bootstrap_sql(Credentials("a", "i", "r"))
    grants = [line for line in sql.splitlines() if line.startswith("GRANT") and "pocflow_ro" in line]
    for grant in grants:
        for write in ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ALL"):
            assert write not in grant
    # Seeing triggers and events takes these privileges; they are limited to the sample database.
    assert any(g.startswith("GRANT TRIGGER, EVENT ON `shop`.*") for g in grants)


def test_import_account_writes_only_to_the_vitess_sidecar():
    sql = bootstrap_sql(Credentials("a", "i", "r"))
    grants = [line for line in sql.splitlines() if line.startswith("GRANT") and "pocflow_import" in line]
    global_grant = next(g for g in grants if " ON *.* " in g)
    for write in ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "ALL"):
        assert write not in global_grant
    assert any("ALL PRIVILEGES ON `_vt`.*" in g for g in grants)


def test_provisioned_tablets_never_take_a_port_of_the_stack(tmp_path):
    import dataclasses

    from pocflow.stack.config import StackConfig

    config = StackConfig(tmp_path / "state", tmp_path / "cache")
    uids = config.free_tablet_uids(12, taken=set(range(300, 306)))
    fixed = {getattr(config.ports, f.name) for f in dataclasses.fields(config.ports)}
    assert 306 not in uids  # 15306 is vtgate's MySQL port
    assert len(uids) == 12 and min(uids) > 305
    assert not {p for uid in uids for p in (15000 + uid, 16000 + uid, 17000 + uid)} & fixed
