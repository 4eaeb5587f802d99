"""Where MySQL and MariaDB differ, as far as a source assessment is concerned: the one place.

Other modules ask a :class:`Flavor` (or the functions here) instead of testing for MariaDB
themselves: which server variables matter, how the catalogue marks generated and invisible
columns, whether statement digests carry a runnable sample, which findings a version or a
flavour-only setting deserves.

What does not differ, and so is not here: ``SHOW GLOBAL VARIABLES WHERE ...`` answers on both
(MySQL 8+ has no ``information_schema.global_variables``, MariaDB no
``performance_schema.global_variables`` for every account), and the comparison's row hash is
``SHA2`` on both (MySQL 9 removed ``MD5()`` and ``SHA1()``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

MYSQL, MARIADB = "mysql", "mariadb"
BLOCKER, WARNING, INFO = "blocker", "warning", "info"

COMMON_VARIABLES = (
    "version",
    "version_comment",
    "log_bin",
    "binlog_format",
    "binlog_row_image",
    "server_id",
    "binlog_expire_logs_seconds",
    "expire_logs_days",
    "sql_mode",
    "max_connections",
    "max_allowed_packet",
    "performance_schema",
    "character_set_server",
    "collation_server",
    "time_zone",
    "system_time_zone",
    "lower_case_table_names",
    "innodb_file_per_table",
    "read_only",
)
MYSQL_VARIABLES = (
    "gtid_mode",
    "enforce_gtid_consistency",
    "binlog_row_value_options",
    "binlog_transaction_compression",
    "sql_generate_invisible_primary_key",
)
MARIADB_VARIABLES = ("gtid_strict_mode",)
SERVER_VARIABLES = COMMON_VARIABLES + MYSQL_VARIABLES + MARIADB_VARIABLES
"""Asked of every source in one query: a name the server does not know is simply absent."""

GIPK_COLUMN = "my_row_id"
"""The column MySQL adds as a generated invisible primary key (sql_generate_invisible_primary_key)."""

_GENERATED = re.compile(r"\b(VIRTUAL|STORED|PERSISTENT)\s+GENERATED\b", re.I)
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


_INTEGER_WIDTH = re.compile(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)", re.I)


def comparable_column_type(column_type: str) -> str:
    """A column type as both flavours would write it: MySQL 8.0.19+ prints integers without their
    display width (``bigint unsigned``), MariaDB with it (``bigint(20) unsigned``); the width never
    changed what a column holds."""
    return _INTEGER_WIDTH.sub(lambda m: m.group(1), column_type.strip().lower())


def server_variables_query(names: tuple[str, ...] = SERVER_VARIABLES) -> tuple[str, tuple[str, ...]]:
    """SQL and arguments reading ``names`` (lower-case) from either flavour: rows of (name, value)."""
    return (f"SHOW GLOBAL VARIABLES WHERE LOWER(Variable_name) IN ({', '.join(['%s'] * len(names))})", tuple(names))


def column_is_generated(extra: str | None, generation_expression: str | None) -> bool:
    """A generated column: EXTRA says VIRTUAL/STORED/PERSISTENT GENERATED, or it has an expression.

    MySQL marks expression defaults (``DEFAULT CURRENT_TIMESTAMP``, ``DEFAULT (a + 1)``) as
    ``DEFAULT_GENERATED``: those are ordinary columns. MySQL returns '' as the generation
    expression of an ordinary column, MariaDB NULL.
    """
    return bool(_GENERATED.search(extra or "")) or bool((generation_expression or "").strip())


def column_is_invisible(extra: str | None) -> bool:
    """EXTRA holds INVISIBLE on both flavours (MySQL 'VIRTUAL GENERATED INVISIBLE', MariaDB
    'VIRTUAL GENERATED, INVISIBLE')."""
    return "INVISIBLE" in re.split(r"[\s,]+", (extra or "").upper())


def is_generated_invisible_primary_key(column: str, extra: str | None, primary_key: tuple[str, ...]) -> bool:
    """The key MySQL generates for a table created without one while sql_generate_invisible_primary_key
    is ON: an invisible AUTO_INCREMENT ``my_row_id`` that is the whole primary key."""
    return (
        column.lower() == GIPK_COLUMN
        and column_is_invisible(extra)
        and "auto_increment" in (extra or "").lower()
        and tuple(c.lower() for c in primary_key) == (GIPK_COLUMN,)
    )


class ServerCheck(NamedTuple):
    """A server-level finding before it is attached to the server: id, severity, evidence, remediation."""

    id: str
    severity: str
    evidence: str
    remediation: str


def _on(value: str | None) -> bool:
    return str(value or "").upper() in ("ON", "1")


@dataclass(frozen=True)
class Flavor:
    name: str
    """``mysql`` (Oracle MySQL, Percona Server: MySQL's catalogue and GTIDs) or ``mariadb``."""
    version: tuple[int, int, int]
    version_text: str

    @classmethod
    def detect(cls, version: str, version_comment: str = "") -> Flavor:
        """From ``@@version`` and ``@@version_comment``: '9.7.4-2' with '(Debian)' is MySQL,
        '10.11.6-MariaDB-0+deb12u1' is MariaDB. MariaDB's replication prefix '5.5.5-' is skipped."""
        text = version or ""
        mariadb = "mariadb" in (text + " " + (version_comment or "")).lower()
        if mariadb and text.startswith("5.5.5-"):
            text = text[len("5.5.5-") :]
        m = _VERSION.search(text)
        numbers = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else (0, 0, 0)
        return cls(MARIADB if mariadb else MYSQL, numbers, version or "")

    @classmethod
    def of_server(cls, server: dict[str, str]) -> Flavor:
        """The flavour of a server whose variables were read with :func:`server_variables_query`."""
        return cls.detect(server.get("version", ""), server.get("version_comment", ""))

    @property
    def known_version(self) -> bool:
        return self.version != (0, 0, 0)

    @property
    def is_mysql(self) -> bool:
        return self.name == MYSQL

    @property
    def is_mariadb(self) -> bool:
        return self.name == MARIADB

    @property
    def variables(self) -> tuple[str, ...]:
        """The server variables this flavour's checks read."""
        return COMMON_VARIABLES + (MARIADB_VARIABLES if self.is_mariadb else MYSQL_VARIABLES)

    @property
    def catalogue_session_settings(self) -> tuple[str, ...]:
        """Statements that make this session's catalogue current. MySQL 8+ caches the row counts and
        sizes of information_schema.tables for information_schema_stats_expiry (a day by default):
        a table loaded since reads as its old size."""
        if self.is_mysql and self.version >= (8, 0, 0):
            return ("SET SESSION information_schema_stats_expiry = 0",)
        return ()

    @property
    def digest_sample_column(self) -> str | None:
        """performance_schema's column holding a real statement per digest: MySQL 8.0.3+ has
        QUERY_SAMPLE_TEXT; MariaDB (10.11 checked) has none."""
        return "query_sample_text" if self.is_mysql and self.version >= (8, 0, 3) else None

    def server_checks(self, server: dict[str, str]) -> list[ServerCheck]:
        """Findings that exist for one flavour only: GTID settings, flavour-only binlog settings, versions."""
        return self._mariadb_checks(server) if self.is_mariadb else self._mysql_checks(server)

    def _mysql_checks(self, s: dict[str, str]) -> list[ServerCheck]:
        out = []
        if str(s.get("gtid_mode", "")).upper() != "ON":
            out.append(
                ServerCheck(
                    "gtid-mode-off",
                    BLOCKER,
                    f"gtid_mode = {s.get('gtid_mode')}",
                    "enable GTIDs: enforce_gtid_consistency = ON, then gtid_mode = ON (stepwise)",
                )
            )
        if str(s.get("enforce_gtid_consistency", "")).upper() != "ON":
            out.append(
                ServerCheck(
                    "gtid-consistency-not-enforced",
                    BLOCKER,
                    f"enforce_gtid_consistency = {s.get('enforce_gtid_consistency')}",
                    "SET GLOBAL enforce_gtid_consistency = ON (after a while on WARN without warnings) and persist it; "
                    "gtid_mode = ON requires it",
                )
            )
        row_values = str(s.get("binlog_row_value_options") or "")
        if "PARTIAL_JSON" in row_values.upper():
            out.append(
                ServerCheck(
                    "binlog-row-value-options",
                    WARNING,
                    f"binlog_row_value_options = {row_values}",
                    "SET GLOBAL binlog_row_value_options = '' for the import. With PARTIAL_JSON an UPDATE of a JSON "
                    "column is logged as a diff, not the document; VReplication applies such diffs only since "
                    "Vitess v22 (vitessio/vitess#17345) and an open bug (#21158) applies them to the wrong column "
                    "when a workflow's filter reorders or drops JSON columns. Full documents cost only binlog size",
                )
            )
        if _on(s.get("binlog_transaction_compression")):
            out.append(
                ServerCheck(
                    "binlog-transaction-compression",
                    INFO,
                    "binlog_transaction_compression = ON",
                    "no change needed: VReplication decompresses compressed transaction payloads (Vitess v17+, "
                    "vitessio/vitess#12950; large payloads streamed since v22, #17239); expect more CPU on the "
                    "source tablet while it streams",
                )
            )
        if _on(s.get("sql_generate_invisible_primary_key")):
            out.append(
                ServerCheck(
                    "generated-invisible-primary-key",
                    WARNING,
                    "sql_generate_invisible_primary_key = ON",
                    "tables created without a primary key get an invisible my_row_id key; make such keys visible "
                    "(ALTER TABLE ... ALTER COLUMN my_row_id SET VISIBLE) before the import so the target and the "
                    "comparison see them, or turn the setting off and create keys explicitly",
                )
            )
        return out + self._mysql_version_checks()

    def _mysql_version_checks(self) -> list[ServerCheck]:
        version = f"MySQL {self.version_text}"
        if not self.known_version:
            return []
        if self.version < (8, 0, 0):
            return [
                ServerCheck(
                    "mysql-version",
                    BLOCKER,
                    f"{version}: past end of life (5.7: October 2023)",
                    "upgrade to MySQL 8.0 or newer (8.4 LTS or 9.7 LTS): Vitess v19+ no longer runs "
                    "5.7 behind its own tablets and pocflow's checks are not made for it",
                )
            ]
        if self.version < (8, 1, 0):
            return [
                ServerCheck(
                    "mysql-8.0-end-of-life",
                    INFO,
                    f"{version}: past end of life (April 2026)",
                    "importable; plan the target on MySQL 8.4 LTS or 9.7 LTS (vitessio/vitess#19862: "
                    "Vitess v25 drops MySQL 8.0)",
                )
            ]
        if self.version >= (9, 0, 0):
            return [
                ServerCheck(
                    "mysql-9-source",
                    INFO,
                    f"{version}: MD5(), SHA1() and mysql_native_password are removed; VECTOR columns exist",
                    "importable into a target of the same or a newer version; a MySQL 8.0/8.4 target cannot hold "
                    "9.x-only features (VECTOR columns are listed per table). Accounts and tools must use "
                    "caching_sha2_password",
                )
            ]
        return []

    def _mariadb_checks(self, s: dict[str, str]) -> list[ServerCheck]:
        out = [
            ServerCheck(
                "mariadb-source",
                INFO,
                f"version {s.get('version')}: MariaDB GTIDs (domain-server-sequence)",
                "MariaDB 10.10+ is supported as an import source; Vitess targets run MySQL 8",
            )
        ]
        if not _on(s.get("gtid_strict_mode")):
            out.append(
                ServerCheck(
                    "mariadb-gtid-strict-mode-off",
                    WARNING,
                    f"gtid_strict_mode = {s.get('gtid_strict_mode')}",
                    "set gtid_strict_mode = ON so positions compare reliably",
                )
            )
        if self.known_version and self.version[:2] < (10, 10):
            out.append(
                ServerCheck(
                    "mariadb-version", BLOCKER, f"version {s.get('version')}", "upgrade to MariaDB 10.10 or newer"
                )
            )
        return out
