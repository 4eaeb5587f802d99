"""The engagement DAG through Airflow itself: `airflow dags test` with the form's defaults and with a conf."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pocflow.engagement import PROJECT_ROOT
from pocflow.local.airflow.env import dags_test

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]
POCFLOW = str(Path(sys.executable).parent / "pocflow")


def latest_note() -> str | None:
    import sqlite3

    from pocflow.local.airflow.env import airflow_env

    db = sqlite3.connect(Path(airflow_env()["AIRFLOW_HOME"]) / "airflow.db")
    row = db.execute(
        "SELECT n.content FROM dag_run r LEFT JOIN dag_run_note n ON n.dag_run_id = r.id "
        "WHERE r.dag_id = 'poc_engagement' ORDER BY r.id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def run_dir(output: str) -> Path:
    uri = re.search(r"sharding-plan result: (\S+)", output).group(1)
    return Path(uri).parent


STAGE_FILES = {
    "engagement.json",
    "select-database.json",
    "provision.json",
    "sharding-plan.json",
    "import.json",
    "validation.json",
    "testing.json",
    "opt-out-review.json",
    "report.json",
}


SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")


def source_checksums(admin) -> dict[str, int | None]:
    """`CHECKSUM TABLE` of every table in every schema of the source server, keyed schema.table."""
    from pocflow.connections import connect
    from pocflow.sql import quote_identifier as q

    with connect(admin.with_database(None)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            f"AND table_schema NOT IN ({', '.join(['%s'] * len(SYSTEM_SCHEMAS))})",
            SYSTEM_SCHEMAS,
        )
        tables = cur.fetchall()
        sums = {}
        for schema, table in tables:
            cur.execute(f"CHECKSUM TABLE {q(schema)}.{q(table)} EXTENDED")
            sums[f"{schema}.{table}"] = cur.fetchone()[1]
        return sums


@pytest.fixture(scope="module")
def default_run(stack, sample, source_admin):
    """One engagement with the form's defaults, with the source checksummed before and after."""
    before = source_checksums(source_admin)
    proc = dags_test(conf={}, capture=True)
    after = source_checksums(source_admin)
    return proc, before, after


def test_a_whole_engagement_leaves_every_source_table_unchanged(default_run):
    proc, before, after = default_run
    assert proc.returncode == 0
    user_tables = {t for t in before if not t.startswith("_vt.")}
    assert len(user_tables) >= 7  # the shop's tables
    changed = {t for t in user_tables if after.get(t) != before[t]}
    assert changed == set(), f"source tables changed by the engagement: {sorted(changed)}"
    appeared = set(after) - set(before)
    assert all(t.startswith("_vt.") for t in appeared), appeared  # only Vitess's sidecar may appear


def test_no_password_reaches_logs_xcom_artifacts_or_reports(default_run, env):
    import sqlite3

    from pocflow.connections import Endpoint
    from pocflow.local.airflow.env import airflow_env

    proc, _, _ = default_run
    out = proc.stdout + proc.stderr
    secrets = {
        Endpoint.from_dsn(env[k]).password
        for k in ("POCFLOW_SOURCE_ADMIN_DSN", "POCFLOW_SOURCE_READONLY_DSN", "POCFLOW_SOURCE_IMPORT_DSN")
        if k in env
    }
    secrets.discard("")
    assert len(secrets) >= 2
    run_id = re.search(r"run_id=(manual__\S+?),", out).group(1)
    home = Path(airflow_env()["AIRFLOW_HOME"])
    places: dict[str, str] = {"dags test output (task logs)": out}
    for f in (home / "logs").rglob("*"):
        if f.is_file() and run_id.replace(":", "") in str(f).replace(":", ""):
            places[str(f)] = f.read_text(errors="replace")
    db = sqlite3.connect(home / "airflow.db")
    xcoms = db.execute("SELECT task_id, value FROM xcom WHERE run_id = ?", (run_id,)).fetchall()
    assert len(xcoms) >= 8
    places.update({f"xcom {task}": str(value) for task, value in xcoms})
    folder = run_dir(out)
    artifacts = [f for f in folder.iterdir() if f.is_file()]
    assert {f.name for f in artifacts} >= {"report.html", "report.md", "report.json", "engagement.json"}
    places.update({str(f): f.read_text(errors="replace") for f in artifacts})
    leaks = [(where, "***") for where, text in places.items() for secret in secrets if secret in text]
    assert leaks == [], f"passwords found in: {[w for w, _ in leaks]}"


