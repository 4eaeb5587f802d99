"""Why one column of a row differs between source and target: a class per known cause, decided from the
column's type and the two raw values alone (no I/O), and a catalogue of what each class means and what
to do about it, for the report.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pocflow.source.inventory import Column

FLOAT_TYPES = {"float", "double", "real"}
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"}
BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
DATETIME_TYPES = {"datetime", "timestamp"}
TEMPORAL_TYPES = DATETIME_TYPES | {"time"}

FLOAT_PRECISION = "float_precision"
COLLATION_OR_CHARSET = "collation_or_charset"
TRAILING_SPACES = "trailing_spaces"
TIME_ZONE = "time_zone"
JSON_FORMATTING = "json_formatting"
FRACTIONAL_SECONDS = "fractional_seconds"
UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class DiagnosisClass:
    name: str
    explanation: str
    what_to_do: str


CATALOGUE: dict[str, DiagnosisClass] = {
    c.name: c
    for c in (
        DiagnosisClass(
            FLOAT_PRECISION,
            "the value went through its 6-significant-digit text form during the copy (or was stored with "
            "FLOAT's single precision): it is within a millionth of the source's",
            "change FLOAT to DOUBLE or DECIMAL before the import, or accept the loss for this column",
        ),
        DiagnosisClass(
            COLLATION_OR_CHARSET,
            "the texts are the same characters but for case or accents, or the same text in another encoding "
            "(converted twice: é became Ã©): the target column's character set or collation, or the copy's "
            "connection character set, differs from the source's",
            "give the target column the source's CHARACTER SET and COLLATE (schema parity lists them) and "
            "copy with a utf8mb4 connection; re-copy the affected rows",
        ),
        DiagnosisClass(
            TRAILING_SPACES,
            "the values differ only by trailing spaces (or the 0x00 padding of BINARY(n)): a CHAR or BINARY "
            "column, or a PAD SPACE collation, padded or stripped them",
            "keep the source's column type (CHAR vs VARCHAR, BINARY vs VARBINARY) and the collation's pad "
            "attribute on the target",
        ),
        DiagnosisClass(
            TIME_ZONE,
            "the values differ by a whole time-zone offset: the value was written in one time zone and read "
            "back in another during the copy",
            "run the copy with the source's time_zone (pocflow reads with +00:00); fix the copied values with "
            "CONVERT_TZ, or re-copy the table",
        ),
        DiagnosisClass(
            JSON_FORMATTING,
            "the two JSON documents are equal; only their text differs (key order, spaces, number form)",
            "nothing to repair in the data; store the column as JSON on both sides if the application "
            "compares the text",
        ),
        DiagnosisClass(
            FRACTIONAL_SECONDS,
            "the values are equal but for their fractional seconds: the target keeps fewer digits, or "
            "rounded where the source truncated",
            "give the target column the source's fractional-second precision (DATETIME(6) stays DATETIME(6)); "
            "check TIME_TRUNCATE_FRACTIONAL in both servers' sql_mode",
        ),
        DiagnosisClass(
            UNEXPLAINED,
            "no known cause of a false difference: the value was changed on one side (a write that bypassed "
            "replication, a failed or partial copy)",
            "compare the row on both sides and look for writes to it outside the workflow; re-copy the table "
            "if the import caused it",
        ),
    )
}

_MAX_TIME_ZONE_OFFSET = dt.timedelta(hours=14)
_TIME_ZONE_STEP = dt.timedelta(minutes=15)  # offsets in use are whole, half and quarter hours (+05:45, +12:45)


def diagnose(column: Column, source: Any, target: Any) -> str:
    """The likely cause of a column's difference, from its type and the two raw values (a CATALOGUE key)."""
    if source is None or target is None or source == target:
        return UNEXPLAINED
    t = column.data_type
    if t in FLOAT_TYPES:
        close = _float_close(source, target) if t == "float" else _six_digit_text(source, target)
        return FLOAT_PRECISION if close else UNEXPLAINED
    if t in TEMPORAL_TYPES:
        a, b = _instant(source), _instant(target)
        if a is None or b is None:
            return UNEXPLAINED
        if _equal_but_fractions(a, b):
            return FRACTIONAL_SECONDS
        if t in DATETIME_TYPES and _whole_offset(a, b):
            return TIME_ZONE
        return UNEXPLAINED
    if t == "json" or (_looks_like_json(source) and _looks_like_json(target)):
        if _json_equal(source, target):
            return JSON_FORMATTING
        if t == "json":
            return UNEXPLAINED
    if t in TEXT_TYPES or t in BINARY_TYPES:
        if _equal_but_padding(source, target):
            return TRAILING_SPACES
        if t in TEXT_TYPES and _same_text(column, source, target):
            return COLLATION_OR_CHARSET
    return UNEXPLAINED


def _float_close(a: Any, b: Any) -> bool:
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=0.0) or f"{x:.6g}" == f"{y:.6g}"


def _six_digit_text(a: Any, b: Any) -> bool:
    """A DOUBLE that went through a 6-significant-digit text form: one value is the other printed so.
    (Any two nearby DOUBLEs are not: 1234567 -> 1234568 is a changed value.)"""
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return math.isfinite(x) and math.isfinite(y) and (float(f"{x:.6g}") == y or float(f"{y:.6g}") == x)


