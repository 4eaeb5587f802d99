"""Validation of the ledger as mapped Airflow tasks under a real scheduler (LocalExecutor, parallelism 2)
against the same validation as one task, both runs of the engagement DAG (dags/poc_engagement.py) in one
Airflow standalone of the bench's own.

Both sides are the DAG's validation tasks: ``validation_plan``, ``validate_part`` mapped over the plan's parts,
``validation`` merging them. The mapped side cuts the ledger into key ranges of ``validation.rows_per_part``
rows, with the checks made once per table as a part of their own; the single side sets ``rows_per_part`` to 0,
so the whole table is one part, one ``validate_part`` task. Everything else (the scheduler, the executor, the
plan, the VDiff that runs beside the comparison, the merge) is the same on both sides. The time compared is the
validation's span, from ``validation_plan``'s start to ``validation``'s end as the task instances record them;
the rest of each DAG run (assessment, the import's reattachment, testing, review) is not in it. Every run's
validation result must be the same (rows compared, differences).

    python -m bench.mapped [--rows 10000000] [--repetitions 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import yaml

from bench import ledger
from bench.protocol import alternate
from bench.results import Result, measured
from pocflow.engagement import ValidationSettings, from_inputs
from pocflow.local.airflow.env import airflow_env
from pocflow.local.airflow.standalone import StandaloneAirflow
from pocflow.stages import RunResults
from pocflow.stages.validation import PLAN, vdiff_uuid
from pocflow.vitess.movetables import VDiff

NAME = "mapped validation"
"""This benchmark's result (bench/results/<NAME>.json)."""

DAG = "poc_engagement"
PARALLELISM = 2
PARTS = 5
"""The 10M-row ledger at the default rows_per_part (2,000,000) is 5 key ranges; a smaller ledger is cut as often."""
PORT = int(os.environ.get("POCFLOW_BENCH_AIRFLOW_PORT", "18081"))
RUN_TIMEOUT = 3600
GOAL = 1.0  # mapped at least as fast as one task


