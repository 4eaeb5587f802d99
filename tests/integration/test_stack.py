import json
import subprocess
import sys
from pathlib import Path

import pymysql
import pytest

from pocflow.connections import connect

pytestmark = pytest.mark.integration
POCFLOW = str(Path(sys.executable).parent / "pocflow")


def test_every_component_is_healthy(stack):
    status = stack.status()
    assert {s.name for s in status} >= {"source-mysql", "etcd", "vtctld", "vtgate", "vttablet-100",
                                        "vttablet-101", "vttablet-200", "vttablet-201", "vttablet-202", "vttablet-203"}
    assert [s.name for s in status if not s.healthy] == []


def test_a_second_up_changes_nothing(stack):
    before = {s.name: s.pid for s in stack.status()}
    stack.up()
    assert {s.name: s.pid for s in stack.status()} == before


def test_status_json_from_the_command_line(stack):
    out = subprocess.run([POCFLOW, "stack", "status", "--json"], capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)
    assert all(r["healthy"] for r in rows) and all(isinstance(r["port"], int) for r in rows)


def test_env_prints_exports_a_shell_can_use(stack):
    out = subprocess.run(["bash", "-c", f'eval "$({POCFLOW} stack env)" && vtctldclient --server "$VTCTLD_SERVER" '
                          'GetKeyspaces && mariadb-vtgate -N -e "SELECT 1"'],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"name": "shop"' in out.stdout and out.stdout.strip().endswith("1")


def variables(endpoint, names):
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SELECT variable_name, variable_value FROM information_schema.global_variables "
                    "WHERE variable_name IN (" + ",".join(["%s"] * len(names)) + ")", [n.upper() for n in names])
        return {k.lower(): v for k, v in cur.fetchall()}


def test_source_is_a_real_import_source(source_readonly):
    v = variables(source_readonly, ["version", "log_bin", "binlog_format", "binlog_row_image", "server_id",
                                    "gtid_strict_mode", "binlog_expire_logs_seconds", "sql_mode"])
    assert v["version"].startswith("10.11") and "MariaDB" in v["version"]
    assert (v["log_bin"], v["binlog_format"], v["binlog_row_image"]) == ("ON", "ROW", "FULL")
    assert int(v["server_id"]) > 0 and v["gtid_strict_mode"] == "ON"
    assert int(v["binlog_expire_logs_seconds"]) >= 172800
    assert "NO_ZERO_DATE" in v["sql_mode"] and "ANSI_QUOTES" not in v["sql_mode"]


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
