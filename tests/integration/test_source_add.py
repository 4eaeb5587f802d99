"""A customer's schema-only dump becomes a source database of the stack and runs a whole engagement; bad dumps are
refused in one line and leave the source's other databases as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from pocflow.connections import connect
from pocflow.engagement import PROJECT_ROOT
from pocflow.local.airflow.env import dags_test
from pocflow.sql import quote_identifier as q

pytestmark = pytest.mark.integration

SCRATCH = "pf_customer_scratch"
ADDED = "pf_customer"
SCHEMA = [
    "CREATE TABLE accounts (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(80) NOT NULL, "
    "plan ENUM('free','team','enterprise') NOT NULL, features SET('sso','audit','api') NULL, "
    "parent_id INT UNSIGNED NULL, settings JSON NULL, created_at DATETIME NOT NULL, "
    "UNIQUE KEY uk_email (email), CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES accounts (id))",
    "CREATE TABLE projects (account_id INT UNSIGNED NOT NULL, project_no SMALLINT NOT NULL, "
    "name VARCHAR(40) NOT NULL, budget DECIMAL(10,2) NOT NULL, "
    "slug VARCHAR(60) AS (LOWER(name)) VIRTUAL, PRIMARY KEY (account_id, project_no), "
    "CONSTRAINT fk_account FOREIGN KEY (account_id) REFERENCES accounts (id))",
    "CREATE TABLE tasks (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, account_id INT UNSIGNED NOT NULL, "
    "project_no SMALLINT NOT NULL, title VARCHAR(120) CHARACTER SET utf8mb4 NOT NULL, done TINYINT(1) NOT NULL, "
    "due DATE NULL, payload JSON NOT NULL, KEY ix_project (account_id, project_no), "
    "CONSTRAINT fk_project FOREIGN KEY (account_id, project_no) REFERENCES projects (account_id, project_no))",
]


def pocflow(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "POCFLOW_EXTENSIONS": "pocflow.local"}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from pocflow.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=600,
    )


def schemas_and_checksums(admin) -> dict[str, object]:
    """Every user table of the source server with its CHECKSUM, keyed schema.table (Vitess's sidecar left out)."""
    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema', '_vt')"
        )
        out = {}
        for schema, table in cur.fetchall():
            cur.execute(f"CHECKSUM TABLE {q(schema)}.{q(table)}")
            out[f"{schema}.{table}"] = cur.fetchone()[1]
        cur.execute("SELECT schema_name FROM information_schema.schemata")
        out["schemas"] = sorted(r[0] for r in cur.fetchall())
        return out


def remove(name: str) -> None:
    pocflow("source", "remove", name, "--approve")
    (PROJECT_ROOT / "include" / "engagements" / f"{name.replace('_', '-')}.yaml").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def dump(stack, source_admin, tmp_path_factory):
    """A schema unknown to the stack, written by `mysqldump --no-data` and dropped again from the source."""
    admin = source_admin.with_database(None)
    remove(ADDED)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        cur.execute(f"CREATE DATABASE {SCRATCH}")
        cur.execute(f"USE {SCRATCH}")
        for statement in SCHEMA:
            cur.execute(statement)
    path = tmp_path_factory.mktemp("dump") / "customer.sql"
    proc = subprocess.run(
        [
            str(stack.config.mysql_bin / "mysqldump"),
            "--no-data",
            "--routines",
            "--triggers",
            "-h",
            admin.host,
            "-P",
            str(admin.port),
            "-u",
            admin.user,
            SCRATCH,
        ],
        env={**os.environ, "MYSQL_PWD": admin.password},
        capture_output=True,
        text=True,
    )
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE {SCRATCH}")
    assert proc.returncode == 0, proc.stderr
    path.write_text(proc.stdout)
    yield path
    remove(ADDED)


@pytest.fixture(scope="module")
def added(dump, source_admin):
    before = schemas_and_checksums(source_admin)
    proc = pocflow("source", "add", "--database", ADDED, "--from-dump", str(dump), "--scale-rows", "1000")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, before


def test_the_dump_is_loaded_with_generated_rows_and_fronted_by_a_tablet(added, source_admin):
    proc, before = added
    assert f"engagement_name: {ADDED.replace('_', '-')}" in proc.stdout
    assert (PROJECT_ROOT / "include" / "engagements" / "pf-customer.yaml").exists()
    assert "left out the dump's SQL_LOG_BIN and GTID_PURGED lines" in proc.stderr
    with connect(source_admin.with_database(ADDED)) as conn, conn.cursor() as cur:
        counts = {}
        for table in ("accounts", "projects", "tasks"):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM tasks t LEFT JOIN projects p USING (account_id, project_no) "
            "WHERE p.account_id IS NULL"
        )
        orphans = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM tasks WHERE JSON_VALID(payload)")
        valid_json = cur.fetchone()[0]
    assert counts == {"accounts": 1000, "projects": 1000, "tasks": 1000}
    assert orphans == 0 and valid_json == 1000
    listed = json.loads(pocflow("source", "list", "--json").stdout)
    assert any(r["database"] == ADDED and r["keyspace"] == f"{ADDED}_source" for r in listed)
    after = schemas_and_checksums(source_admin)
    assert {k: v for k, v in after.items() if not k.startswith(f"{ADDED}.") and k != "schemas"} == {
        k: v for k, v in before.items() if k != "schemas"
    }


