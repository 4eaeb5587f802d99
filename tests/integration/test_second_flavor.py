"""A whole engagement from the stack's second source server, the other flavour (MariaDB when the
source is MySQL): assessment, import, validation (VDiff and ours), testing and review through
`airflow dags test`, as on the main source."""

import json
import re
from pathlib import Path

import pytest

from pocflow.local.airflow.env import dags_test
from pocflow.local.stack.config import second_source_keyspace
from pocflow.vitess.movetables import MoveTables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def second_run(stack, second_flavor, second_sample, vtctld):
    workflow = MoveTables(vtctld, f"demo_shop_{second_flavor}", f"shop_from_{second_flavor}")
    workflow.cancel(approved=True)
    conf = {
        "engagement_file": "demo-shop-mariadb.yaml",
        "engagement_name": f"demo-shop-{second_flavor}",
        "source_connection_id": f"pocflow_source_{second_flavor}",
        "source_keyspace": second_source_keyspace(second_flavor),
        "target_keyspace": workflow.target_keyspace,
    }
    proc = dags_test(conf=conf, capture=True)
    yield proc
    workflow.cancel(approved=True)


def stage(proc, name: str) -> dict:
    out = proc.stdout + proc.stderr
    folder = Path(re.search(r"sharding-plan result: (\S+)", out).group(1)).parent
    return json.loads((folder / f"{name}.json").read_text())


def test_the_engagement_succeeds_on_the_second_flavour(second_run):
    out = second_run.stdout + second_run.stderr
    assert second_run.returncode == 0, out[-3000:]
    assert "DagRun Finished: dag_id=poc_engagement" in out and "state=success" in out


def test_the_assessment_reads_the_second_flavour(second_run, second_flavor):
    selected = stage(second_run, "select-database")
    assert selected["inventory"]["flavor"] == second_flavor
    ids = {f["id"] for f in selected["readiness"]["findings"]}
    assert "no-unique-not-null-key" in ids and "generated-column" not in ids
    assert set(selected["readiness"]["excluded"]) == {"events"}


def test_import_and_both_comparisons_match_on_the_second_flavour(second_run, second_flavor):
    imported = stage(second_run, "import")
    assert [w["workflow"] for w in imported["workflows"]] == [f"demo_shop_{second_flavor}"]
    validation = stage(second_run, "validation")
    assert validation["passed"] and validation["mismatched_rows"] == 0
    assert {v["state"] for v in validation["vdiff"].values()} == {"completed"}
    by_table = {t["table"]: t for t in validation["tables"]}
    assert by_table["orders"]["status"] == "match" and by_table["orders"]["rows_target"] > 0
    assert by_table["orders"]["rows_source"] == by_table["orders"]["rows_target"]


def test_testing_runs_the_workload_on_the_second_flavour(second_run):
    testing = stage(second_run, "testing")
    # the same rows on both sides for every query ("slower" is timing on a shared machine, not correctness)
    counts = testing["counts"]
    assert testing["reads_switched"] and counts.get("same", 0) + counts.get("slower", 0) >= 8, counts
    assert not set(counts) - {"same", "slower"}, counts
    assert testing["source_load"]["queries"] > 100 and testing["target_load"]["queries"] > 100
