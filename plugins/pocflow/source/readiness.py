"""Readiness rules: what stands between a source database and a Vitess import.

Pure functions over an Inventory. Each finding has a stable id, a severity, the object it
concerns, the evidence and what to do. Covers PlanetScale's import prerequisites and the AWS
DMS MySQL-source assessments that apply to a Vitess import. Rules that exist for one flavour
only (GTIDs, versions, flavour-only binlog settings) come from pocflow.source.flavor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pocflow.source.flavor import BLOCKER, INFO, WARNING, is_generated_invisible_primary_key
from pocflow.source.inventory import IMPORT_PRIVILEGES, Inventory, Table
from pocflow.sql import quote_identifier

SUPPORTED_CHARSETS = {"utf8", "utf8mb3", "utf8mb4", "latin1", "ascii", "binary"}
MAX_TABLES = 2048
MAX_COLUMNS = 1017
MIN_RETENTION_SECONDS = 2 * 24 * 3600
LOB_MAX_BYTES = {
    "tinyblob": 255,
    "tinytext": 255,
    "blob": 65_535,
    "text": 65_535,
    "mediumblob": 16_777_215,
    "mediumtext": 16_777_215,
    "longblob": 4_294_967_295,
    "longtext": 4_294_967_295,
    "json": 4_294_967_295,
}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    object: str
    evidence: str
    remediation: str
    excludes_table: bool = False
    """The table cannot be imported until this is fixed."""

    def to_dict(self) -> dict:
        return asdict(self)


def _charset_of(collation: str | None) -> str | None:
    return collation.split("_", 1)[0] if collation else None


def server_findings(inv: Inventory) -> list[Finding]:
    s, out = inv.server, []

    def add(id_, sev, evidence, fix):
        out.append(Finding(id_, sev, "server", evidence, fix))

    if str(s.get("log_bin", "")).upper() not in ("ON", "1"):
        add(
            "binlog-disabled",
            BLOCKER,
            f"log_bin = {s.get('log_bin')}",
            "enable the binary log (log_bin) and restart the server",
        )
    if str(s.get("binlog_format", "")).upper() != "ROW":
        add(
            "binlog-format-not-row",
            BLOCKER,
            f"binlog_format = {s.get('binlog_format')}",
            "SET GLOBAL binlog_format = 'ROW' and persist it in my.cnf; VReplication reads row events only",
        )
    if str(s.get("binlog_row_image", "")).upper() not in ("FULL", "NOBLOB"):
        add(
            "binlog-row-image",
            BLOCKER,
            f"binlog_row_image = {s.get('binlog_row_image')}",
            "set binlog_row_image = FULL",
        )
    for check in inv.server_flavor.server_checks(s):
        add(*check)
    retention = _retention_seconds(s)
    if retention is not None and retention < MIN_RETENTION_SECONDS:
        add(
            "binlog-retention-short",
            BLOCKER,
            f"binary logs are kept {retention / 3600:.0f} h",
            "keep binary logs at least 2 days (binlog_expire_logs_seconds >= 172800) so a long copy can resume",
        )
    modes = set(filter(None, str(s.get("sql_mode", "")).upper().split(",")))
    if "ANSI_QUOTES" in modes:
        add("sql-mode-ansi-quotes", BLOCKER, f"sql_mode = {s.get('sql_mode')}", "remove ANSI_QUOTES from sql_mode")
    missing = [m for m in ("NO_ZERO_IN_DATE", "NO_ZERO_DATE") if m not in modes]
    if missing:
        add(
            "sql-mode-zero-dates",
            WARNING,
            f"sql_mode lacks {', '.join(missing)}",
            "add NO_ZERO_IN_DATE and NO_ZERO_DATE; zero dates are refused by the target's strict mode",
        )
    if "STRICT_TRANS_TABLES" not in modes and "STRICT_ALL_TABLES" not in modes:
        add(
            "sql-mode-not-strict",
            WARNING,
            f"sql_mode = {s.get('sql_mode')}",
            "add STRICT_TRANS_TABLES, or start the source vttablet with --enforce-strict-trans-tables=false",
        )
    try:
        if int(s.get("max_connections", 0)) < 10:
            add(
                "max-connections-low",
                BLOCKER,
                f"max_connections = {s.get('max_connections')}",
                "allow at least 10 connections for the import",
            )
    except ValueError:
        pass
    if str(s.get("server_id", "0")) == "0":
        add("server-id-zero", BLOCKER, "server_id = 0", "set a unique, non-zero server_id")
    if "_vt" in inv.schemas:
        add(
            "vt-schema-exists",
            WARNING,
            "a `_vt` schema already exists on the source",
            "an earlier import left it; drop it only if no Vitess tablet uses this server",
        )
    for privilege, objects in (("TRIGGER", "triggers"), ("EVENT", "events")):
        if inv.own_privileges and privilege not in inv.own_privileges:
            add(
                f"{objects}-not-visible",
                WARNING,
                f"the assessment account lacks {privilege}, so MySQL hides {objects} from it",
                f"GRANT {privilege} ON `{inv.database}`.* to the assessment account, or list "
                f"{objects} as an administrator (SHOW {objects.upper()})",
            )
    if len(inv.tables) > MAX_TABLES:
        add("too-many-tables", BLOCKER, f"{len(inv.tables)} tables", f"import at most {MAX_TABLES} tables per workflow")
    if inv.import_user:
        if inv.import_user_privileges is None:
            add(
                "import-user-unverified",
                WARNING,
                f"could not read the privileges of {inv.import_user!r}",
                "grant the assessment account SELECT on mysql.user, or check the import user by hand",
            )
        elif not inv.import_user_privileges:
            add(
                "import-user-missing",
                BLOCKER,
                f"no account named {inv.import_user!r}",
                "create the import user (REPLICATION SLAVE, REPLICATION CLIENT, RELOAD, PROCESS, SELECT)",
            )
        else:
            lacking = [p for p in IMPORT_PRIVILEGES if not inv.import_user_privileges.get(p)]
            if lacking:
                add(
                    "import-user-privileges",
                    BLOCKER,
                    f"{inv.import_user!r} lacks {', '.join(lacking)}",
                    f"GRANT {', '.join(_privilege_name(p) for p in lacking)} ON *.* TO the import user",
                )
    else:
        add(
            "import-user-not-given",
            INFO,
            "no import user named in the engagement",
            "name it (source_import_user) to have its privileges checked",
        )
    return out


def _privilege_name(column: str) -> str:
    return {
        "Select_priv": "SELECT",
        "Reload_priv": "RELOAD",
        "Process_priv": "PROCESS",
        "Repl_slave_priv": "REPLICATION SLAVE",
        "Repl_client_priv": "REPLICATION CLIENT",
        "Lock_tables_priv": "LOCK TABLES",
    }[column]


def _retention_seconds(s: dict[str, str]) -> float | None:
    """How long binary logs are kept; None when they never expire (0) or the server does not say.
    MariaDB 10.6+ writes expire_logs_days as a fraction ('0.000000')."""
    for name, unit in (("binlog_expire_logs_seconds", 1), ("expire_logs_days", 86400)):
        try:
            value = float(s.get(name) or 0)
        except ValueError:
            return None
        if value:
            return value * unit
    return None


def table_findings(inv: Inventory, table: Table) -> list[Finding]:
    db, out = inv.database, []
    obj = f"{db}.{table.name}"

    def add(id_, sev, evidence, fix, *, column=None, excludes=False):
        out.append(Finding(id_, sev, f"{obj}.{column}" if column else obj, evidence, fix, excludes))

    if (table.engine or "").lower() != "innodb":
        add(
            "non-innodb-engine",
            BLOCKER,
            f"engine {table.engine}",
            "ALTER TABLE ... ENGINE=InnoDB before the import",
            excludes=True,
        )
    if not table.unique_not_null_keys():
        nullable = [i.name for i in table.indexes if i.unique and not i.primary]
        evidence = "no primary key" + (f"; unique keys {nullable} allow NULLs" if nullable else " and no unique key")
        add(
            "no-unique-not-null-key",
            BLOCKER,
            evidence,
            "add a primary key (an AUTO_INCREMENT id will do) or a NOT NULL unique key; until then the table "
            "is left out of the import",
            excludes=True,
        )
    charset = _charset_of(table.collation)
    if charset and charset not in SUPPORTED_CHARSETS:
        add(
            "unsupported-table-charset",
            BLOCKER,
            f"default charset {charset}",
            "convert the table to utf8mb4",
            excludes=True,
        )
    if len(table.columns) > MAX_COLUMNS:
        add(
            "too-many-columns",
            BLOCKER,
            f"{len(table.columns)} columns",
            f"Vitess allows at most {MAX_COLUMNS}",
            excludes=True,
        )
    if table.partition_method and table.partition_method.upper() not in ("RANGE", "RANGE COLUMNS"):
        add(
            "non-range-partitioning",
            BLOCKER,
            f"{table.partition_method} partitioning, {table.partitions} partitions",
            "only RANGE partitioning is supported: repartition or remove partitioning",
            excludes=True,
        )
    for fk in table.foreign_keys:
        add(
            "foreign-key",
            WARNING,
            f"{fk.name}: ({', '.join(fk.columns)}) -> {fk.referenced_table} ({', '.join(fk.referenced_columns)})",
            "foreign keys need MoveTables --atomic-copy with all tables, and must stay within a shard when "
            "sharded; consider enforcing the relation in the application",
        )
    max_packet = int(inv.server.get("max_allowed_packet") or 0)
    primary = table.primary_key.column_names if table.primary_key else ()  # never functional in MySQL
    for col in table.columns:
        c_charset = col.charset
        if c_charset and c_charset not in SUPPORTED_CHARSETS:
            add(
                "unsupported-column-charset",
                BLOCKER,
                f"charset {c_charset}",
                "convert the column to utf8mb4",
                column=col.name,
                excludes=True,
            )
        elif c_charset and c_charset not in ("utf8mb4", "binary"):
            add(
                "non-utf8mb4-column",
                INFO,
                f"charset {c_charset} ({col.collation})",
                "importable; the validation stage compares it with its collation in mind",
                column=col.name,
            )
        if col.generated:
            add(
                "generated-column",
                WARNING,
                f"{col.column_type} {col.extra}",
                "VReplication copies the base columns and lets the target generate this one; check it after import",
                column=col.name,
            )
        if col.invisible and is_generated_invisible_primary_key(col.name, col.extra, primary):
            add(
                "generated-invisible-primary-key",
                WARNING,
                f"{col.column_type} {col.extra}: the primary key MySQL generated (sql_generate_invisible_primary_key)",
                f"make it visible before the import (ALTER TABLE {quote_identifier(table.name)} ALTER COLUMN "
                f"{quote_identifier(col.name)} SET VISIBLE) so the target and the comparison see it; on a sharded "
                "target it also needs a Vitess sequence",
                column=col.name,
            )
        elif col.invisible:
            add(
                "invisible-column",
                WARNING,
                f"{col.column_type} {col.extra}",
                "SELECT * leaves it out on source and target; VReplication copies it (Vitess lists columns from "
                "information_schema), but check queries and tools that rely on SELECT *, or make it visible "
                "(ALTER COLUMN ... SET VISIBLE) before the import",
                column=col.name,
            )
        if col.data_type == "vector":
            add(
                "vector-column",
                WARNING,
                f"{col.column_type}: a MySQL 9 type",
                "the target keyspace's MySQL must support VECTOR (MySQL 9.0+); a MySQL 8.0/8.4 target cannot "
                "create this table",
                column=col.name,
            )
        lob = LOB_MAX_BYTES.get(col.data_type)
        if lob and max_packet and lob > max_packet:
            add(
                "lob-larger-than-packet",
                WARNING,
                f"{col.column_type} can hold {lob:,} bytes; max_allowed_packet is {max_packet:,}",
                "raise max_allowed_packet on source and target to the largest row, or VReplication stops on it",
                column=col.name,
            )
        if col.data_type in ("float", "double"):
            add(
                "approximate-numeric",
                INFO,
                col.column_type,
                "compared with a tolerance in validation; prefer DECIMAL for money",
                column=col.name,
            )
        if col.data_type == "timestamp":
            add(
                "timestamp-time-zone",
                INFO,
                f"{col.column_type}; server time_zone {inv.server.get('time_zone')}",
                "compared in UTC in validation; keep source and target time zones equal",
                column=col.name,
            )
    if table.auto_increment is not None or any("auto_increment" in c.extra.lower() for c in table.columns):
        add(
            "auto-increment",
            INFO,
            "AUTO_INCREMENT key",
            "on a sharded target this key needs a Vitess sequence (the sharding plan adds one)",
        )
    return out


def object_findings(inv: Inventory) -> list[Finding]:
    db, out = inv.database, []
    for v in inv.views:
        out.append(
            Finding(
                "view",
                WARNING,
                f"{db}.{v.name}",
                "view (not imported by MoveTables)",
                "recreate the view on the target after the import (ApplySchema)",
            )
        )
    for t in inv.triggers:
        out.append(
            Finding(
                "trigger",
                WARNING,
                f"{db}.{t.name}",
                f"trigger {t.detail}",
                "Vitess does not run triggers: move this logic into the application",
            )
        )
    for r in inv.routines:
        out.append(
            Finding(
                "routine",
                WARNING,
                f"{db}.{r.name}",
                f"stored {r.kind}",
                "stored procedures and functions are not supported through vtgate: move them to the application",
            )
        )
    for e in inv.events:
        out.append(
            Finding(
                "event",
                WARNING,
                f"{db}.{e.name}",
                f"scheduled event ({e.detail})",
                "events are not imported: schedule the job outside the database",
            )
        )
    return out


@dataclass(frozen=True)
class Readiness:
    findings: list[Finding]
    importable: list[str]
    excluded: dict[str, str]
    validation_notes: list[str]
    """Columns the validation stage must compare with care (charsets, floats, timestamps)."""

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOCKER]

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in (BLOCKER, WARNING, INFO)}

    def to_dict(self) -> dict:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "importable": self.importable,
            "excluded": self.excluded,
            "validation_notes": self.validation_notes,
            "counts": self.counts(),
        }


def backtick_table_findings(inv: Inventory) -> list[Finding]:
    """Vitess v24's schema engine cannot read a database holding a table whose name contains a
    backtick (GetSchema fails with "UnescapeID err: no outer backticks found"), so such a table
    blocks the import of every table of its database, not only itself."""
    return [
        Finding(
            "backtick-in-table-name",
            BLOCKER,
            t.name,
            f"table name {t.name!r} contains a backtick; Vitess cannot read this database's schema "
            f"(GetSchema: UnescapeID err), so no table of {inv.database} can be imported",
            "rename the table (RENAME TABLE) to a name without a backtick before the import",
            excludes_table=True,
        )
        for t in inv.tables
        if "`" in t.name
    ]


def assess(inv: Inventory) -> Readiness:
    findings = server_findings(inv) + object_findings(inv)
    importable: list[str] = []
    excluded: dict[str, str] = {}
    notes: list[str] = []
    backticks = backtick_table_findings(inv)
    if backticks:
        findings += backticks
        names = ", ".join(f.object for f in backticks)
        for table in inv.tables:
            findings += table_findings(inv, table)
            excluded[table.name] = f"backtick-in-table-name: the database holds {names}, which Vitess cannot read"
        return Readiness(findings, [], excluded, notes)
    for table in inv.tables:
        tf = table_findings(inv, table)
        findings += tf
        blockers = [f for f in tf if f.excludes_table]
        if blockers:
            excluded[table.name] = "; ".join(f"{f.id}: {f.evidence}" for f in blockers)
        else:
            importable.append(table.name)
            notes += [
                f"{f.object}: {f.id} ({f.evidence})"
                for f in tf
                if f.id in ("non-utf8mb4-column", "approximate-numeric", "timestamp-time-zone")
            ]
    return Readiness(findings, importable, excluded, notes)
