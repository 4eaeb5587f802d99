"""pocflow operated from Airflow itself: standalone Airflow, a real headless Chromium, and the REST API v2.

One Airflow standalone (conftest.py, shared with the cutover tests) serves the session.
Screenshots land in artifacts/ui/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pocflow.engagement import PROJECT_ROOT
from pocflow.local.airflow.standalone import ADMIN_USER, StandaloneAirflow

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("no_engagement_workflows")]

DAG = "poc_engagement"
RUN_TIMEOUT = 900
SHOTS = PROJECT_ROOT / "artifacts" / "ui"


@pytest.fixture(scope="module")
def api(airflow_api):
    return airflow_api(DAG)


def test_rest_api_refuses_malformed_input_with_the_validation_message(api):
    status, body = api.call(
        "POST",
        f"/api/v2/dags/{DAG}/dagRuns",
        {"logical_date": None, "conf": {"shard_count": 0, "vtctld_address": "no port"}},
    )
    assert status == 400, body
    detail = json.dumps(body)
    assert "Invalid input for param" in detail and ("shard_count" in detail or "vtctld_address" in detail)
    status, body = api.call(
        "POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": None, "conf": {"engagement_file": "no-such.yaml"}}
    )
    assert status == 400 and "engagement_file" in json.dumps(body)
    assert api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns")["total_entries"] == 0  # nothing was started


def login(page, airflow: StandaloneAirflow) -> None:
    page.goto(airflow.url + "/")
    page.locator("input[name=username]").fill(ADMIN_USER)
    page.locator("input[name=password]").fill(airflow.password())
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=30_000)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from pocflow.review.browser import CHROMIUM_ARGS, chromium_path

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_trigger_form(page, airflow):
    page.goto(f"{airflow.url}/dags/{DAG}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Engagement", exact=True).click()
    dialog.locator("#element_customer").wait_for()
    return dialog


def test_the_form_shows_the_refusal_of_invalid_input(airflow, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    login(page, airflow)
    dialog = open_trigger_form(page, airflow)
    dialog.locator("#element_engagement_name").fill("Not A Valid Name")
    dialog.get_by_role("button", name="Trigger").click()
    message = dialog.get_by_text("Invalid input for param engagement_name")
    message.wait_for(timeout=20_000)
    assert "does not match" in dialog.inner_text()
    page.screenshot(path=str(SHOTS / "trigger-form-refusal.png"))
    page.close()


def test_an_sa_triggers_an_engagement_from_the_form_and_watches_it_succeed(airflow, browser, api):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, airflow)
    dialog = open_trigger_form(page, airflow)
    dialog.locator("#element_customer").fill("Example Shop B.V. (from the form)")
    dialog.locator("#element_opt_out_date").fill("2099-12-31")
    page.screenshot(path=str(SHOTS / "trigger-form.png"))
    dialog.get_by_role("button", name="Trigger").click()
    dialog.wait_for(state="hidden", timeout=30_000)

    runs = api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns?order_by=-run_after&limit=1")["dag_runs"]
    assert runs and runs[0]["conf"]["customer"] == "Example Shop B.V. (from the form)"
    run_id = runs[0]["dag_run_id"]
    # watch it in the UI: the run page, reloaded until the run's state badge says success
    page.goto(f"{airflow.url}/dags/{DAG}/runs/{run_id}")
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run = api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}")
        assert run["state"] != "failed", f"run failed: {api.task_states(run_id)}"
        if run["state"] == "success":
            break
        assert time.monotonic() < deadline, f"run not finished in {RUN_TIMEOUT}s: {api.task_states(run_id)}"
        time.sleep(5)
    page.reload()
    page.get_by_text("Recommendation:").first.wait_for(timeout=30_000)  # the run note, shown on the run page
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "engagement-run.png"))
    states = api.task_states(run_id)
    assert all(states[t] == "success" for t in states if t != "customer_decision"), states
    assert states["customer_decision"] == "skipped"  # the demo engagement asks for no decision
    assert run["note"].startswith("Recommendation: ")

    # the review task's "Stage result" link opens the report, behind Airflow's login
    links = api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/opt_out_review/links")
    report = page.goto(airflow.url + links["extra_links"]["Stage result"])
    assert report.status == 200 and "proof of concept" in page.content()
    page.locator("#recommendation").wait_for()
    links = api.ok("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/validation/links")
    page.goto(airflow.url + links["extra_links"]["Stage result"])
    assert "differing row" in page.content() or "VDiff" in page.content()
    assert errors == []
    page.close()


def test_rest_api_runs_an_engagement_and_records_the_customer_decision(airflow, api):
    run = api.ok(
        "POST",
        f"/api/v2/dags/{DAG}/dagRuns",
        {"logical_date": None, "conf": {"customer_decision": "record", "customer": "Example Shop (REST)"}},
    )
    run_id = run["dag_run_id"]
    api.wait(run_id, lambda r, s: s.get("customer_decision") == "awaiting_input", "the decision step")
    # this server defers the import at once (the fixture's settle time 0): the triggerer waited for the copy
    import_logs = Path(airflow.env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"]) / f"dag_id={DAG}" / f"run_id={run_id}"
    worker_log = "".join(p.read_text() for p in import_logs.glob("task_id=import/attempt=1.log"))
    assert "still copying after 0s; the triggerer waits for it" in worker_log, worker_log[-2000:]
    assert list(import_logs.glob("task_id=import/attempt=1.log.trigger.*.log")), "the import was not deferred"
    # A person answers after reading; an answer within a second of the task parking races the executor's
    # report of that first execution in Airflow 3.3.2 (the scheduler then fails the resumed task).
    time.sleep(10)
    path = f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/customer_decision/-1/hitlDetails"
    detail = api.ok("GET", path)
    assert detail["options"] == ["Proceed", "Proceed with conditions", "Opt out"]
    assert "recommendation:" in detail["subject"] and "Example Shop (REST)" in detail["subject"]
    assert "comment" in detail["params"]
    # the request links to the report, served behind Airflow's login
    import re

    link = re.search(r"\[open the report\]\((/pocflow/runs/[^)]+)\)", detail["body"]).group(1)
    status, page = api.call("GET", link)
    assert status == 200 and "proof of concept" in page and 'id="decision"' in page
    # a worker slot is not held while waiting: the task is parked, not running
    assert api.task_states(run_id)["customer_decision"] == "awaiting_input"
    api.ok(
        "PATCH",
        path,
        {"chosen_options": ["Proceed with conditions"], "params_input": {"comment": "fix the cross-shard join first"}},
    )
    run = api.wait(run_id, lambda r, s: r["state"] == "success", "run success", timeout=120)
    assert "Customer decision: proceed with conditions by admin" in run["note"], run["note"]
    assert "fix the cross-shard join first" in run["note"]
    assert f"](/pocflow/runs/{DAG}/" in run["note"]  # the note links to the report
    decision_xcom = api.ok(
        "GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/customer_decision/xcomEntries/return_value"
    )["value"]
    decision_xcom = decision_xcom if isinstance(decision_xcom, dict) else json.loads(decision_xcom)
    report_json = Path(decision_xcom["artifact"]).with_name("report.json")
    recorded = json.loads(report_json.read_text())["decision"]
    assert (recorded["status"], recorded["outcome"], recorded["by"]) == (
        "recorded",
        "proceed with conditions",
        ADMIN_USER,
    )
    assert "Customer decision: proceed with conditions by admin" in report_json.with_name("report.html").read_text()
