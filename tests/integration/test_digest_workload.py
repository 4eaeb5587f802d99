"""An engagement that names no workload files, on the MySQL source: the testing stage replays and
loads the SELECTs the source sampled per statement digest (performance_schema), and says so."""

import json
import re
from pathlib import Path

import pytest

from pocflow.connections import connect
from pocflow.local.airflow.env import dags_test
from pocflow.vitess.movetables import MoveTables

pytestmark = pytest.mark.integration

PROBE = "SELECT p.sku AS digest_probe, p.name FROM products p WHERE p.id = %s"


@pytest.fixture(scope="module")
def digest_run(stack, sample, source_admin, vtctld):
    if stack.config.source_flavor != "mysql":
        pytest.skip("query samples per digest are MySQL's (MariaDB keeps none); the stack's source is MariaDB")
    workflow = MoveTables(vtctld, "demo_shop_digests", "shop_digests")
    workflow.cancel(approved=True)
    # The application's traffic, as the source's performance_schema records it.
    with connect(source_admin) as conn, conn.cursor() as cur:
        for i in range(1, 61):
            cur.execute(PROBE, (i,))
            cur.execute("SELECT id, email FROM customers WHERE id = %s", (i,))
    proc = dags_test(conf={"engagement_file": "demo-shop-digests.yaml"}, capture=True)
    yield proc
    workflow.cancel(approved=True)


def stage(proc, name: str) -> dict:
    folder = Path(re.search(r"sharding-plan result: (\S+)", proc.stdout + proc.stderr).group(1)).parent
    return json.loads((folder / f"{name}.json").read_text())


def test_the_engagement_without_workload_files_succeeds(digest_run):
    out = digest_run.stdout + digest_run.stderr
    assert digest_run.returncode == 0, out[-3000:]
    assert "the engagement names no workload files; the workload is" in out


def test_the_source_digests_carry_runnable_samples(digest_run):
    digests = stage(digest_run, "select-database")["inventory"]["digests"]
    probes = [d for d in digests if "digest_probe" in d["sample_text"]]
    assert probes and probes[0]["count"] >= 60 and "?" not in probes[0]["sample_text"]


def test_testing_replays_and_loads_the_sampled_queries(digest_run):
    testing = stage(digest_run, "testing")
    assert testing["workload_source"] == "source digests" and testing["reads_switched"]
    replayed = {q["name"]: q for q in testing["replay"]}
    probe = [q for q in replayed.values() if "digest_probe" in q["sql"]]
    assert probe and probe[0]["classification"] == "same" and probe[0]["name"].startswith("digest-")
    assert testing["source_load"]["queries"] > 50 and testing["target_load"]["queries"] > 50
    assert set(testing["target_load"]["classes"]) <= set(replayed)


def test_the_sharding_plan_and_the_report_say_where_the_queries_came_from(digest_run):
    assert stage(digest_run, "sharding-plan")["queries_considered"] > 0
    review = stage(digest_run, "opt-out-review")
    text = json.dumps(review)
    assert "sampled per statement digest" in text
