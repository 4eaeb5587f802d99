"""Stage 5, validation: did the data arrive intact? VDiff, our own comparison, schema parity."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import partial

from pocflow.quality import aggregates
from pocflow.quality.diagnosis import CATALOGUE
from pocflow.quality.diff import (
    DiffSettings,
    TableComparison,
    TableDiff,
    comparison_keys,
    hidden_rows,
    merge_table_diffs,
)
from pocflow.quality.expectations import (
    GreatExpectations,
    TableProfile,
    expectation_specs,
    extra_suites,
    profile_from_aggregates,
    sqlalchemy_url,
)
from pocflow.quality.repair import repair_sql
from pocflow.quality.sides import OLAP, SourceSide, TargetSide, keyspace_shards
from pocflow.source.flavor import comparable_column_type
from pocflow.source.inventory import Table
from pocflow.sql import quote_identifier
from pocflow.stages.context import StageContext
from pocflow.stages.registry import register
from pocflow.stages.results import MissingResult
from pocflow.stages.table import render
from pocflow.stages.validation_parts import PartResult, ValidationPart, table_parts
from pocflow.stages.workflows import statuses
from pocflow.vitess.movetables import VDiff


class ValidationThresholdExceeded(RuntimeError):
    """More differing rows than the engagement allows; the result is stored before this is raised."""


@dataclass
class ValidationResult:
    tables: list[TableDiff]
    vdiff: dict[str, dict]
    schema: dict[str, list[str]]
    workflows: list[str]
    lag_seconds: float | None = None
    workflow_states: dict[str, str] = field(default_factory=dict)
    expectations: list[dict] = field(default_factory=list)
    """Great Expectations outcomes per table and side (target shard; the source for the engagement's own suites)."""
    aggregates: dict[str, list[str]] = field(default_factory=dict)
    """Per table, the column aggregates that differ between source and target (empty: all equal)."""
    repair_scripts: dict[str, str] = field(default_factory=dict)
    """Per table with keyed differences, where the SQL that would make the target equal lies (never run)."""

    @property
    def mismatched_rows(self) -> int:
        return sum(t.differences_total for t in self.tables)

    @property
    def passed(self) -> bool:
        vdiff_clean = all(not v.get("has_mismatch") and v.get("state") == "completed" for v in self.vdiff.values())
        return (
            vdiff_clean
            and all(t.status != "mismatch" for t in self.tables)
            and not any(self.schema.values())
            and all(e["success"] for e in self.expectations)
            and not any(self.aggregates.values())
        )

    def to_dict(self) -> dict:
        return {
            "tables": [t.to_dict() for t in self.tables],
            "vdiff": self.vdiff,
            "schema": self.schema,
            "workflows": self.workflows,
            "lag_seconds": self.lag_seconds,
            "workflow_states": self.workflow_states,
            "expectations": self.expectations,
            "aggregates": self.aggregates,
            "repair_scripts": self.repair_scripts,
            "mismatched_rows": self.mismatched_rows,
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ValidationResult:
        return cls(
            [TableDiff.from_dict(t) for t in d["tables"]],
            d["vdiff"],
            d["schema"],
            d["workflows"],
            d.get("lag_seconds"),
            d.get("workflow_states", {}),
            d.get("expectations", []),
            d.get("aggregates", {}),
            d.get("repair_scripts", {}),
        )

    def vdiff_table(self, table: str) -> dict | None:
        for report in self.vdiff.values():
            for t in report.get("tables", []):
                if t["table"] == table:
                    return t
        return None

    def vdiff_keys(self, table: str, key_columns: list[str]) -> list[tuple[str, dict]]:
        """The keys of VDiff's example rows for ``table``, as (kind, {column: value})."""
        v = self.vdiff_table(table) or {}
        return [(s["kind"], {k: s["row"].get(k) for k in key_columns}) for s in v.get("samples", [])]

    def explained(self) -> list[list]:
        """[class, differing columns, tables, what it is, what to do] for every class found, most frequent first."""
        counts: dict[str, int] = {}
        tables: dict[str, set[str]] = {}
        for t in self.tables:
            for cls, n in t.column_classes.items():
                counts[cls] = counts.get(cls, 0) + n
                tables.setdefault(cls, set()).add(t.table)
        return [
            [cls, n, ", ".join(sorted(tables[cls])), CATALOGUE[cls].explanation, CATALOGUE[cls].what_to_do]
            for cls, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
        ]

    def column_differences(self, limit: int = 50) -> list[list]:
        """[table, key, column, source value, target value, class] of the named differing rows."""
        out = []
        for t in self.tables:
            for d in t.differences:
                for c in d.columns or []:
                    out.append(
                        [t.table, ", ".join(f"{k}={v}" for k, v in d.key.items()), c.column, c.source, c.target, c.cls]
                    )
        return out[:limit]

    def summary(self) -> str:
        rows = []
        for t in self.tables:
            v = self.vdiff_table(t.table)
            vtext = (
                "-"
                if v is None
                else (
                    "match"
                    if not (v["mismatched_rows"] or v["extra_rows_source"] or v["extra_rows_target"])
                    else f"{v['mismatched_rows']} diff, {v['extra_rows_source']} src-only, "
                    f"{v['extra_rows_target']} tgt-only"
                )
            )
            keys = "; ".join(d.describe() for d in t.differences[:3])
            gx = [e for e in self.expectations if e["table"] == t.table]
            gx_failed = [f"{e['side']}: {', '.join(e['failed'])}" for e in gx if not e["success"]]
            gx_text = "-" if not gx else ("ok" if not gx_failed else "FAILED")
            aggregates = self.aggregates.get(t.table)
            rows.append(
                [
                    t.table,
                    t.status,
                    f"{t.rows_source:,}",
                    f"{t.rows_target:,}",
                    t.chunks,
                    t.differences_total,
                    vtext,
                    "ok" if not self.schema.get(t.table) else "differs",
                    "-" if aggregates is None else "ok" if not aggregates else "DIFFER",
                    gx_text,
                    t.reason or "; ".join(filter(None, [keys] + gx_failed)),
                ]
            )
        vdiff_states = ", ".join(
            f"{w}: {v.get('state')}{' with mismatch' if v.get('has_mismatch') else ''}" for w, v in self.vdiff.items()
        )
        head = (
            f"validation {'PASSED' if self.passed else 'FOUND DIFFERENCES'}: {self.mismatched_rows} differing "
            f"row(s) by our comparison; VDiff {vdiff_states}"
        )
        notes = sorted(
            {n for t in self.tables for n in t.normalisations + t.warnings}
            | {
                f"{t.table}: {h['normalisation']} hid {hidden_rows(h)}, e.g. {h['keys']}"
                for t in self.tables
                for h in t.hidden_by_normalisation
                if h["rows"] or h.get("capped")
            }
        )
        parts = [head]
        explained = self.explained()
        if explained:
            parts += [
                "",
                "differences explained (per differing column):",
                render(["class", "columns", "tables", "what it is", "what to do"], explained, max_width=70),
                "",
                render(
                    ["table", "key", "column", "source", "target", "class"], self.column_differences(20), max_width=40
                ),
            ]
        parts += [
            "",
            render(
                [
                    "table",
                    "ours",
                    "rows src",
                    "rows tgt",
                    "chunks",
                    "diff rows",
                    "VDiff",
                    "schema",
                    "aggr",
                    "GX",
                    "example keys / failed expectations",
                ],
                rows,
                max_width=70,
            ),
        ]
        if notes:
            parts += ["", "handled:"] + [f"  - {n}" for n in notes]
        for table, problems in self.schema.items():
            parts += [f"schema {table}: {p}" for p in problems]
        for table, differing in self.aggregates.items():
            parts += [f"aggregates {table}: {d}" for d in differing]
        for table, uri in self.repair_scripts.items():
            parts.append(f"repair SQL for {table} (written, never run): {uri}")
        return "\n".join(parts)


def schema_differences(table: Table, target: TargetSide) -> list[str]:
    """Columns (name, type, nullability) and indexes of the target against the source's."""
    problems = []
    cols = target.rows(f"SHOW COLUMNS FROM {quote_identifier(table.name)}")
    by_shard = len(target.shards)
    seen = {}
    for field_, ctype, null, *_ in cols[: len(cols) // max(by_shard, 1)]:
        seen[field_] = (ctype if isinstance(ctype, str) else ctype.decode(), null == "YES")
    for c in table.columns:
        if c.name not in seen:
            problems.append(f"column {c.name} missing on the target")
        elif (comparable_column_type(seen[c.name][0]), seen[c.name][1]) != (
            comparable_column_type(c.column_type),
            c.nullable,
        ):
            problems.append(
                f"column {c.name}: source {c.column_type} {'NULL' if c.nullable else 'NOT NULL'}, "
                f"target {seen[c.name][0]} {'NULL' if seen[c.name][1] else 'NOT NULL'}"
            )
    for extra in sorted(set(seen) - {c.name for c in table.columns}):
        problems.append(f"column {extra} only on the target")
    index_rows = target.rows(f"SHOW INDEX FROM {quote_identifier(table.name)}")
    target_indexes: dict[str, list[str]] = {}
    for r in index_rows[: len(index_rows) // max(by_shard, 1)]:
        target_indexes.setdefault(r[2], []).append(r[4])
    for idx in table.indexes:
        if idx.name not in target_indexes:
            problems.append(f"index {idx.name} missing on the target")
        elif tuple(target_indexes[idx.name]) != idx.columns:
            problems.append(f"index {idx.name}: source {idx.columns}, target {tuple(target_indexes[idx.name])}")
    return problems


def vdiff_uuid(engagement: str, run_id: str, workflow: str, attempt: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pocflow:{engagement}/{run_id}/{workflow}/{attempt}"))


def run_vdiff(vdiff: VDiff, engagement: str, run_id: str, *, log) -> str:
    """One VDiff per workflow and run, with a UUID derived from them: a rerun of the stage (a killed task,
    a retry) waits on the VDiff it finds instead of starting another; only a VDiff that ended in error
    is replaced. A fresh comparison after a fix is a new run (trigger again, or the nightly DAG)."""
    for attempt in range(50):
        uuid = vdiff_uuid(engagement, run_id, vdiff.workflow, attempt)
        state = vdiff.state(uuid)
        if state is None:
            vdiff.create(uuid=uuid)
            log(f"validation: VDiff {uuid} of {vdiff.workflow} started")
            return uuid
        if state != "error":
            log(f"validation: VDiff {uuid} of {vdiff.workflow} exists for this run already ({state}): using it")
            return uuid
        log(f"validation: VDiff {uuid} of {vdiff.workflow} ended in error; starting another")
    raise RuntimeError(f"50 VDiffs of {vdiff.workflow} in run {run_id} ended in error; see the target tablets' logs")


PLAN = "validation-parts/plan"
"""The run's parts, and the workflows' states and lag read before its VDiffs started."""


def diff_settings(engagement) -> DiffSettings:
    v = engagement.validation
    return DiffSettings(chunk_rows=v.chunk_rows, float_decimals=v.float_decimals, hidden_rows_limit=v.hidden_rows_limit)


def start(ctx: StageContext) -> tuple[list[ValidationPart], dict[str, str]]:
    """What comes before the parts: the workflows' states and lag (read before a VDiff touches their streams),
    a VDiff per workflow started (or this run's found), the parts planned. The plan is stored for ``merge``;
    returns the parts and the VDiffs' UUIDs by workflow."""
    workflows = ctx.earlier("import").workflows
    current = statuses(ctx.vtctld, workflows)
    uuids = {
        w.workflow: run_vdiff(
            VDiff(ctx.vtctld, w.workflow, w.target_keyspace), ctx.engagement.name, ctx.run_id, log=ctx.log
        )
        for w in workflows
    }
    parts = plan_parts(ctx)
    lags = [s.max_lag_seconds for s in current if s.max_lag_seconds is not None]
    states = {
        s.workflow: (
            "Running"
            if s.streams and all(x.status == "Running" for x in s.streams)
            else ", ".join(x.status for x in s.streams) or "missing"
        )
        for s in current
    }
    plan = {
        "parts": [p.to_dict() for p in parts],
        "lag_seconds": max(lags) if lags else None,
        "workflow_states": states,
    }
    ctx.store.put_json(PLAN, plan)
    return parts, uuids


def plan_parts(ctx: StageContext) -> list[ValidationPart]:
    """One part per imported table, in the order of the workflows and their tables; a table over
    ``validation.rows_per_part`` rows with a single integer key one part per key range, cut at equal widths
    between the key's MIN and MAX on the source."""
    selected, imported = ctx.earlier("select-database"), ctx.earlier("import")
    rows_per_part = ctx.engagement.validation.rows_per_part
    opened: list[SourceSide] = []

    def key_bounds(table: str, column: str) -> tuple[int, int] | None:
        if not opened:
            opened.append(SourceSide(ctx.source()))
        k = quote_identifier(column)
        low, high = opened[0].rows(f"SELECT MIN({k}), MAX({k}) FROM {quote_identifier(table)}")[0]
        return None if low is None else (int(low), int(high))

    parts: list[ValidationPart] = []
    try:
        for w in imported.workflows:
            for name in w.tables:
                table = selected.inventory.table(name)
                parts += table_parts(w.workflow, w.target_keyspace, table, rows_per_part, partial(key_bounds, name))
    finally:
        for side in opened:
            side.close()
    for p in parts:
        if p.note:
            ctx.log(f"validation: {p.table} in one part: {p.note}")
        elif p.ranged and p.index == 0:
            ctx.log(
                f"validation: {p.table} in {p.of} key ranges of about {rows_per_part:,} rows, its checks "
                "(schema, aggregates, expectations) a part of their own"
            )
    return parts


def run_part(ctx: StageContext, part: ValidationPart, gx: GreatExpectations | None = None) -> PartResult:
    """Compare one part's rows (its key range, or the whole table) and write its repair script, and/or check
    the table's schema, aggregates and expectations (a whole table's part does both, a split table's checks
    part only the checks). The result is stored as ``validation-parts/<part>.json`` and returned."""
    e = ctx.engagement
    table = ctx.earlier("select-database").inventory.table(part.table)
    settings = replace(diff_settings(e), masked_columns=masked_in(e, part.table))
    shards = keyspace_shards(ctx.vtctld, part.target_keyspace)
    source = SourceSide(ctx.source())
    try:
        diff, repair_script = None, None
        if part.compares_rows:
            target = TargetSide(ctx.vtgate(), part.target_keyspace, shards)
            try:
                diff, repair_script = compare_rows(ctx, part, table, source, target, settings)
            finally:
                target.close()
        result = PartResult(part, diff, repair_script=repair_script)
        if part.checks_table:
            ctx.log(f"validation: checking {part.table}'s schema, aggregates and expectations")
            # whole-table queries: streamed, so a large table's outlast the tablet's 30 s limit for a query
            target = TargetSide(ctx.vtgate(), part.target_keyspace, shards, olap=True)
            try:
                result.schema = schema_differences(table, target)
                compared = compare_aggregates(table, comparison_keys(table), source, target, settings)
                result.aggregates = compared.differences
                result.expectations = run_expectations(
                    ctx,
                    gx or GreatExpectations(),
                    table,
                    source,
                    target,
                    source_profile=profile_from_aggregates(table, compared.source, settings.float_decimals),
                    target_rows=compared.target.rows,
                )
            finally:
                target.close()
    finally:
        source.close()
    ctx.store.put_json(f"validation-parts/{part.name}", result.to_dict())
    return result


def compare_rows(
    ctx: StageContext,
    part: ValidationPart,
    table: Table,
    source: SourceSide,
    target: TargetSide,
    settings: DiffSettings,
) -> tuple[TableDiff, str | None]:
    """The part's rows compared, and where the SQL that would make the target equal for the keys that differ
    was written (never run; None when none differ)."""
    # the comparison sizes its chunks from the rows it expects: the part's share of the table's
    compared = replace(table, rows_estimate=-(-table.rows_estimate // part.of))
    ctx.log(f"validation: comparing {part.label()} ({compared.rows_estimate:,} rows, est.)")
    comparison = TableComparison(compared, source, target, settings, key_range=part.key_range())
    diff = comparison.run()
    if not comparison.repairable:
        return diff, None
    script = ctx.store.put_text(
        f"repair/{part.name}.sql",
        repair_sql(table, comparison.repairable, comparison.source_rows, run=ctx.run_id, key=comparison.keys),
    )
    ctx.log(
        f"validation: {part.label()}: the SQL that would make the target equal for "
        f"{len(comparison.repairable)} key(s) is in {script} (written, not run)"
    )
    return diff, script


def stored_parts(ctx: StageContext) -> list[PartResult]:
    """The results of the run's planned parts, as ``run_part`` stored them; MissingResult names a part without."""
    plan = ctx.store.get_json(PLAN)
    if plan is None:
        raise MissingResult(f"run {ctx.run_id} has no validation plan ({PLAN}.json): plan the parts first")
    results = []
    for d in plan["parts"]:
        part = ValidationPart.from_dict(d)
        stored = ctx.store.get_json(f"validation-parts/{part.name}")
        if stored is None:
            raise MissingResult(f"run {ctx.run_id} has no result of validation part {part.label()}")
        results.append(PartResult.from_dict(stored))
    return results


def await_vdiffs(ctx: StageContext, uuids: dict[str, str] | None = None) -> dict[str, dict]:
    """Each workflow's VDiff report once it has ended: the VDiffs ``start`` began (found again by their UUIDs,
    one per workflow and run, when not given)."""
    out = {}
    for w in ctx.earlier("import").workflows:
        vdiff = VDiff(ctx.vtctld, w.workflow, w.target_keyspace)
        uuid = (uuids or {}).get(w.workflow) or run_vdiff(vdiff, ctx.engagement.name, ctx.run_id, log=ctx.log)
        out[w.workflow] = asdict(vdiff.wait(uuid))
    return out


def merge(ctx: StageContext, results: list[PartResult], vdiffs: dict[str, dict] | None = None) -> ValidationResult:
    """The stage's result from its parts' (in plan order): a table's key ranges merged into one comparison, its
    first part's checks, the VDiff reports (awaited when not given), the workflows' states from the plan and
    the tables the import left out."""
    plan = ctx.store.get_json(PLAN)
    if plan is None:
        raise MissingResult(f"run {ctx.run_id} has no validation plan ({PLAN}.json): plan the parts first")
    vdiffs = vdiffs if vdiffs is not None else await_vdiffs(ctx)
    max_reported = diff_settings(ctx.engagement).max_reported
    order = {ValidationPart.from_dict(p).name: i for i, p in enumerate(plan["parts"])}
    by_table: dict[str, list[PartResult]] = {}
    for r in sorted(results, key=lambda r: order.get(r.part.name, len(order))):
        by_table.setdefault(r.part.table, []).append(r)
    tables, schema, expectations, aggregates, repairs = [], {}, [], {}, {}
    for name, parts in by_table.items():
        tables.append(merge_table_diffs([r.table for r in parts if r.table is not None], max_reported))
        checks = next((r for r in parts if r.part.checks_table), parts[0])
        schema[name] = checks.schema or []
        aggregates[name] = checks.aggregates or []
        expectations += checks.expectations
        repairs.update({r.part.name: r.repair_script for r in parts if r.repair_script})
    excluded = ctx.earlier("import").excluded
    tables += [TableDiff(t, "skipped", reason=f"not imported: {why}") for t, why in excluded.items()]
    return ValidationResult(
        tables,
        vdiffs,
        schema,
        [w.workflow for w in ctx.earlier("import").workflows],
        plan["lag_seconds"],
        plan["workflow_states"],
        expectations,
        aggregates,
        repairs,
    )


@register("validation", ValidationResult)
def run(ctx: StageContext) -> ValidationResult:
    """The whole stage in one process: start, each VDiff awaited (before the comparison reads, as the parts'
    tasks would not), every part in turn, merged."""
    parts, uuids = start(ctx)
    vdiffs = await_vdiffs(ctx, uuids)
    gx = GreatExpectations()
    return merge(ctx, [run_part(ctx, p, gx) for p in parts], vdiffs)


def masked_in(engagement, table: str) -> frozenset[str]:
    """The engagement's sensitive columns that belong to ``table`` (``column`` or ``table.column``)."""
    out = set()
    for name in engagement.validation.masked_columns:
        owner, _, column = name.rpartition(".")
        if not owner or owner == table:
            out.add(column)
    return frozenset(out)


@dataclass(frozen=True)
class ComparedAggregates:
    differences: list[str]
    """Each aggregate not equal on both sides ("what: source X, target Y"); empty when all agree."""
    source: aggregates.TableAggregates
    target: aggregates.TableAggregates
    """Both sides' aggregates as last read (the expectations reuse them instead of reading again)."""


def compare_aggregates(
    table: Table, keys: list[str], source: SourceSide, target: TargetSide, settings: DiffSettings
) -> ComparedAggregates:
    """Row count, NULL counts, MIN/MAX/SUM and distinct keys of ``table``, equal on both sides or listed.
    A difference is read again (as the row comparison rechecks) before it stands: writes still on their
    way through replication settle."""
    with ThreadPoolExecutor(2) as pool:
        for attempt in range(max(1, settings.recheck_attempts)):
            if attempt:
                time.sleep(settings.recheck_wait_seconds)
            # the comparison key is the source's primary or unique NOT NULL key: its distinct keys are its rows
            s = pool.submit(aggregates.read, source, table, keys, settings, keys_unique=True)
            t = pool.submit(aggregates.read, target, table, keys, settings)
            on_source, on_target = s.result(), t.result()
            compared = ComparedAggregates(
                aggregates.differences(on_source, on_target, settings.masked_columns), on_source, on_target
            )
            if not compared.differences:
                break
    return compared


def run_expectations(
    ctx: StageContext,
    gx: GreatExpectations,
    table: Table,
    source: SourceSide,
    target: TargetSide,
    *,
    source_profile: TableProfile,
    target_rows: int,
) -> list[dict]:
    """The suite profiled from the source, on every target shard; the engagement's own suites also on the
    source. A suite built from the source's own profile cannot fail on the source, so it is not run (nor
    counted) there. Raw GX results go to the artifact store. ``source_profile`` and ``target_rows`` (the
    target's rows over all its shards) come from the aggregates already read (``compare_aggregates``)."""
    e = ctx.engagement
    specs = expectation_specs(table, source_profile, row_tolerance=e.validation.row_count_tolerance)
    extra = extra_suites(e.name).get(table.name, [])
    outcomes = []
    runs: list[tuple[str, str, str, list]] = (
        [("source", sqlalchemy_url(ctx.source(), e.source.database), "source", [])] if extra else []
    )
    sharded = len(target.shards) > 1
    for shard in target.shards:
        # A shard holds part of the rows: the row count is checked on the sum of the shards below.
        shard_specs = [s for s in specs if not (sharded and s[0] == "ExpectTableRowCountToBeBetween")]
        runs.append(
            (
                f"target {target.keyspace}/{shard}",
                sqlalchemy_url(ctx.vtgate(), f"{target.keyspace}:{shard}@replica", init_command=OLAP),
                f"target-{target.keyspace}-{shard}",
                shard_specs,
            )
        )
    for side, url, source_name, side_specs in runs:
        outcome, raw = gx.run(
            table=table.name, side=side, url=url, source_name=source_name, specs=side_specs, extra=extra
        )
        ctx.store.put_json(f"gx/{source_name}-{table.name}", raw)
        outcomes.append(outcome.to_dict())
    if sharded:
        low, high = specs[0][1]["min_value"], specs[0][1]["max_value"]
        rows = target_rows
        outcomes.append(
            {
                "table": table.name,
                "side": f"target {target.keyspace} (all shards)",
                "success": low <= rows <= high,
                "evaluated": 1,
                "failed": [] if low <= rows <= high else [f"expect_table_row_count_to_be_between({rows})"],
            }
        )
    return outcomes


def enforce_threshold(ctx: StageContext, result: ValidationResult) -> None:
    limit = ctx.engagement.validation.max_mismatched_rows
    if limit is not None and result.mismatched_rows > limit:
        raise ValidationThresholdExceeded(
            f"validation found {result.mismatched_rows} differing rows; the engagement allows {limit} "
            f"(max_mismatched_rows). The result is stored; fix the differences or raise the threshold."
        )
