import json
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from pocflow.connections import Endpoint, connect

pytestmark = pytest.mark.integration
POCFLOW = str(Path(sys.executable).parent / "pocflow")


def test_every_component_is_healthy(stack):
    status = stack.status()
    assert {s.name for s in status} >= {
        "source-mysql",
        "source-mariadb",
        "etcd",
        "vtctld",
        "vtgate",
        "vttablet-100",
        "vttablet-101",
        "vttablet-200",
        "vttablet-201",
        "vttablet-202",
        "vttablet-203",
        "vttablet-210",
    }
    assert [s.name for s in status if not s.healthy] == []


def test_a_second_up_changes_nothing(stack):
    before = {s.name: s.pid for s in stack.status()}
    stack.up()
    assert {s.name: s.pid for s in stack.status()} == before


def test_status_json_from_the_command_line_names_each_source_flavour_and_version(stack):
    out = subprocess.run([POCFLOW, "stack", "status", "--json"], capture_output=True, text=True, check=True)
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert all(r["healthy"] for r in rows.values()) and all(isinstance(r["port"], int) for r in rows.values())
    assert (rows["source-mysql"]["flavor"], rows["source-mysql"]["version"][:4]) == ("mysql", "9.7.")
    assert (rows["source-mariadb"]["flavor"], rows["source-mariadb"]["version"][:6]) == ("mariadb", "10.11.")
    # each source tablet says which server it fronts
    assert rows["vttablet-200"]["flavor"] == stack.config.source_flavor
    assert rows["vttablet-210"]["flavor"] == stack.config.second_source_flavor
    assert rows["vtgate"]["flavor"] is None


def test_a_running_stack_refuses_another_source_flavour_before_changing_anything(stack):
    before = {s.name: s.pid for s in stack.status()}
    other = stack.config.second_source_flavor
    out = subprocess.run([POCFLOW, "stack", "up", "--source-flavor", other], capture_output=True, text=True)
    assert out.returncode == 2 and "stop it first with `pocflow stack down`" in out.stderr
    assert {s.name: s.pid for s in stack.status()} == before


def test_env_prints_exports_a_shell_can_use(stack):
    out = subprocess.run(
        [
            "bash",
            "-c",
            f'eval "$({POCFLOW} stack env)" && vtctldclient --server "$VTCTLD_SERVER" '
            'GetKeyspaces && mariadb-vtgate -N -e "SELECT 1"',
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert '"name": "shop"' in out.stdout and out.stdout.strip().endswith("1")


def variables(endpoint, names):
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN (" + ",".join(["%s"] * len(names)) + ")", names)
        return {k.lower(): v for k, v in cur.fetchall()}


COMMON = [
    "version",
    "log_bin",
    "binlog_format",
    "binlog_row_image",
    "server_id",
    "binlog_expire_logs_seconds",
    "sql_mode",
    "performance_schema",
]


def assert_import_source(v):
    assert (v["log_bin"], v["binlog_format"], v["binlog_row_image"], v["performance_schema"]) == (
        "ON",
        "ROW",
        "FULL",
        "ON",
    )
    assert int(v["server_id"]) > 0 and int(v["binlog_expire_logs_seconds"]) >= 172800
    assert "NO_ZERO_DATE" in v["sql_mode"] and "ANSI_QUOTES" not in v["sql_mode"]


def test_the_mysql_source_is_a_real_import_source(env):
    ro = Endpoint.from_dsn(env["POCFLOW_SOURCE_MYSQL_READONLY_DSN"])
    v = variables(ro, COMMON + ["gtid_mode", "enforce_gtid_consistency", "version_comment"])
    assert v["version"].startswith("9.7.") and "MariaDB" not in v["version"] + v["version_comment"]
    assert (v["gtid_mode"], v["enforce_gtid_consistency"]) == ("ON", "ON")
    assert_import_source(v)
    # the read-only account logs in with MySQL's default plugin, caching_sha2_password, over TCP
    with connect(ro) as conn, conn.cursor() as cur:
        cur.execute("SELECT plugin FROM mysql.user WHERE user = %s", (ro.user,))
        assert cur.fetchone()[0] == "caching_sha2_password"


def test_the_mariadb_source_is_a_real_import_source(env):
    v = variables(Endpoint.from_dsn(env["POCFLOW_SOURCE_MARIADB_READONLY_DSN"]), COMMON + ["gtid_strict_mode"])
    assert v["version"].startswith("10.11") and "MariaDB" in v["version"] and v["gtid_strict_mode"] == "ON"
    assert_import_source(v)


def test_readonly_account_cannot_write(source_readonly, sample):
    with connect(source_readonly) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM customers")
        assert cur.fetchone()[0] > 0
        with pytest.raises(pymysql.err.OperationalError) as err:
            cur.execute("UPDATE customers SET country = 'XX' WHERE id = 1")
        assert err.value.args[0] == 1142  # command denied


def test_import_account_cannot_change_customer_data(source_import, sample):
    with connect(source_import) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        with pytest.raises(pymysql.err.OperationalError) as err:
            cur.execute("DELETE FROM orders WHERE id = 1")
        assert err.value.args[0] == 1142


def test_vtgate_serves_both_keyspaces(vtgate):
    with connect(vtgate.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        names = {r[0] for r in cur.fetchall()}
    assert {"shop", "shop_source"} <= names