def test_the_whole_engagement_runs_on_the_added_database_and_ends_with_a_report(added):
    proc = dags_test(conf={"engagement_file": "pf-customer.yaml"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "DagRun Finished: dag_id=poc_engagement" in out and "state=success" in out
    import re
    from pathlib import Path

    folder = Path(re.search(r"sharding-plan result: (\S+)", out).group(1)).parent
    assert (folder / "report.html").exists() and (folder / "report.json").exists()
    validation = json.loads((folder / "validation.json").read_text())
    assert validation["passed"], validation
    assert {t["table"]: t["status"] for t in validation["tables"]} == {
        "accounts": "match",
        "projects": "match",
        "tasks": "match",
    }


def engagement_choices(api) -> list:
    """The engagement files the poc_engagement form offers (those found when the DAG was last parsed)."""
    params = api.ok("GET", "/api/v2/dags/poc_engagement/details")["params"]
    return params["engagement_file"]["schema"].get("enum") or []


def test_the_added_engagement_runs_from_the_airflow_form_too(added, airflow_api):
    api = airflow_api("poc_engagement")
    # The form lists the engagement files found when the DAG was parsed: a new file appears at the next parse.
    deadline = time.monotonic() + 180
    while "pf-customer.yaml" not in engagement_choices(api):
        assert time.monotonic() < deadline, f"pf-customer.yaml not offered by the form: {engagement_choices(api)}"
        time.sleep(5)
    run_id = api.trigger({"engagement_file": "pf-customer.yaml"})
    api.wait(run_id, lambda r, s: r["state"] == "success", "the engagement run from the form")
    states = api.task_states(run_id)
    assert all(state == "success" for task, state in states.items() if task != "customer_decision"), states


BAD_DUMPS = {
    "syntax": (
        "CREATE TABLE ok (id INT PRIMARY KEY);\n\nCREATE TABLE broken (\n  id INT PRIMARY KEY,\n"
        "  name VARCHAR(10) NOT NULL DEFALT 'x'\n);\n",
        "bad.sql line 5: You have an error in your SQL syntax",
    ),
    "super": (
        "CREATE TABLE ok (id INT PRIMARY KEY);\nSET GLOBAL max_connections = 1000;\n",
        "bad.sql line 2: `SET GLOBAL max_connections ...` cannot be loaded: SET GLOBAL needs SUPER",
    ),
    "exists": (
        "CREATE TABLE ok (id INT PRIMARY KEY);\n",
        "database `pf_existing` already exists on the local source; nothing was changed",
    ),
    "built-in": ("CREATE TABLE ok (id INT PRIMARY KEY);\n", "`shop` is a built-in source database of the local stack"),
    "other database": (
        "CREATE TABLE ok (id INT PRIMARY KEY);\nINSERT INTO shop.customers (id) VALUES (1);\n",
        "bad.sql line 2: the dump writes to database `shop`, not `pf_bad`",
    ),
}


@pytest.mark.parametrize("kind", BAD_DUMPS)
def test_a_bad_dump_is_one_clear_line_and_changes_nothing(kind, stack, sample, source_admin, tmp_path):
    text, message = BAD_DUMPS[kind]
    (tmp_path / "bad.sql").write_text(text)
    database = {"exists": "pf_existing", "built-in": "shop"}.get(kind, "pf_bad")
    admin = source_admin.with_database(None)
    if kind == "exists":
        with connect(admin) as conn, conn.cursor() as cur:
            cur.execute("CREATE DATABASE IF NOT EXISTS pf_existing")
            cur.execute("CREATE TABLE IF NOT EXISTS pf_existing.kept (id INT PRIMARY KEY)")
    try:
        before = schemas_and_checksums(source_admin)
        proc = pocflow("source", "add", "--database", database, "--from-dump", str(tmp_path / "bad.sql"))
        after = schemas_and_checksums(source_admin)
    finally:
        with connect(admin) as conn, conn.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS pf_existing")
    assert proc.returncode == 2, proc.stderr
    # progress lines may come first; the refusal is one line, and the last
    assert message in proc.stderr.strip().splitlines()[-1] and "Traceback" not in proc.stderr, proc.stderr
    assert after == before
    assert not any(r["database"] == "pf_bad" for r in json.loads(pocflow("source", "list", "--json").stdout))
