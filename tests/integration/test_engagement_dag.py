"""The engagement DAG through Airflow itself: `airflow dags test` with the form's defaults and with a conf."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pocflow.airflow.local import dags_test
from pocflow.engagement import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]
POCFLOW = str(Path(sys.executable).parent / "pocflow")


def run_dir(output: str) -> Path:
    uri = re.search(r"sharding-plan result: (\S+)", output).group(1)
    return Path(uri).parent


STAGE_FILES = {"engagement.json", "select-database.json", "provision.json", "sharding-plan.json", "import.json",
               "validation.json"}


def test_dags_test_with_the_form_defaults_runs_the_engagement_through_validation(stack, sample):
    proc = dags_test(conf={}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "DagRun Finished: dag_id=poc_engagement" in out and "state=success" in out
    folder = run_dir(out)
    assert {p.name for p in folder.glob("*.json")} == STAGE_FILES
    assert json.loads((folder / "provision.json").read_text())["already_provisioned"] is True
    validation = json.loads((folder / "validation.json").read_text())
    assert validation["passed"] and validation["mismatched_rows"] == 0
    assert "copy: " in out  # the trigger's progress lines reach the task log


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


def test_bad_conf_fails_the_first_task_naming_the_fields(stack):
    proc = dags_test(conf={"opt_out_date": "2001-02-03", "target_keyspace": "a;b"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "opt_out_date: 2001-02-03 is in the past" in out and "target_keyspace: keyspace name 'a;b'" in out
    assert "select-database result" not in out


def test_stage_commands_print_their_result_as_json(stack, sample):
    proc = subprocess.run([POCFLOW, "sharding-plan", "--engagement", "demo-shop.yaml", "--json"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT)
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
