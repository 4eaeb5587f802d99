"""SQL text that pocflow builds itself. Values go in as bound parameters, or through
:func:`sql_literal` where the SQL text itself is the product (a repair script, a workload's queries);
identifiers (names) go through :func:`quote_identifier` and nowhere else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

MAX_IDENTIFIER_LENGTH = 64  # MySQL/MariaDB limit for database, table and column names


class IdentifierError(ValueError):
    """A name that cannot be used as a MySQL identifier."""


def quote_identifier(name: str) -> str:
    """Quote a MySQL identifier with backticks, doubling any backtick inside it.

    >>> quote_identifier("order lines")
    '`order lines`'
    >>> quote_identifier("we`ird")
    '`we``ird`'
    """
    if not isinstance(name, str) or name == "":
        raise IdentifierError("an identifier must be a non-empty string")
    if "\x00" in name:
        raise IdentifierError(f"identifier {name!r} contains a NUL character")
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise IdentifierError(
            f"identifier {name[:20]!r}... is {len(name)} characters; MySQL allows {MAX_IDENTIFIER_LENGTH}"
        )
    if name != name.rstrip(" "):
        raise IdentifierError(f"identifier {name!r} ends with a space, which MySQL does not allow")
    return "`" + name.replace("`", "``") + "`"


def qualified(schema: str, table: str) -> str:
    """`schema`.`table`"""
    return f"{quote_identifier(schema)}.{quote_identifier(table)}"


def sql_literal(value: Any) -> str:
    """A value as a MySQL/MariaDB literal that reads the same whatever the sql_mode: NULL, numbers as they
    are, binary as X'..', text quoted (text holding a backslash or a control character as _utf8mb4 X'..',
    since NO_BACKSLASH_ESCAPES changes how a quoted backslash reads), dates and times quoted."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        return f"X'{bytes(value).hex().upper()}'"
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, dt.timedelta):
        return f"'{_time_text(value)}'"
    if isinstance(value, (set, frozenset)):
        value = ",".join(sorted(value))
    text = str(value)
    if "\\" in text or any(ord(ch) < 32 for ch in text):
        return f"_utf8mb4 X'{text.encode('utf-8').hex().upper()}'"
    return "'" + text.replace("'", "''") + "'"


def _time_text(value: dt.timedelta) -> str:
    """A TIME value ([-]H:MM:SS[.ffffff], hours beyond 24 allowed) from a timedelta."""
    sign, value = ("-", -value) if value < dt.timedelta(0) else ("", value)
    seconds = value.days * 86400 + value.seconds
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return text + (f".{value.microseconds:06d}" if value.microseconds else "")
