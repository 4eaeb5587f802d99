"""The opt-out review's scorecard: each area pass / warn / fail with its evidence, and a recommendation.

Pure functions of the earlier stages' results and the engagement's criteria.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from pocflow.engagement import Criteria

PASS, WARN, FAIL = "pass", "warn", "fail"
PROCEED, CONDITIONS, OPT_OUT = "proceed", "proceed with conditions", "opt out"


@dataclass
class Area:
    name: str
    status: str
    evidence: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Scorecard:
    areas: list[Area]
    recommendation: str
    open_problems: list[str]
    opt_out_date: str
    days_left: int
    deadline_warning: str | None

    def area(self, name: str) -> Area:
        return next(a for a in self.areas if a.name == name)

    def to_dict(self) -> dict:
        return {
            "areas": [a.to_dict() for a in self.areas],
            "recommendation": self.recommendation,
            "open_problems": self.open_problems,
            "opt_out_date": self.opt_out_date,
            "days_left": self.days_left,
            "deadline_warning": self.deadline_warning,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Scorecard:
        return cls(
            [Area(**a) for a in d["areas"]],
            d["recommendation"],
            d["open_problems"],
            d["opt_out_date"],
            d["days_left"],
            d.get("deadline_warning"),
        )


def _status(fail: bool, warn: bool) -> str:
    return FAIL if fail else WARN if warn else PASS


def readiness(selected, c: Criteria) -> Area:
    findings = selected.readiness.findings
    blockers = [f for f in findings if f.severity == "blocker"]
    server = [f for f in blockers if f.object == "server"]
    warnings = [f for f in findings if f.severity == "warning"]
    problems = [f"{f.object}: {f.id} ({f.evidence}); {f.remediation}" for f in blockers]
    over = len(blockers) > c.max_blockers
    # A server blocker stops the whole import; a table blocker leaves that table behind.
    return Area(
        "readiness",
        _status(over and bool(server), over and not server),
        [
            f"{len(blockers)} blocker(s) (criterion: at most {c.max_blockers}), {len(warnings)} warning(s)",
            f"{len(selected.importable)} table(s) importable, {len(selected.readiness.excluded)} excluded",
        ],
        problems,
    )


def import_area(imported, validation, c: Criteria) -> Area:
    if imported is None:
        return Area("import", FAIL, ["no import result"], ["run the import stage"])
    states = validation.workflow_states if validation else {}
    lag = validation.lag_seconds if validation else imported.final_lag_seconds
    stopped = [f"workflow {w} is {s}" for w, s in states.items() if s != "Running"]
    slow = lag is not None and lag > c.max_lag_seconds
    copied = (
        f"{len(imported.tables)} table(s) copied in {imported.copy_seconds:.0f}s"
        if any(imported.created.values())
        else f"{len(imported.tables)} table(s) in workflow(s) {', '.join(imported.created)} "
        f"(attached, copy done earlier)"
    )
    evidence = [
        copied,
        f"replication lag {lag if lag is not None else 'n/a'}s (criterion: at most {c.max_lag_seconds:g}s)",
    ]
    problems = stopped + ([f"replication lag {lag}s exceeds {c.max_lag_seconds:g}s"] if slow else [])
    return Area("import", _status(bool(stopped), slow), evidence, problems)


def data_validation(validation, c: Criteria) -> Area:
    if validation is None:
        return Area("data validation", FAIL, ["no validation result"], ["run the validation stage"])
    rows = validation.mismatched_rows
    vdiff_bad = [w for w, v in validation.vdiff.items() if v.get("has_mismatch") or v.get("state") != "completed"]
    gx_failed = [
        f"{e['table']} on {e['side']}: {', '.join(e['failed'])}" for e in validation.expectations if not e["success"]
    ]
    schema = [f"{t}: {p}" for t, ps in validation.schema.items() for p in ps]
    aggregates = [f"{t}: {d}" for t, ds in validation.aggregates.items() for d in ds]
    skipped = [f"{t.table} not validated: {t.reason}" for t in validation.tables if t.status == "skipped"]
    diffs = [
        f"{t.table}: {t.differences_total} differing row(s), e.g. " + ", ".join(d.describe() for d in t.differences[:3])
        for t in validation.tables
        if t.differences_total
    ]
    vdiff_text = ", ".join(
        f"{w} {v.get('state')}{' with mismatches' if v.get('has_mismatch') else ''}"
        for w, v in validation.vdiff.items()
    )
    passed_suites = sum(e["success"] for e in validation.expectations)
    evidence = [
        f"{rows} differing row(s) by our comparison (criterion: at most {c.max_mismatched_rows})",
        f"VDiff: {vdiff_text}",
        f"Great Expectations: {passed_suites}/{len(validation.expectations)} suites passed",
        f"schema parity: {'ok' if not schema else f'{len(schema)} difference(s)'}",
        f"column aggregates (rows, NULLs, MIN/MAX/SUM, distinct keys) compared exactly: "
        f"{'equal' if not aggregates else f'{len(aggregates)} difference(s)'} in "
        f"{len(validation.aggregates)} table(s)",
    ]
    explained = [
        f"{n} differing column value(s) of class {cls} ({tables}): {what}; {todo}"
        for cls, n, tables, what, todo in validation.explained()
    ]
    fail = rows > c.max_mismatched_rows or bool(vdiff_bad) or bool(gx_failed) or bool(aggregates)
    return Area(
        "data validation",
        _status(fail, bool(schema or skipped)),
        evidence,
        explained
        + diffs
        + [f"VDiff found differences in {w}" for w in vdiff_bad]
        + gx_failed
        + aggregates
        + schema
        + skipped,
    )


def compatibility(testing, c: Criteria) -> Area:
    if testing is None or testing.skipped_reason:
        reason = testing.skipped_reason if testing else "no testing result"
        return Area(
            "query compatibility", WARN, [f"not tested: {reason}"], [f"test the workload on the target ({reason})"]
        )
    unsupported = [q for q in testing.replay if q.classification == "unsupported"]
    wrong = [q for q in testing.replay if q.classification in ("different_result", "error_on_target_only")]
    slower = [q for q in testing.replay if q.classification == "slower"]
    warned = [q for q in testing.replay if q.classification == "different_warnings"]
    problems = (
        [f"{q.name}: unsupported by Vitess here ({(q.target.error or '')[:160]}); rewrite it" for q in unsupported]
        + [
            f"{q.name}: {q.classification.replace('_', ' ')}"
            + (
                f" ({q.target.error[:160]})"
                if q.target.error
                else f" (source {q.source.rows} rows, target {q.target.rows} rows)"
            )
            for q in wrong
        ]
        + [
            f"{q.name}: slower on the target in replay ({q.source.milliseconds:.1f} ms -> "
            f"{q.target.milliseconds:.1f} ms)"
            for q in slower
        ]
        + [
            f"{q.name}: same rows, other warnings (source {q.source.warning_codes or 'none'}, target "
            f"{q.target.warning_codes or 'none'}): check for truncation or conversion the application "
            "relies on"
            for q in warned
        ]
    )
    fail = bool(wrong) or len(unsupported) > c.max_unsupported_queries
    return Area(
        "query compatibility",
        _status(fail, bool(unsupported or slower or warned)),
        [
            f"{len(testing.replay)} distinct queries replayed: {testing.counts()}",
            f"workload: {testing.workload_described()}",
            f"unsupported: {len(unsupported)} (criterion: at most {c.max_unsupported_queries})",
        ],
        problems,
    )


def performance(testing, c: Criteria) -> Area:
    if testing is None or testing.skipped_reason or not testing.target_load:
        return Area("performance vs source", WARN, ["not measured"], ["run the workload against the target"])
    regressions, errors = [], []
    for row in testing.p99_comparison():
        delta = row["target_p99_ms"] - row["source_p99_ms"]
        if row["regression_pct"] > c.max_p99_regression_pct and delta > c.p99_regression_floor_ms:
            regressions.append(
                f"{row['class']}: p99 {row['source_p99_ms']:.2f} ms -> {row['target_p99_ms']:.2f} ms "
                f"({row['regression_pct']:+.0f}%)"
            )
        if row["target_errors"]:
            errors.append(f"{row['class']}: {row['target_errors']} error(s) under load")
    t, s = testing.target_load, testing.source_load
    behind = bool(t.target_rate) and t.throughput_qps < 0.9 * t.target_rate
    evidence = [
        f"target {t.throughput_qps:,.0f} q/s vs source {s.throughput_qps:,.0f} q/s "
        f"(target rate {t.target_rate:g}, concurrency {t.concurrency})",
        f"criterion: p99 regression at most {c.max_p99_regression_pct:g}% (ignoring less than "
        f"{c.p99_regression_floor_ms:g} ms)",
    ]
    problems = (
        regressions
        + errors
        + ([f"target kept up with only {t.throughput_qps:,.0f} of {t.target_rate:g} q/s"] if behind else [])
    )
    return Area("performance vs source", _status(bool(regressions or errors), behind), evidence, problems)


def operations(engagement, history: list[dict] | None, today: dt.date) -> Area:
    days = engagement.days_left(today)
    c = engagement.criteria
    evidence = [f"opt-out date {engagement.opt_out_date.isoformat()}: {days} day(s) left"]
    problems = []
    runs = history or []
    latest = runs[-1] if runs else None
    if latest is None:
        evidence.append("no nightly validation has run yet")
    else:
        evidence.append(f"{len(runs)} nightly validation(s); last at {latest['at']}")
        problems += [f"nightly: {r}" for r in latest.get("regressions", [])]
    if days < 0:
        problems.append("the opt-out date has passed")
    elif days <= c.warn_days_left:
        problems.append(f"only {days} day(s) left before the opt-out date")
    return Area("operations", _status(days < 0, bool(problems)), evidence, problems)


def score(
    engagement, *, selected, imported, validation, testing, history=None, today: dt.date | None = None
) -> Scorecard:
    today = today or dt.date.today()
    c = engagement.criteria
    areas = [
        readiness(selected, c),
        import_area(imported, validation, c),
        data_validation(validation, c),
        compatibility(testing, c),
        performance(testing, c),
        operations(engagement, history, today),
    ]
    statuses = {a.status for a in areas}
    recommendation = OPT_OUT if FAIL in statuses else CONDITIONS if WARN in statuses else PROCEED
    days = engagement.days_left(today)
    warning = (
        f"the opt-out date {engagement.opt_out_date.isoformat()} is {days} day(s) away: decide now"
        if 0 <= days <= c.warn_days_left
        else ("the opt-out date has passed" if days < 0 else None)
    )
    problems = [f"[{a.name}] {p}" for a in areas if a.status != PASS for p in a.problems]
    return Scorecard(areas, recommendation, problems, engagement.opt_out_date.isoformat(), days, warning)
