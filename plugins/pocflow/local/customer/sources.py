"""``pocflow source add | list | remove``: any database of the local source behind a tablet of its own.

``add`` with ``--from-dump`` creates the database from a customer's dump (it must not exist yet); without it, it fronts
a database already on the source. Nothing changes before the name, the keyspaces and the whole dump have been checked;
a load that fails drops what it created. The dump runs as an account of its own whose privileges end at the new
database, so no statement of it reaches another one; the account stays, locked, as the definer of the database's
views, triggers and routines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from pocflow.connections import Endpoint, connect
from pocflow.engagement import ENGAGEMENTS_DIR
from pocflow.local.customer import rows as rowgen
from pocflow.local.customer.dump import CheckedDump, DumpError, read_dump
from pocflow.local.stack import Stack
from pocflow.local.stack.config import SIDECAR_DATABASE, SourceEntry
from pocflow.local.stack.credentials import READONLY_USER
from pocflow.local.stack.process import StackError, port_open
from pocflow.local.stack.source import HOST
from pocflow.sql import quote_identifier as q
from pocflow.vitess.movetables import MoveTables
from pocflow.vitess.vtctldclient import VtctldError

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,47}$")
SYSTEM_SCHEMAS = {"mysql", "sys", "information_schema", "performance_schema", SIDECAR_DATABASE}
OPT_OUT_DAYS = 30


@dataclass
class Added:
    entry: SourceEntry
    engagement_file: Path
    engagement_written: bool
    engagement_yaml: str
    notes: list[str] = field(default_factory=list)
    statements: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def loader_user(database: str) -> str:
    """The account a database's dump runs as (32 characters at most, MySQL's limit)."""
    return "pocflow_ld_" + hashlib.sha1(database.encode()).hexdigest()[:12]


def source_keyspace(database: str) -> str:
    return f"{database}_source"


def engagement_yaml(database: str, *, target_keyspace: str, vtctld: str, today: dt.date | None = None) -> str:
    """The engagement file to start a rehearsal on an added database from."""
    opt_out = (today or dt.date.today()) + dt.timedelta(days=OPT_OUT_DAYS)
    name = database.replace("_", "-").lower()
    return (
        "\n".join(
            [
                f"# Rehearsal on database {database} of the local source (`pocflow source add`). "
                "Adjust and run it with",
                f'#   pocflow dags-test --conf \'{{"engagement_file": "{name}.yaml"}}\'',
                f"engagement_name: {name}",
                f"customer: {database}",
                "source_connection_id: pocflow_source",
                f"source_database: {database}",
                "source_import_user: pocflow_import",
                f"source_keyspace: {source_keyspace(database)}",
                f"vtctld_address: {vtctld}",
                "vtgate_connection_id: pocflow_vtgate",
                f"target_keyspace: {target_keyspace}",
                "sharding_mode: auto",
                f"opt_out_date: {opt_out.isoformat()}",
                "artifact_location: artifacts",
                "customer_decision: skip",
            ]
        )
        + "\n"
    )


def _admin(stack: Stack) -> Endpoint:
    return Endpoint.from_dsn(stack.env()["POCFLOW_SOURCE_ADMIN_DSN"]).with_database(None)


def _database_exists(cur, database: str) -> bool:
    cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (database,))
    return cur.fetchone() is not None


def _keyspaces(stack: Stack) -> set[str]:
    data = stack.cluster.vtctld.run_json("GetKeyspaces")
    return {k["name"] for k in (data.get("keyspaces") or [] if isinstance(data, dict) else data)}


def _refusal(stack: Stack, database: str, from_dump: bool) -> str | None:
    """Why ``database`` cannot be added, or None."""
    if not NAME.match(database):
        return (
            f"database name {database!r}: use letters, digits and underscores, starting with a letter, at most 48 "
            f"(it names the keyspaces {database}_source and {database} too)"
        )
    added = {e.database: e for e in stack.config.source_entries()}
    if database in SYSTEM_SCHEMAS:
        return f"`{database}` is a system schema of the source server"
    if database in added:
        kind = "a built-in source database" if added[database].builtin else "already added"
        return f"`{database}` is {kind} of the local stack; nothing was changed"
    with connect(_admin(stack)) as conn, conn.cursor() as cur:
        exists = _database_exists(cur, database)
    if from_dump and exists:
        return (
            f"database `{database}` already exists on the local source; nothing was changed (choose another "
            f"--database, or add the existing one without --from-dump)"
        )
    if not from_dump and not exists:
        return f"database `{database}` does not exist on the local source: load it with --from-dump FILE_OR_DIR"
    taken = _keyspaces(stack) & {source_keyspace(database), database}
    if taken:
        return f"keyspace {', '.join(sorted(taken))} already exists in the stack's topology; choose another --database"
    return None


def add(
    stack: Stack,
    database: str,
    *,
    dump: Path | None = None,
    scale_rows: int | None = None,
    seed: int = rowgen.DEFAULT_SEED,
    progress: Callable[[str], None] = print,
) -> Added:
    """Load ``dump`` (if any) into a new ``database``, fill it with ``scale_rows`` generated rows per table (if asked),
    front it with a source tablet of keyspace ``<database>_source`` and write its engagement file."""
    why = _refusal(stack, database, dump is not None)
    if why:
        raise DumpError(why)
    checked = read_dump(dump, database) if dump is not None else CheckedDump([])
    config = stack.config
    entries = list(config.added_sources())
    taken = {e.uid for e in config.source_entries()} | {t.uid for t in config.target_tablets}
    try:
        uid = config.free_source_uid(taken, port_in_use=port_open)
    except ValueError as e:
        raise StackError(str(e)) from None
    entry = SourceEntry(database, source_keyspace(database), uid, origin=str(dump.resolve()) if dump else "")
    admin = _admin(stack)
    counts: dict[str, int] = {}
    if dump is not None or scale_rows:
        counts = _load(admin, database, checked, dump is not None, scale_rows, seed, progress)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")  # accounts are local to this server, as the stack's own
        # the assessment lists triggers and events only to holders of these privileges
        cur.execute(f"GRANT TRIGGER, EVENT ON {q(database)}.* TO %s@%s", (READONLY_USER, HOST))
    config.save_added_sources([*entries, entry])
    progress(f"starting source tablet {config.source_tablet(entry).alias} for keyspace {entry.keyspace}")
    try:
        stack.cluster.start_source_tablet(config.source_tablet(entry))
    except (StackError, VtctldError) as e:
        raise StackError(
            f"{e}; the database stays loaded: `pocflow source remove {database} --approve` removes it"
        ) from None
    path = ENGAGEMENTS_DIR / f"{database.replace('_', '-').lower()}.yaml"
    text = engagement_yaml(database, target_keyspace=database, vtctld=config.vtctld_grpc_address)
    written = not path.exists()
    if written:
        path.write_text(text)
    return Added(
        entry, path, written, text if written else path.read_text(), checked.notes, len(checked.statements), counts
    )


def _load(
    admin: Endpoint,
    database: str,
    checked: CheckedDump,
    create: bool,
    scale_rows: int | None,
    seed: int,
    progress: Callable[[str], None],
) -> dict[str, int]:
    """Create ``database``, run the dump and generate rows as its own account; drop it all again on failure."""
    user, password = loader_user(database), secrets.token_urlsafe(18)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("DROP USER IF EXISTS %s@%s", (user, HOST))
        cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, HOST, password))
        cur.execute(f"GRANT ALL PRIVILEGES ON {q(database)}.* TO %s@%s", (user, HOST))
        cur.execute("SET SESSION sql_log_bin = 1")
        if create:
            cur.execute(f"CREATE DATABASE {q(database)} {checked.database_options or 'DEFAULT CHARACTER SET utf8mb4'}")
    try:
        loader = Endpoint(admin.host, admin.port, user, password, database)
        if checked.statements:
            progress(f"loading {len(checked.statements)} statements into {database}")
            run_statements(loader, checked)
        counts: dict[str, int] = {}
        if scale_rows:
            with connect(loader, autocommit=False) as conn:
                with conn.cursor() as cur:
                    tables = rowgen.read_schema(cur, database)
                try:
                    generated = rowgen.generate(tables, scale_rows, seed)
                except rowgen.GenerateError as e:
                    raise DumpError(
                        f"generated rows for {database}: {e}; make the column nullable or leave out --scale-rows"
                    ) from None
                progress(
                    f"generating {scale_rows} rows per table into {len(tables)} tables of {database} (seed {seed})"
                )
                try:
                    counts = rowgen.insert(conn, tables, generated, progress=progress)
                except pymysql.MySQLError as e:
                    raise DumpError(f"generated rows for {database}: {_message(e)}") from None
            for table, n in generated.short.items():
                progress(f"  {table}: {n} rows only (its unique keys hold no more)")
    except BaseException:
        _drop(admin, database if create else None, user)
        raise
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("ALTER USER %s@%s ACCOUNT LOCK", (user, HOST))  # kept only as the definer of its objects
    return counts


def _message(e: pymysql.MySQLError) -> str:
    """The server's message on one line."""
    return " ".join(str(e.args[1] if len(e.args) > 1 else e).split())


