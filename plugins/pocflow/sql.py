"""SQL text that pocflow builds itself. User values never go into SQL text: they are bound
parameters; identifiers (names) go through :func:`quote_identifier` and nowhere else."""

from __future__ import annotations

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