def test_dags_test_with_the_form_defaults_runs_all_seven_stages(default_run, tmp_path):
    proc, _, _ = default_run
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "DagRun Finished: dag_id=poc_engagement" in out and "state=success" in out
    folder = run_dir(out)
    assert {p.name for p in folder.glob("*.json")} == STAGE_FILES
    assert json.loads((folder / "provision.json").read_text())["already_provisioned"] is True
    validation = json.loads((folder / "validation.json").read_text())
    assert validation["passed"] and validation["mismatched_rows"] == 0
    assert "copy: " in out  # the trigger's progress lines reach the task log
    testing = json.loads((folder / "testing.json").read_text())
    assert testing["reads_switched"] and testing["counts"].get("same", 0) + testing["counts"].get("slower", 0) >= 8
    assert testing["target_load"]["queries"] > 100 and testing["source_load"]["queries"] > 100
    review = json.loads((folder / "opt-out-review.json").read_text())
    assert review["recommendation"] in ("proceed", "proceed with conditions", "opt out")
    assert f"RECOMMENDATION: {review['recommendation'].upper()}" in out
    areas = {a["name"]: a["status"] for a in review["scorecard"]["areas"]}
    assert areas["readiness"] == "warn"  # events has no key and stays behind
    assert areas["data validation"] in ("pass", "warn") and areas["import"] == "pass"
    # the report renders in a real browser: charts laid out, no console errors
    from pocflow.review.browser import check_report

    check = check_report(folder / "report.html", tmp_path / "report.png")
    assert check.charts == 2 and check.drawn >= 10 and check.console_errors == []
    assert check.recommendation == review["recommendation"] and (tmp_path / "report.png").stat().st_size > 10_000
    # the run carries the recommendation as its note; the demo asks for no decision
    assert latest_note().splitlines()[:2] == [
        f"Recommendation: {review['recommendation']}",
        "Customer decision: not requested by this engagement",
    ]
    assert review["decision"]["status"] == "not requested"


def test_dags_test_with_a_conf_imports_and_validates_two_shards(stack, sample, source_readonly):
    proc = dags_test(conf={"engagement_file": "demo-shop-sharded.yaml"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    folder = run_dir(out)
    plan = json.loads((folder / "sharding-plan.json").read_text())["plan"]
    assert plan["sharded"] and plan["shards"] == ["-80", "80-"]
    imported = json.loads((folder / "import.json").read_text())
    assert [w["workflow"] for w in imported["workflows"]] == ["demo_shop_sharded"]
    validation = json.loads((folder / "validation.json").read_text())
    assert validation["passed"], validation
    assert {v["state"] for v in validation["vdiff"].values()} == {"completed"}
    by_table = {t["table"]: t for t in validation["tables"]}
    assert by_table["orders"]["status"] == "match" and by_table["orders"]["rows_target"] == 9000
    assert by_table["events"]["status"] == "skipped"
    # Vitess cannot serve the window function across shards: compatibility fails, so does the run
    testing = json.loads((folder / "testing.json").read_text())
    ranked = next(q for q in testing["replay"] if q["name"] == "biggest_orders_ranked")
    assert ranked["classification"] == "unsupported" and "VT12001" in ranked["target"]["error"]
    scatter = {i["name"] for i in testing["insights"] if i["scatter"]}
    assert {"top_products", "revenue_by_country"} <= scatter and "customer_profile" not in scatter
    review = json.loads((folder / "opt-out-review.json").read_text())
    areas = {a["name"]: a["status"] for a in review["scorecard"]["areas"]}
    assert areas["query compatibility"] == "fail" and review["recommendation"] == "opt out"


def test_malformed_conf_is_refused_before_the_run_starts(stack):
    proc = dags_test(conf={"target_keyspace": "a;b"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Invalid input for param target_keyspace: 'a;b' does not match" in out
    assert "validate_engagement" not in out


def test_bad_conf_fails_the_first_task_naming_the_fields(stack):
    proc = dags_test(conf={"opt_out_date": "2001-02-03", "source_database": "a;b"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "opt_out_date: 2001-02-03 is in the past" in out and "source_database: database name 'a;b'" in out
    assert "select-database result" not in out
    assert latest_note() == (
        "Engagement run failed at validate_engagement: open that task's log for the reason and what to do."
    )


def test_stage_commands_print_their_result_as_json(stack, sample):
    proc = subprocess.run(
        [POCFLOW, "sharding-plan", "--engagement", "demo-shop.yaml", "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["plan"]["vschemas"]["shop"]["sharded"] is False
    assert "select-database: no result in this run yet; running it first" in proc.stderr


def test_stage_command_refuses_a_bad_engagement_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("engagement_name: x\nopt_out_date: 1999-01-01\n")
    proc = subprocess.run([POCFLOW, "select-database", "--engagement", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2 and "opt_out_date: 1999-01-01 is in the past" in proc.stderr
    assert "source_database: is required" in proc.stderr
