"""Nightly validation of every active engagement, with history and regressions against the night before."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pocflow.artifacts import ArtifactStore
from pocflow.engagement import ENGAGEMENTS_DIR, PROJECT_ROOT, Engagement, EngagementError, from_inputs
from pocflow.quality.diff import RowDifference
from pocflow.stages import RunResults, StageContext, run_stage
from pocflow.stages.import_data import workflow_name
from pocflow.vitess.movetables import MoveTables
from pocflow.vitess.vtctldclient import Vtctld, VtctldError

HISTORY = "validation-history.json"
LAG_GROWTH_SECONDS = 30.0
PROBE_TIMEOUT_SECONDS = 10.0


def known_engagements(today: dt.date | None = None) -> list[Engagement]:
    """Engagements from include/engagements/*.yaml and from runs started through the form."""
    found: dict[str, Engagement] = {}
    for path in sorted(ENGAGEMENTS_DIR.glob("*.yaml")):
        try:
            e = from_inputs(file=path, today=dt.date.min)
        except EngagementError:
            continue
        found[e.name] = e
    for path in sorted((PROJECT_ROOT / "artifacts").glob("*/*/engagement.json")):
        try:
            e = Engagement.from_dict(json.loads(path.read_text()))
        except (KeyError, ValueError, TypeError):
            continue
        found.setdefault(e.name, e)
    return list(found.values())


def is_active(engagement: Engagement, today: dt.date, vtctld_exists: Callable[[Engagement], bool]) -> bool:
    """Opt-out date not passed, and its import workflow exists."""
    return engagement.opt_out_date >= today and vtctld_exists(engagement)


def import_workflow_exists(engagement: Engagement) -> bool:
    # A short timeout: an engagement whose cluster is unreachable from here (another machine, a
    # compose hostname) must not hold up the others; it is simply not active for this night.
    vtctld = Vtctld(engagement.target.vtctld_address, timeout=PROBE_TIMEOUT_SECONDS)
    try:
        return MoveTables(vtctld, workflow_name(engagement), engagement.target.keyspace).exists()
    except (VtctldError, OSError, subprocess.TimeoutExpired):
        return False


def active_engagements(today: dt.date | None = None) -> list[Engagement]:
    today = today or dt.date.today()
    return [e for e in known_engagements() if is_active(e, today, import_workflow_exists)]


@dataclass
class NightlyReport:
    engagement: str
    run_id: str
    passed: bool
    mismatched_rows: int
    regressions: list[str] = field(default_factory=list)
    validation_artifact: str = ""
    history_length: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def history_entry(run_id: str, validation) -> dict:
    return {
        "run_id": run_id,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "passed": validation.passed,
        "mismatched_rows": validation.mismatched_rows,
        "tables": {
            t.table: {
                "status": t.status,
                "differences": t.differences_total,
                "keys": [d.to_dict() for d in t.differences],
            }
            for t in validation.tables
        },
        "lag_seconds": validation.lag_seconds,
        "workflow_states": validation.workflow_states,
    }


def _identity(difference: dict) -> str:
    """A stored difference's kind, key and range: the values of its columns may change from night to night."""
    return json.dumps([difference["kind"], difference.get("key"), difference.get("range")], sort_keys=True)


def regressions(previous: dict | None, current: dict) -> list[str]:
    """What got worse since the previous night: new differing rows, growing lag, a workflow stopped."""
    out = []
    prev_tables = (previous or {}).get("tables", {})
    for table, now in current["tables"].items():
        before = prev_tables.get(table, {"differences": 0, "keys": []})
        known = {_identity(k) for k in before.get("keys", [])}
        new_keys = [k for k in now["keys"] if _identity(k) not in known]
        if now["differences"] > before.get("differences", 0) or new_keys:
            shown = ", ".join(RowDifference.from_dict(k).describe() for k in new_keys[:5])
            out.append(
                f"{table}: {now['differences']} differing row(s), was {before.get('differences', 0)}"
                + (f"; new: {shown}" if shown else "")
            )
    for workflow, state in current["workflow_states"].items():
        if state != "Running":
            out.append(f"workflow {workflow} is not running ({state})")
    prev_lag, lag = (previous or {}).get("lag_seconds"), current.get("lag_seconds")
    if lag is not None and prev_lag is not None and lag > prev_lag + LAG_GROWTH_SECONDS:
        out.append(f"replication lag grew from {prev_lag:.0f}s to {lag:.0f}s")
    return out


def latest_results(store: ArtifactStore, stages: list[str]) -> dict:
    """The most recent run's results of ``stages`` (the run that holds the import)."""
    runs = store.runs_with("import.json")
    if not runs:
        return {}
    latest = RunResults(store.for_run(runs[-1]))
    out = {}
    for stage in stages:
        result = latest.get(stage)
        if result is not None:
            out[stage] = result
    return out


def validate(engagement: Engagement, run_id: str, *, resolve=None, log: Callable[[str], None] = print) -> NightlyReport:
    """Validate one engagement now, against the results of its latest full run; keep the history."""
    kwargs = {"resolve": resolve} if resolve else {}
    ctx = StageContext(engagement, run_id, log=log, **kwargs)
    for stage, earlier in latest_results(ctx.store, ["select-database", "sharding-plan", "import"]).items():
        ctx.results.hold(stage, earlier)
    result, uri = run_stage("validation", ctx)

    history_store = ArtifactStore(engagement.artifacts.location, engagement.name, "history")
    history = history_store.get_json(Path(HISTORY).stem) or []
    entry = history_entry(run_id, result)
    found = regressions(history[-1] if history else None, entry)
    entry["regressions"] = found
    history.append(entry)
    history_store.put_json(Path(HISTORY).stem, history)
    for line in found:
        log(f"REGRESSION {engagement.name}: {line}")
    return NightlyReport(engagement.name, run_id, result.passed, result.mismatched_rows, found, uri, len(history))
