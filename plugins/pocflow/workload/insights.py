"""Query insights on the target: per pattern latency and rows, and scatter queries with Vitess's own plan."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import pymysql


@dataclass
class PatternInsight:
    name: str
    fingerprint: str
    count: int
    p50_ms: float | None
    p99_ms: float | None
    rows_returned: int | None
    scatter: bool
    plan_summary: str
    plan: Any = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DigestRows:
    digest_text: str
    count: int
    rows_examined: int
    rows_sent: int

    def to_dict(self) -> dict:
        return asdict(self)


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def explain(conn, sql: str) -> tuple[bool, str, Any]:
    """(scatter?, one-line summary, the plan) from ``VEXPLAIN PLAN``; errors become the summary."""
    try:
        with conn.cursor() as cur:
            cur.execute(f"VEXPLAIN PLAN {sql}")
            text = cur.fetchone()[0]
    except pymysql.MySQLError as e:
        return False, f"not planned: {e.args[-1]}", None
    plan = json.loads(text) if isinstance(text, str) else text
    routes = [n for n in _walk(plan) if n.get("OperatorType") == "Route"]
    scatter = any(n.get("Variant") == "Scatter" for n in routes)
    summary = (
        "; ".join(f"{n.get('Variant')} on {n.get('Keyspace', {}).get('Name', '?')}" for n in routes)
        or str(plan.get("OperatorType") if isinstance(plan, dict) else plan)[:80]
    )
    return scatter, summary, plan


def target_digests(conns: list, limit: int = 15) -> list[DigestRows]:
    """Rows examined vs sent per statement digest on the target tablets (performance_schema)."""
    merged: dict[str, DigestRows] = {}
    for conn in conns:
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT digest_text, count_star, sum_rows_examined, sum_rows_sent "
                    "FROM performance_schema.events_statements_summary_by_digest "
                    "WHERE digest_text LIKE 'SELECT%%' ORDER BY sum_rows_examined DESC LIMIT 50"
                )
                rows = cur.fetchall()
        except pymysql.MySQLError:
            continue
        for text, count, examined, sent in rows:
            d = merged.setdefault(text, DigestRows(text, 0, 0, 0))
            d.count += int(count)
            d.rows_examined += int(examined)
            d.rows_sent += int(sent)
    return sorted(merged.values(), key=lambda d: -d.rows_examined)[:limit]