def run_statements(endpoint: Endpoint, checked: CheckedDump) -> None:
    """Run the dump's statements; the first error becomes ``FILE line N: message`` (the line inside the statement
    where the server says so)."""
    with connect(endpoint) as conn, conn.cursor() as cur:
        for st in checked.statements:
            try:
                # bytes as they are: a dump's bytes that are not UTF-8 reach the server unchanged
                cur.execute(st.text.encode("utf-8", errors="surrogateescape"))  # type: ignore[call-overload]
                while cur.nextset():
                    pass
            except pymysql.MySQLError as e:
                message = _message(e)
                at = re.search(r" at line (\d+)$", message)
                line = st.line + int(at.group(1)) - 1 if at else st.line
                message = message[: at.start()] if at else message  # now counted from the file's start
                raise DumpError(f"{st.file} line {line}: {message}") from None


def _drop(admin: Endpoint, database: str | None, user: str | None) -> None:
    with connect(admin) as conn, conn.cursor() as cur:
        if database is not None:
            cur.execute(f"DROP DATABASE IF EXISTS {q(database)}")
        cur.execute("SET SESSION sql_log_bin = 0")
        if user is not None:
            cur.execute("DROP USER IF EXISTS %s@%s", (user, HOST))
        if database is not None:
            try:
                cur.execute(f"REVOKE TRIGGER, EVENT ON {q(database)}.* FROM %s@%s", (READONLY_USER, HOST))
            except pymysql.MySQLError:
                pass  # never granted


