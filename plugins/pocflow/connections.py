"""The one place pocflow opens MySQL connections (the source, or the target through vtgate)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

import pymysql
import pymysql.cursors


@dataclass(frozen=True)
class Endpoint:
    """Where a MySQL-protocol server is and how to log in. ``repr`` never shows the password."""

    host: str
    port: int
    user: str
    password: str = ""
    database: str | None = None

    @classmethod
    def from_dsn(cls, dsn: str) -> "Endpoint":
        """``mysql://user:password@host:port/database``"""
        parts = urlsplit(dsn)
        if parts.scheme not in ("mysql", "mariadb"):
            raise ValueError(f"not a mysql:// DSN: {redact(dsn)}")
        if not parts.hostname or not parts.username:
            raise ValueError(f"a DSN needs a user and a host: {redact(dsn)}")
        return cls(host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username),
                   password=unquote(parts.password or ""),
                   database=unquote(parts.path.lstrip("/")) or None)

    def with_database(self, database: str | None) -> "Endpoint":
        return replace(self, database=database)

    def dsn(self) -> str:
        auth = quote(self.user, safe="") + (":" + quote(self.password, safe="") if self.password else "")
        return f"mysql://{auth}@{self.host}:{self.port}/{quote(self.database or '', safe='')}"

    def __repr__(self) -> str:
        return f"Endpoint({self.user}@{self.host}:{self.port}/{self.database or ''})"

    __str__ = __repr__


def redact(dsn: str) -> str:
    """A DSN with its password replaced by ***."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connect(endpoint: Endpoint, *, dict_rows: bool = False, autocommit: bool = True,
            local_infile: bool = False, read_timeout: float | None = None) -> pymysql.connections.Connection:
    return pymysql.connect(
        host=endpoint.host, port=endpoint.port, user=endpoint.user, password=endpoint.password,
        database=endpoint.database, charset="utf8mb4", autocommit=autocommit,
        cursorclass=pymysql.cursors.DictCursor if dict_rows else pymysql.cursors.Cursor,
        local_infile=local_infile, connect_timeout=10, read_timeout=read_timeout,
    )
