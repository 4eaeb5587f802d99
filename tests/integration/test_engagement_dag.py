"""The engagement DAG through Airflow itself: `airflow dags test` with the form's defaults and with a conf."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pocflow.airflow.local import dags_test
from pocflow.engagement import PROJECT_ROOT

pytestmark = pytest.mark.integration
POCFLOW = str(Path(sys.executable).parent / "pocflow")


def run_dir(output: str) -> Path:
    uri = re.search(r"sharding-plan result: (\S+)", output).group(1)
    return Path(uri).parent


def test_dags_test_with_the_form_defaults_runs_the_first_three_stages(stack, sample):
    proc = dags_test(conf={}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "state=success" in out
    folder = run_dir(out)
    assert {p.name for p in folder.glob("*.json")} == {"select-database.json", "provision.json", "sharding-plan.json"}
    assert json.loads((folder / "provision.json").read_text())["already_provisioned"] is True


def test_dags_test_with_a_conf_plans_two_shards(stack, sample):
    proc = dags_test(conf={"engagement_file": "demo-shop-sharded.yaml"}, capture=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    plan = json.loads((run_dir(out) / "sharding-plan.json").read_text())["plan"]
    assert plan["sharded"] and plan["shards"] == ["-80", "80-"]


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