def _instant(v: Any) -> dt.datetime | dt.timedelta | None:
    """A temporal value as datetime (DATETIME, TIMESTAMP, DATE) or timedelta (TIME); text is parsed."""
    if isinstance(v, (dt.datetime, dt.timedelta)):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (bytes, bytearray)):
        v = bytes(v).decode("ascii", "replace")
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v.strip())
        except ValueError:
            return _time_of(v.strip())
    return None


def _time_of(text: str) -> dt.timedelta | None:
    """MySQL TIME text ([-]HHH:MM:SS[.ffffff]) as a timedelta."""
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("-").split(":")
    if len(parts) != 3:
        return None
    try:
        return sign * dt.timedelta(hours=int(parts[0]), minutes=int(parts[1]), seconds=float(parts[2]))
    except ValueError:
        return None


def _seconds(v: dt.datetime | dt.timedelta) -> Decimal:
    """A temporal value as exact seconds (from an arbitrary origin): microseconds stay exact."""
    if isinstance(v, dt.timedelta):
        return Decimal(v.days * 86400 + v.seconds) + Decimal(v.microseconds) / 1_000_000
    d = v.replace(tzinfo=None) - dt.datetime(1, 1, 1)
    return Decimal(d.days * 86400 + d.seconds) + Decimal(d.microseconds) / 1_000_000


def _equal_but_fractions(a: dt.datetime | dt.timedelta, b: dt.datetime | dt.timedelta) -> bool:
    if type(a) is not type(b):
        return False
    x, y = _seconds(a), _seconds(b)
    if x.to_integral_value(rounding="ROUND_FLOOR") == y.to_integral_value(rounding="ROUND_FLOOR"):
        return True  # truncated to fewer digits (to whole seconds at most)
    return any(round(x, digits) == round(y, digits) for digits in range(6))  # rounded to fewer digits


def _whole_offset(a: dt.datetime | dt.timedelta, b: dt.datetime | dt.timedelta) -> bool:
    if not (isinstance(a, dt.datetime) and isinstance(b, dt.datetime)):
        return False
    shift = abs(a.replace(tzinfo=None) - b.replace(tzinfo=None))
    return dt.timedelta(0) < shift <= _MAX_TIME_ZONE_OFFSET and shift % _TIME_ZONE_STEP == dt.timedelta(0)


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _looks_like_json(v: Any) -> bool:
    s = _text(v)
    return s is not None and s.strip()[:1] in ("{", "[")


def _json_equal(a: Any, b: Any) -> bool:
    x, y = _text(a), _text(b)
    if x is None or y is None:
        return False
    try:
        return json.loads(x, parse_float=Decimal) == json.loads(y, parse_float=Decimal)
    except (ValueError, InvalidOperation):
        return False


def _equal_but_padding(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.rstrip(" ") == b.rstrip(" ")
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a).rstrip(b"\x00 ") == bytes(b).rstrip(b"\x00 ")
    return False


_PYTHON_CODECS = {
    "latin1": "cp1252",
    "latin2": "iso8859_2",
    "ascii": "ascii",
    "cp1250": "cp1250",
    "cp1251": "cp1251",
    "cp1256": "cp1256",
    "cp1257": "cp1257",
    "greek": "iso8859_7",
    "hebrew": "iso8859_8",
    "latin5": "iso8859_9",
    "latin7": "iso8859_13",
    "koi8r": "koi8_r",
    "koi8u": "koi8_u",
    "sjis": "shift_jis",
    "cp932": "cp932",
    "ujis": "euc_jp",
    "gbk": "gbk",
    "gb2312": "gb2312",
    "gb18030": "gb18030",
    "big5": "big5",
    "euckr": "euc_kr",
    "utf8": "utf-8",
    "utf8mb3": "utf-8",
    "utf8mb4": "utf-8",
    "ucs2": "utf-16-be",
    "utf16": "utf-16-be",
    "utf32": "utf-32-be",
}


def _readings(v: Any, charset: str | None) -> set[str]:
    """The texts a value may stand for: bytes decoded in the column's charset or UTF-8, and text written
    as UTF-8 bytes but read as Latin-1 (a double encoding) undone."""
    out: set[str] = set()
    if isinstance(v, (bytes, bytearray)):
        for codec in {_PYTHON_CODECS.get(charset or "", "utf-8"), "utf-8"}:
            try:
                out.add(bytes(v).decode(codec))
            except (UnicodeDecodeError, LookupError):
                pass
        return out
    if isinstance(v, str):
        out.add(v)
        for codec in ("cp1252", "latin-1"):
            try:
                out.add(v.encode(codec).decode("utf-8"))
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
    return out


def _folded(s: str) -> str:
    """Case and accents folded, as a case- and accent-insensitive collation compares."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", s.casefold()) if not unicodedata.combining(ch))


def _same_text(column: Column, a: Any, b: Any) -> bool:
    ra, rb = _readings(a, column.charset), _readings(b, column.charset)
    if ra & rb:
        return True
    return bool({_folded(x).rstrip(" ") for x in ra} & {_folded(y).rstrip(" ") for y in rb})


def catalogue() -> list[dict]:
    """The classes with their explanation and what to do, JSON-ready for reports."""
    return [{"class": c.name, "explanation": c.explanation, "what_to_do": c.what_to_do} for c in CATALOGUE.values()]
