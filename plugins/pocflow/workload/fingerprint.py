"""Query fingerprints: the same statement with other literals is the same query (as pt-fingerprint)."""

from __future__ import annotations

import hashlib
import re

_COMMENTS = re.compile(r"/\*.*?\*/|--[^\n]*|#[^\n]*", re.S)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBERS = re.compile(r"(?<![\w`.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", re.I)
_IN_LISTS = re.compile(r"\bin\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.I)
_SPACE = re.compile(r"\s+")


def fingerprint(sql: str) -> str:
    """Lower-cased, comments dropped, literals as ?, IN lists as in(?+), whitespace collapsed."""
    text = _COMMENTS.sub(" ", sql)
    text = _STRINGS.sub("?", text)
    text = _NUMBERS.sub("?", text)
    text = _SPACE.sub(" ", text).strip().rstrip(";").strip().lower()
    return _IN_LISTS.sub("in(?+)", text)


def digest(sql: str) -> str:
    return hashlib.sha1(fingerprint(sql).encode()).hexdigest()[:16]
