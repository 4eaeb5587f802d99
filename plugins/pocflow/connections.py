"""The one place pocflow opens MySQL connections (the source, or the target through vtgate)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

import pymysql
import pymysql.cursors

from pocflow import extensions


@dataclass(frozen=True)
class Endpoint:
    """Where a MySQL-protocol server is and how to log in. ``repr`` never shows the password."""

    host: str
    port: int
    user: str
    password: str = ""
    database: str | None = None

    @classmethod
    def from_dsn(cls, dsn: str) -> Endpoint:
        """``mysql://user:password@host:port/database``"""
        parts = urlsplit(dsn)
        if parts.scheme not in ("mysql", "mariadb"):
            raise ValueError(f"not a mysql:// DSN: {redact(dsn)}")
        if not parts.hostname or not parts.username:
            raise ValueError(f"a DSN needs a user and a host: {redact(dsn)}")
        return cls(
            host=parts.hostname,
            port=parts.port or 3306,
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")) or None,
        )

    def with_database(self, database: str | None) -> Endpoint:
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


def connect(
    endpoint: Endpoint,
    *,
    dict_rows: bool = False,
    autocommit: bool = True,
    local_infile: bool = False,
    read_timeout: float | None = None,
) -> pymysql.connections.Connection:
    return pymysql.connect(
        host=endpoint.host,
        port=endpoint.port,
        user=endpoint.user,
        password=endpoint.password,
        database=endpoint.database,
        charset="utf8mb4",
        autocommit=autocommit,
        cursorclass=pymysql.cursors.DictCursor if dict_rows else pymysql.cursors.Cursor,
        local_infile=local_infile,
        connect_timeout=10,
        read_timeout=read_timeout,
    )


class UnknownConnection(LookupError):
    def __init__(self, conn_id: str):
        self.conn_id = conn_id
        super().__init__(
            f"unknown connection id {conn_id!r}: create it in Airflow (Admin > Connections) "
            f"or set AIRFLOW_CONN_{conn_id.upper()}=mysql://user:password@host:port/db"
        )


def _from_environment(conn_id: str) -> Endpoint | None:
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not value:
        return None
    if value.lstrip().startswith("{"):
        c = json.loads(value)
        return Endpoint(
            host=c.get("host", "127.0.0.1"),
            port=int(c.get("port") or 3306),
            user=c.get("login", ""),
            password=c.get("password") or "",
            database=c.get("schema") or None,
        )
    return Endpoint.from_dsn(value)


def resolve(conn_id: str, *, airflow_lookup=None) -> Endpoint:
    """A connection id -> Endpoint: AIRFLOW_CONN_<ID>, then Airflow (inside a task), then the fallbacks extensions
    register (the local stack's, from pocflow.local)."""
    for lookup in (_from_environment, airflow_lookup):
        endpoint = lookup(conn_id) if lookup is not None else None
        if endpoint is not None:
            return endpoint
    for lookup in extensions.registry().connection_fallbacks:  # loaded only when the first two did not answer
        endpoint = lookup(conn_id)
        if endpoint is not None:
            return endpoint
    raise UnknownConnection(conn_id)


def exists(conn_id: str, *, airflow_lookup=None) -> bool:
    try:
        resolve(conn_id, airflow_lookup=airflow_lookup)
        return True
    except UnknownConnection:
        return False