def mapped_rows_per_part(rows: int) -> int:
    """The engagement's default, or less for a ledger under ``PARTS`` times it (--quick): as many parts as at 10M."""
    return min(ValidationSettings().rows_per_part, -(-rows // PARTS))


def conf(rows_per_part: int) -> dict:
    """The bench engagement as trigger-form fields (the form's file choice lists include/engagements/ only,
    where the bench engagement is not), with ``rows_per_part`` set."""
    fields = yaml.safe_load(ledger.ENGAGEMENT_FILE.read_text())
    fields["opt_out_date"] = str(fields["opt_out_date"])
    fields["customer_decision"] = "record" if fields["customer_decision"] else "skip"
    out = {"engagement_file": None, **fields, "rows_per_part": rows_per_part}
    expected = ledger.engagement()
    expected = replace(expected, validation=replace(expected.validation, rows_per_part=rows_per_part))
    assert from_inputs(dict(out)) == expected, "the trigger conf must be the bench engagement"
    return out


class Api:
    """Airflow's REST API v2 with the admin's bearer token."""

    def __init__(self, airflow: StandaloneAirflow):
        self.base = airflow.url
        self.token = airflow.token()

    def call(self, method: str, path: str, body: dict | None = None):
        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')[:2000]}") from None

    def trigger(self, conf: dict) -> str:
        return self.call("POST", f"/api/v2/dags/{DAG}/dagRuns", {"logical_date": None, "conf": conf})["dag_run_id"]

    def task_instances(self, run_id: str) -> list[dict]:
        return self.call("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances?limit=1000")["task_instances"]

    def quiet(self, timeout: float = 300) -> None:
        """The runs of every other DAG ended (the nightly validation runs once as soon as Airflow starts), then
        those DAGs paused (pausing first would leave a running run's tasks unqueued until the scheduler's
        periodic sweep of paused DAGs closes it, minutes later): nothing but the benchmark's runs takes the
        executor's slots or the stack's CPU."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.call("GET", "/api/v2/dags/~/dagRuns?state=queued&state=running&limit=100")["dag_runs"]
            busy = [r["dag_run_id"] for r in runs if r["dag_id"] != DAG]
            if not busy:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"other DAG runs still running after {timeout:.0f}s: {busy}")
            time.sleep(2)
        for d in self.call("GET", "/api/v2/dags?limit=100")["dags"]:
            if d["dag_id"] != DAG:
                self.call("PATCH", f"/api/v2/dags/{d['dag_id']}", {"is_paused": True})

    def wait(self, run_id: str, timeout: float = RUN_TIMEOUT) -> None:
        """Until the run has ended; RuntimeError naming the task states when it failed."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.call("GET", f"/api/v2/dags/{DAG}/dagRuns/{run_id}")["state"]
            if state == "success":
                return
            if state == "failed" or time.monotonic() > deadline:
                states = {f"{t['task_id']}[{t['map_index']}]": t["state"] for t in self.task_instances(run_id)}
                raise RuntimeError(f"run {run_id} {state} (after at most {timeout:.0f}s): {states}")
            time.sleep(2)


@contextmanager
def standalone() -> Iterator[StandaloneAirflow]:
    """Airflow standalone in a fresh home of its own (LocalExecutor, parallelism 2), stopped on the way out."""
    env = airflow_env()
    home = Path(env["AIRFLOW_HOME"]).parent / "airflow-bench"
    shutil.rmtree(home, ignore_errors=True)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW__CORE__PARALLELISM=str(PARALLELISM),
    )
    airflow = StandaloneAirflow(port=PORT, env=env)
    airflow.start()
    try:
        airflow.wait_for_dag(DAG, airflow.token())
        yield airflow
    finally:
        airflow.stop()


def executor(airflow: StandaloneAirflow) -> str:
    """The executor and its parallelism as the scheduler names them when the engagement's tasks finish
    (``executor=LocalExecutor(parallelism=2)`` in its log; the metadata database's job row leaves it empty)."""
    found = re.findall(
        r"TaskInstance Finished: dag_id=" + DAG + r",.*?executor=(\w+\(parallelism=\d+\))", airflow.log_file.read_text()
    )
    return found[-1] if found and len(set(found)) == 1 else f"unclear: {sorted(set(found))}"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    """The largest number of the intervals running at the same moment."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def spans(tis: list[dict]) -> dict:
    """The validation's span and its pieces, from the run's task instances' start and end dates."""
    by_task: dict[str, list[tuple[datetime, datetime]]] = {}
    for t in tis:
        if t["start_date"] and t["end_date"]:
            by_task.setdefault(t["task_id"], []).append((_when(t["start_date"]), _when(t["end_date"])))
    plan, merge, parts = by_task["validation_plan"][0], by_task["validation"][0], by_task["validate_part"]
    ran = [i for intervals in by_task.values() for i in intervals]
    return {
        "validation_seconds": round((merge[1] - plan[0]).total_seconds(), 2),
        "plan_seconds": round((plan[1] - plan[0]).total_seconds(), 2),
        "parts_seconds": round((max(e for _, e in parts) - min(s for s, _ in parts)).total_seconds(), 2),
        "part_task_seconds": sorted(round((e - s).total_seconds(), 1) for s, e in parts),
        "merge_seconds": round((merge[1] - merge[0]).total_seconds(), 2),
        "parts": len(parts),
        "parts_at_once": most_at_once(parts),
        "tasks_at_once": most_at_once(ran),
    }


def outcome(run_id: str, rows_per_part: int) -> dict:
    """What the run's validation found, for the comparison of every run's: per table the status, rows on each
    side and differing rows; VDiff's verdict; whether it passed."""
    e = ledger.engagement()
    e = replace(e, validation=replace(e.validation, rows_per_part=rows_per_part))
    results = RunResults.of(e, run_id)
    v = results.require("validation")
    return {
        "tables": [[t.table, t.status, t.rows_source, t.rows_target, t.differences_total] for t in v.tables],
        "vdiff": sorted((w, r.get("state"), bool(r.get("has_mismatch"))) for w, r in v.vdiff.items()),
        "passed": v.passed,
        "planned_parts": len(results.store.get_json(PLAN)["parts"]),
    }


class Sides:
    """One DAG run per call, on the bench's Airflow: trigger, wait for the run's end, its figures read."""

    def __init__(self, api: Api):
        self.api = api
        self.run_ids: list[str] = []

    def __call__(self, rows_per_part: int) -> dict:
        run_id = self.api.trigger(conf(rows_per_part))
        self.run_ids.append(run_id)
        self.api.wait(run_id)
        return {
            "run_id": run_id,
            "rows_per_part": rows_per_part,
            **spans(self.api.task_instances(run_id)),
            **outcome(run_id, rows_per_part),
        }

    def delete_vdiffs(self) -> None:
        """The VDiffs the runs started (one per run and workflow) are deleted from the target's tablets."""
        ctx = ledger.context()
        vdiff = VDiff(ctx.vtctld, ledger.workflow_name(), ctx.engagement.target.keyspace)
        for run_id in self.run_ids:
            for attempt in range(50):  # a VDiff that ended in error was replaced by the next attempt's
                uuid = vdiff_uuid(ctx.engagement.name, run_id, vdiff.workflow, attempt)
                if vdiff.state(uuid) is None:
                    break
                vdiff.delete(uuid)


def check(mapped: list[dict], single: list[dict], rows: int) -> None:
    """Every run found the same (the ledger's rows compared on both sides, no difference); the mapped side
    was cut into parts, the single side was one; never more than ``PARALLELISM`` tasks ran at once."""
    assert all(r["parts"] > 1 for r in mapped) and all(r["parts"] == 1 for r in single), (mapped, single)
    runs = mapped + single
    first = {k: runs[0][k] for k in ("tables", "vdiff", "passed")}
    for r in runs:
        assert {k: r[k] for k in first} == first, f"run {r['run_id']} found other results: {r} vs {first}"
        assert r["tasks_at_once"] <= PARALLELISM, f"run {r['run_id']}: {r['tasks_at_once']} tasks at once"
        assert r["parts"] == r["planned_parts"], r
    table = first["tables"][0]
    assert table[2] == table[3] == rows and table[4] == 0 and first["passed"], first


def run(rows: int, repetitions: int = 3) -> Result:
    """Mapped and single validation runs alternated, ``repetitions`` each, on the imported ledger."""
    ledger.ensure_imported(rows)
    per_part = mapped_rows_per_part(rows)
    with standalone() as airflow:
        api = Api(airflow)
        api.quiet()
        call = Sides(api)
        try:
            c = alternate(lambda: call(per_part), lambda: call(0), repetitions=repetitions)
        finally:
            call.delete_vdiffs()
        used = executor(airflow)
    assert used == f"LocalExecutor(parallelism={PARALLELISM})", f"the tasks ran on {used}"
    span = c.by("validation_seconds", higher_is_better=False)
    parts = c.by("parts_seconds", higher_is_better=False)
    mapped, single = c.runs_of("pocflow"), c.runs_of("baseline")
    check(mapped, single, rows)
    n_parts = mapped[0]["parts"]
    n_ranges = n_parts - 1  # and the table's checks, a part of their own
    return Result(
        name=NAME,
        metric="one task's validation span / mapped tasks' span",
        pocflow=(
            f"{rows:,} rows in {n_parts} mapped validate_part tasks: {n_ranges} key ranges of about "
            f"{per_part:,} rows and the table's checks ({used}); the parts alone {parts.pocflow.show()}, "
            f"at most {max(r['parts_at_once'] for r in mapped)} at once"
        ),
        baseline=(
            f"the same DAG with rows_per_part 0: the whole table in one validate_part task; "
            f"the part alone {parts.baseline.show()}"
        ),
        ratio=span.ratio,
        goal=f"mapped at least as fast as one task on {os.cpu_count()} cores",
        met=span.met(GOAL),
        command=f"python -m bench.mapped --rows {rows} --repetitions {repetitions}",
        details={
            "rows": rows,
            "rows_per_part": per_part,
            "parts": n_parts,
            "executor": used,
            "parallelism": PARALLELISM,
            "mapped": mapped,
            "single": single,
            "parts_ratio": round(parts.ratio, 2),
            "worst_ratio": round(span.worst_ratio, 2),
            "gap": "the checks made once per table (schema, aggregates over the whole table, Great "
            "Expectations' profile and suite) are one part that does not divide: the mapped side's critical path, "
            "while the key ranges share the second slot. On 2 cores the parts also share the CPU with the source "
            "MySQL, the target's tablets and the VDiff, which the merge waits for on both sides.",
            "note": (
                "Both sides are runs of poc_engagement under one Airflow standalone of the bench's own (scheduler, "
                f"LocalExecutor with parallelism {PARALLELISM}, SQLite; the other DAGs paused), alternated: the "
                f"mapped side at rows_per_part {per_part:,}, the single side at 0 (the whole table one part). The "
                "time is the validation's span, from validation_plan's start to validation's end (task instances' "
                "dates): it includes the scheduling of the parts and the merge's wait for the workflow's VDiff, "
                "which the plan starts and which runs in the target's vttablet beside the comparison on both "
                "sides. 'The parts alone' is the first validate_part's start to the last one's end. Every run "
                "compared the ledger's rows on both sides and found no difference. More workers and cores spread "
                "the key ranges further; the table's checks are one part, whatever the number of ranges."
            ),
        },
        **measured(span),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side")
    args = parser.parse_args()
    result = run(args.rows, args.repetitions)
    result.save()
    print(result.line())


if __name__ == "__main__":
    main()