def remove(stack: Stack, database: str, *, approved: bool, progress: Callable[[str], None] = print) -> list[str]:
    """Take an added database off the stack: its source tablet and keyspace, the target keyspace provisioning made for
    it, the database itself and its accounts' grants. Built-in source databases stay."""
    entries = {e.database: e for e in stack.config.source_entries()}
    entry = entries.get(database)
    if entry is None:
        raise StackError(f"`{database}` is not a source database of the local stack (see `pocflow source list`)")
    if entry.builtin:
        raise StackError(f"`{database}` is a built-in source database of the local stack and is not removed")
    if not approved:
        raise StackError(f"refusing to remove `{database}` without --approve: it drops the database and its keyspaces")
    done = []
    for workflow in _workflows_into(stack, database):
        MoveTables(stack.cluster.vtctld, workflow, database).cancel(approved=True)
        done.append(f"cancelled workflow {workflow} into keyspace {database}")
    if stack.remove_keyspace(database):
        done.append(f"removed target keyspace {database} and its tablets")
    stack.cluster.remove_source_tablet(stack.config.source_tablet(entry))
    done.append(f"removed source tablet {stack.config.source_tablet(entry).alias} and keyspace {entry.keyspace}")
    _drop(_admin(stack), database, loader_user(database))
    done.append(f"dropped database {database}")
    stack.config.save_added_sources([e for e in stack.config.added_sources() if e.database != database])
    for line in done:
        progress(line)
    return done


def _workflows_into(stack: Stack, keyspace: str) -> list[str]:
    try:
        data = stack.cluster.vtctld.run_json("GetWorkflows", keyspace, "--include-logs=false")
    except VtctldError:
        return []
    return [w["name"] for w in data.get("workflows") or []]


def listing(stack: Stack) -> list[dict]:
    """Every source database the stack fronts: database, keyspace, tablet, ports, where it came from."""
    out = []
    for e in stack.config.source_entries():
        t = stack.config.source_tablet(e)
        out.append(
            {
                "database": e.database,
                "keyspace": e.keyspace,
                "tablet": t.alias,
                "http_port": t.http_port,
                "grpc_port": t.grpc_port,
                "origin": e.origin,
            }
        )
    return out
