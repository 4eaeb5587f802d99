"""The source's statement digests as a workload, for engagements that name no workload files.

MySQL keeps a real statement per digest (performance_schema's QUERY_SAMPLE_TEXT, read into
``Digest.sample_text``): those are runnable, so they can be replayed and loaded. MariaDB keeps
only the normalised digest text (literals as ``?``): good enough for the sharding plan, which
only reads what a query filters and joins on, but not runnable.

Only the customer's reads count: SELECTs on the engagement's database, not on system schemas,
and not the scans pocflow and Vitess run on the source themselves (Vitess's copy and VDiff
scans, pocflow's checksums, counts and profiles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pocflow.source.inventory import Digest
from pocflow.workload.fingerprint import fingerprint
from pocflow.workload.queries import sql_parser
from pocflow.workload.spec import QueryTemplate, Workload, WorkloadError

if TYPE_CHECKING:
    from sqlglot import exp

SYSTEM_SCHEMAS = frozenset({"information_schema", "performance_schema", "mysql", "sys", "_vt"})
WORKLOAD_NAME = "source digests"

# Vitess's row streamer (MoveTables copy, VDiff) reads `select /*+ MAX_EXECUTION_TIME(n) */ ...
# from t force index (`PRIMARY`) ... order by <pk>` (vitess v24 vstreamer/rowstreamer.go).
_VITESS_SCAN = re.compile(r"/\*\+\s*MAX_EXECUTION_TIME\s*\(|\bforce\s+index\s*\(\s*`?PRIMARY`?\s*\)", re.I)
# pocflow's comparison hashes every row's text, joined with '#' (quality/diff.py); digest texts
# write the '#' as ? and may quote function names (`CONCAT_WS`).
_POCFLOW_CHECKSUM = re.compile(
    r"CONCAT_WS`?\s*\(\s*(?:'#'|CAST\s*\(\s*X'FF')"
    r"|\b(?:CRC32|SHA2|MD5)`?\s*\(\s*`?CONCAT_WS\b",
    re.I,
)
# Digest texts write a list of values as (...): one placeholder stands in for the parser.
_VALUE_LIST = re.compile(r"\(\s*\.\.\.\s*\)")


@dataclass(frozen=True)
class DigestStatement:
    name: str
    """``digest-<first 8 hex digits of the digest>``"""
    sql: str
    count: int
    runnable: bool
    """A real statement (a sample), not a digest text with ``?`` placeholders."""


def truncated(text: str) -> bool:
    """performance_schema cuts long statements at performance_schema_max_sql_text_length and ends them with '...'."""
    return text.rstrip().endswith("...")


def skip_reason(sql: str) -> str | None:
    """Why a statement is not part of the customer's read workload; None if it is."""
    text = sql.strip()
    if not text:
        return "no statement text"
    if truncated(text):
        return "truncated by performance_schema"
    if _VITESS_SCAN.search(text):
        return "a Vitess copy or VDiff scan"
    if _POCFLOW_CHECKSUM.search(text):
        return "a pocflow checksum scan"
    sqlglot = sql_parser()
    exp = sqlglot.exp
    try:
        tree = sqlglot.parse_one(_VALUE_LIST.sub("(?)", text).replace("?", "1"), read="mysql")
    except sqlglot.errors.SqlglotError:
        return "not parsable"
    if not isinstance(tree, (exp.Select, exp.SetOperation, exp.Subquery)):
        return f"not a SELECT ({text.split(None, 1)[0].upper()})"
    if tree.args.get("into") is not None or tree.find(exp.Into) is not None:
        return "SELECT ... INTO writes"
    tables = [t for t in tree.find_all(exp.Table) if t.name]
    if not tables:
        return "reads no table"
    if any((t.db or "").lower() in SYSTEM_SCHEMAS for t in tables):
        return "reads a system schema"
    if _whole_table_aggregate(tree):
        return "a whole-table count or profile (pocflow's validation reads these)"
    return None


def _whole_table_aggregate(tree: exp.Expression) -> bool:
    """``SELECT COUNT(*)[, MIN(c), MAX(c) ...] FROM t`` with no filter, grouping or join."""
    exp = sql_parser().exp
    if not isinstance(tree, exp.Select) or any(tree.args.get(k) for k in ("where", "group", "joins", "having")):
        return False
    return all(isinstance(e.unalias(), (exp.Count, exp.Min, exp.Max)) for e in tree.expressions)


def statements(digests: Iterable[Digest], *, runnable_only: bool = True) -> list[DigestStatement]:
    """The customer's reads among ``digests``, one per fingerprint, counts added up, most frequent first.

    A digest's sample statement is used when it is whole; with ``runnable_only=False`` its digest
    text stands in where there is no usable sample (MariaDB, or a truncated sample)."""
    merged: dict[str, DigestStatement] = {}
    for d in digests:
        if d.sample_text and skip_reason(d.sample_text) is None:
            sql, runnable = d.sample_text.strip(), True
        else:
            sql, runnable = _VALUE_LIST.sub("(?)", d.text.strip()), False
        if (runnable_only and not runnable) or skip_reason(sql) is not None:
            continue
        key = fingerprint(sql)
        seen = merged.get(key)
        if seen is None:
            merged[key] = DigestStatement(f"digest-{(d.digest or 'unknown')[:8]}", sql, d.count, runnable)
        else:
            merged[key] = DigestStatement(seen.name, seen.sql, seen.count + d.count, seen.runnable)
    return sorted(merged.values(), key=lambda s: (-s.count, s.name))


def skipped(digests: Iterable[Digest]) -> dict[str, int]:
    """How many digests were left out of the workload, by reason (for the error and the log)."""
    out: dict[str, int] = {}
    for d in digests:
        reason = "no sample statement (MariaDB keeps none)" if not d.sample_text else skip_reason(d.sample_text)
        if reason:
            out[reason] = out.get(reason, 0) + 1
    return out


def digest_workload(digests: list[Digest], **overrides: Any) -> Workload:
    """A workload of the source's sampled SELECTs, weighted by how often each ran.

    Raises WorkloadError naming what to do when there is none."""
    found = statements(digests)
    if not found:
        reasons = "; ".join(f"{n} {why}" for why, n in sorted(skipped(digests).items())) or "none recorded"
        raise WorkloadError(
            f"the engagement names no workload files and the source's statement digests hold no runnable SELECT "
            f"({len(digests)} digest(s) read: {reasons}); name workload files (workload_files: a YAML spec, "
            f".sql files or a query log), or run the application against a MySQL 8.0.3+ source with "
            f"performance_schema ON before the select-database stage"
        )
    # Samples are literal statements, not templates: braces (JSON literals) must survive render().
    workload = Workload(
        WORKLOAD_NAME,
        [QueryTemplate(s.name, s.sql.replace("{", "{{").replace("}", "}}"), float(s.count)) for s in found],
    )
    return Workload(**{**workload.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
