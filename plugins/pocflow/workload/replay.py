"""Correctness replay: every distinct query on source and target, results and errors compared.

What pt-upgrade does, with an order-insensitive result checksum (order-sensitive when ORDER BY
makes order part of the answer) and a classification of every difference.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import pymysql

from pocflow.workload.fingerprint import digest, fingerprint

UNSUPPORTED = re.compile(r"VT12001|unsupported", re.I)
_ORDER_BY = re.compile(r"\border\s+by\b", re.I)


@dataclass
class Execution:
    rows: int | None
    checksum: str | None
    error: str | None
    warnings: int
    milliseconds: float
    warning_codes: list[str] = field(default_factory=list)
    """``SHOW WARNINGS`` after the first run, as 'Level Code' (e.g. 'Warning 1292'), sorted."""


@dataclass
class ReplayedQuery:
    name: str
    fingerprint: str
    digest: str
    sql: str
    source: Execution
    target: Execution
    classification: str
    """same | unsupported | different_result | different_warnings | error_on_target_only | error_on_source_only |
    error_on_both | slower"""

    def to_dict(self) -> dict:
        return asdict(self)


def result_checksum(rows: list[tuple], ordered: bool) -> str:
    """sha1 over rows; sorted first unless the order is part of the answer."""
    encoded = [repr(tuple(_canonical(v) for v in row)).encode() for row in rows]
    if not ordered:
        encoded.sort()
    h = hashlib.sha1()
    for e in encoded:
        h.update(e)
        h.update(b"\n")
    return h.hexdigest()


def _canonical(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, Decimal):
        return str(v.normalize()) if v == v.to_integral() else str(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return v


def execute(conn, sql: str, *, repeat: int = 3) -> Execution:
    """Run ``sql`` ``repeat`` times; the median latency, the result and the warnings of the first run."""
    times: list[float] = []
    rows_seen, checksum, codes = 0, "", []
    for i in range(repeat):
        started = time.perf_counter()
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                rows = list(cur.fetchall())
                times.append((time.perf_counter() - started) * 1000)
                if i == 0:
                    rows_seen, checksum = len(rows), result_checksum(rows, bool(_ORDER_BY.search(sql)))
                    codes = _warnings(cur)
        except pymysql.MySQLError as e:
            return Execution(
                None,
                None,
                f"{e.args[0]}: {e.args[1] if len(e.args) > 1 else ''}".strip(),
                0,
                round((time.perf_counter() - started) * 1000, 3),
            )
    times.sort()
    return Execution(rows_seen, checksum, None, len(codes), round(times[len(times) // 2], 3), codes)


def _warnings(cur) -> list[str]:
    """The warnings the last statement left on this session, outside its timing; none if they cannot be read."""
    try:
        cur.execute("SHOW WARNINGS")
        return sorted(f"{level} {code}" for level, code, *_ in cur.fetchall())
    except pymysql.MySQLError:
        return []


def classify(source: Execution, target: Execution, *, slower_factor: float) -> str:
    if target.error and UNSUPPORTED.search(target.error):
        return "unsupported"
    if target.error and source.error:
        return "error_on_both"
    if target.error:
        return "error_on_target_only"
    if source.error:
        return "error_on_source_only"
    if (source.rows, source.checksum) != (target.rows, target.checksum):
        return "different_result"
    if source.warning_codes != target.warning_codes:
        return "different_warnings"
    if target.milliseconds > max(source.milliseconds * slower_factor, source.milliseconds + 5):
        return "slower"
    return "same"


def replay(
    queries: list[tuple[str, str]],
    source_conn,
    target_conn,
    *,
    slower_factor: float,
    log: Callable[[str], None] = lambda m: None,
) -> list[ReplayedQuery]:
    """``queries``: (name, sql); each distinct fingerprint runs once on each side."""
    seen, out = set(), []
    for name, sql in queries:
        fp = fingerprint(sql)
        if fp in seen:
            continue
        seen.add(fp)
        s, t = execute(source_conn, sql), execute(target_conn, sql)
        out.append(ReplayedQuery(name, fp, digest(sql), sql, s, t, classify(s, t, slower_factor=slower_factor)))
        log(f"replay {name}: {out[-1].classification}")
    return out
