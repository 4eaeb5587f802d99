"""The source: the customer's "production" server, MySQL 9.7 by default or MariaDB 10.11.

Each is configured as a real Vitess import source: its own datadir, socket and port under the
state folder; binary log in ROW format with full row images, GTIDs, a server id and three days
of binlog retention; performance_schema on; one least-privilege account for the import, one
read-only account for assessment, and an administrator playing the customer's DBA.

What differs between the two servers (how a datadir is created, the settings' names, the
privileges' names) lives in the two classes below; everything else is shared.
"""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

from pocflow.local.stack.config import SIDECAR_DATABASE, StackConfig
from pocflow.local.stack.credentials import ADMIN_USER, IMPORT_USER, READONLY_USER, Credentials
from pocflow.local.stack.install import mysql_version, which
from pocflow.local.stack.process import StackError, owned_pid, spawn, stop_pid, wait_until
from pocflow.local.stack.progress import say, step

SERVER_ID = 1001
BINLOG_RETENTION_SECONDS = 3 * 24 * 3600  # PlanetScale's import asks for at least 2 days
HOST = "127.0.0.1"


class SourceServer:
    """One source server of the stack. Subclasses say how their flavour is created and configured."""

    flavor = ""
    label = ""

    def __init__(
        self,
        config: StackConfig,
        *,
        port: int,
        databases: tuple[str, ...],
        server_id: int = SERVER_ID,
        writable_database: str | None = None,
        overrides: dict[str, str] | None = None,
    ):
        """``databases``: created empty and visible to the assessment account; ``writable_database``:
        the one the import account may change (reverse replication after a cutover's write switch);
        ``overrides``: server settings that replace ours (a deliberately misconfigured source in tests)."""
        self.config = config
        self._port = port
        self.databases = databases
        self.server_id = server_id
        self.writable_database = writable_database
        self.overrides = overrides or {}
        self.name = f"source-{self.flavor}"
        self.dir = config.source_dir(self.flavor)
        self.cnf = self.dir / "my.cnf"
        self.pid_file = config.run_dir / f"{self.name}.pid"
        self.log_file = config.log_dir / f"{self.name}.err"
        self._version: str | None = None

    # --- what each flavour says differently -----------------------------------------------------
    def settings(self) -> list[str]:
        """Flavour-specific my.cnf lines."""
        raise NotImplementedError

    def server_command(self) -> str:
        raise NotImplementedError

    def client_command(self) -> str:
        raise NotImplementedError

    def admin_os_user(self) -> str:
        """The account the local client logs in as through the socket."""
        raise NotImplementedError

    def initialise(self) -> None:
        raise NotImplementedError

    def import_privileges(self) -> str:
        raise NotImplementedError

    def readonly_privileges(self) -> str:
        raise NotImplementedError

    def binary_version(self) -> str:
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def socket(self) -> Path:
        return self.dir / "mysqld.sock"

    def version(self) -> str:
        if self._version is None:
            self._version = self.binary_version()
        return self._version

    def my_cnf(self) -> str:
        d = self.dir
        lines = [
            "[mysqld]",
            f"datadir = {d / 'data'}",
            f"socket = {self.socket}",
            f"pid-file = {d / 'mysqld.pid'}",
            f"log-error = {self.log_file}",
            f"tmpdir = {d / 'tmp'}",
            f"port = {self.port}",
            f"bind-address = {HOST}",
            "skip-name-resolve",
            f"server_id = {self.server_id}",
            f"log_bin = {d / 'binlog' / 'source-bin'}",
            "binlog_format = ROW",
            "binlog_row_image = FULL",
            f"binlog_expire_logs_seconds = {BINLOG_RETENTION_SECONDS}",
            "sql_mode = STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
            "NO_ENGINE_SUBSTITUTION",
            "character_set_server = utf8mb4",
            "default_time_zone = '+00:00'",
            "performance_schema = ON",
            "local_infile = ON",
            "max_connections = 300",
            "innodb_buffer_pool_size = 512M",
            "innodb_flush_log_at_trx_commit = 2",
            "sync_binlog = 0",
            *self.settings(),
        ]
        lines += [f"{k} = {v}" for k, v in self.overrides.items()]
        return "\n".join(lines) + "\n"

    def bootstrap_sql(self, creds: Credentials) -> str:
        """Accounts and the empty databases. Idempotent: safe on every start."""

        def account(user: str, password: str) -> list[str]:
            return [
                f"CREATE USER IF NOT EXISTS '{user}'@'{HOST}' IDENTIFIED BY '{password}';",
                f"ALTER USER '{user}'@'{HOST}' IDENTIFIED BY '{password}';",
            ]

        writable = (
            [f"GRANT INSERT, UPDATE, DELETE ON `{self.writable_database}`.* TO '{IMPORT_USER}'@'{HOST}';"]
            if self.writable_database
            else []
        )
        return (
            "\n".join(
                [
                    "SET sql_log_bin = 0;",  # accounts are local to this server, not part of the replicated data
                    *account(ADMIN_USER, creds.admin_password),
                    f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'{HOST}' WITH GRANT OPTION;",
                    *account(IMPORT_USER, creds.import_password),
                    # What a vttablet in front of an external source needs: read the data, stream the binlog,
                    # take the consistent snapshot for the copy phase, and own its `_vt` sidecar database.
                    f"GRANT {self.import_privileges()} ON *.* TO '{IMPORT_USER}'@'{HOST}';",
                    f"GRANT ALL PRIVILEGES ON `{SIDECAR_DATABASE}`.* TO '{IMPORT_USER}'@'{HOST}';",
                    # After a cutover's write switch, reverse replication keeps the source current through the
                    # same account: only the cutover rehearsal's database grants it that.
                    *writable,
                    *account(READONLY_USER, creds.readonly_password),
                    f"GRANT {self.readonly_privileges()} ON *.* TO '{READONLY_USER}'@'{HOST}';",
                    # MySQL and MariaDB list triggers and events only to holders of these privileges; the
                    # assessment needs to see them. pocflow never creates either.
                    *(f"GRANT TRIGGER, EVENT ON `{db}`.* TO '{READONLY_USER}'@'{HOST}';" for db in self.databases),
                    *(f"CREATE DATABASE IF NOT EXISTS `{db}` DEFAULT CHARACTER SET utf8mb4;" for db in self.databases),
                    "FLUSH PRIVILEGES;",
                ]
            )
            + "\n"
        )

    def pid(self) -> int | None:
        return owned_pid(self.pid_file, str(self.cnf))

    def healthy(self) -> bool:
        return self.pid() is not None and self._ping()

    def _ping(self) -> bool:
        return self.client(["-e", "SELECT 1"], check=False).returncode == 0

    def client(self, args: list[str], *, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """The server's own command-line client, logged in as its administrator through the socket."""
        argv = [
            self.client_command(),
            "--no-defaults",
            f"--socket={self.socket}",
            f"--user={self.admin_os_user()}",
            *args,
        ]
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise StackError(f"source {self.label} refused setup SQL: {proc.stderr.strip()}")
        return proc

    def up(self, creds: Credentials) -> None:
        self.cnf.write_text(self.my_cnf())
        if self.pid() is None:
            if not (self.dir / "data" / "mysql").exists():
                with step(f"Initialising the source {self.label} datadir"):
                    self.initialise()
            with step(f"Starting source {self.label} {self.version()} on {HOST}:{self.port}"):
                spawn(
                    [self.server_command(), f"--defaults-file={self.cnf}"],
                    pid_file=self.pid_file,
                    log_file=self.config.log_dir / f"{self.name}.out",
                    env=self.config.daemon_env(),
                    identity=self.config.identity(),
                )
                wait_until(
                    self._ping,
                    what=f"source {self.label}",
                    timeout=120,
                    log_file=self.log_file,
                    alive=lambda: self.pid() is not None,
                )
        else:
            say(f"source {self.label} already running (pid {self.pid()}, port {self.port})")
        self.client([], stdin=self.bootstrap_sql(creds))

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            with step(f"Stopping source {self.label} (pid {pid})"):
                stop_pid(pid, timeout=120)

    def dsn(self, user: str, password: str, database: str) -> str:
        return f"mysql://{user}:{password}@{HOST}:{self.port}/{database}"

    def _run_setup(self, argv: list[str], what: str) -> None:
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=self.config.daemon_env(), cwd="/", **self.config.identity()
        )
        if proc.returncode != 0:
            log = self.log_file.read_text()[-3000:] if self.log_file.exists() else ""
            raise StackError(f"{what} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")


class SourceMySQL(SourceServer):
    """MySQL 9.7 (Debian's mysql-server-core from sid, run from its own root; see install.ensure_mysql)."""

    flavor = "mysql"
    label = "MySQL"

    def settings(self) -> list[str]:
        root = self.config.mysql_root
        return [
            # the binaries run outside their root: say where their files are
            f"basedir = {root / 'usr'}",
            f"lc-messages-dir = {root / 'usr/share/mysql'}",
            f"character-sets-dir = {root / 'usr/share/mysql/charsets'}",
            f"plugin-dir = {root / 'usr/lib/mysql/plugin'}",
            "secure-file-priv = ",  # else it insists on /var/lib/mysql-files
            "mysqlx = OFF",
            "gtid_mode = ON",
            "enforce_gtid_consistency = ON",
            "log_replica_updates = ON",
            "innodb_redo_log_capacity = 512M",
        ]

    def server_command(self) -> str:
        return str(self.config.mysql_bin / "mysqld")

    def client_command(self) -> str:
        return str(self.config.mysql_bin / "mysql")

    def admin_os_user(self) -> str:
        # --initialize-insecure: root@localhost without a password, reachable only through the socket
        # in the state folder (skip-name-resolve: a TCP login is never 'localhost').
        return "root"

    def initialise(self) -> None:
        self._run_setup(
            [self.server_command(), f"--defaults-file={self.cnf}", "--initialize-insecure"],
            "mysqld --initialize-insecure",
        )

    def import_privileges(self) -> str:
        return "SELECT, SHOW VIEW, PROCESS, RELOAD, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT"

    def readonly_privileges(self) -> str:
        return "SELECT, SHOW VIEW, PROCESS, REPLICATION CLIENT"

    def binary_version(self) -> str:
        return mysql_version(self.config)


class SourceMariaDB(SourceServer):
    """MariaDB 10.11 (Debian's mariadb-server-core)."""

    flavor = "mariadb"
    label = "MariaDB"

    def settings(self) -> list[str]:
        return [
            "log_slave_updates = ON",
            "gtid_strict_mode = ON",
            "collation_server = utf8mb4_general_ci",
            "innodb_log_file_size = 256M",
        ]

    def server_command(self) -> str:
        return which("mariadbd") or "mariadbd"

    def client_command(self) -> str:
        return which("mariadb") or "mariadb"

    def admin_os_user(self) -> str:
        return getpass.getuser()  # the OS user that ran mariadb-install-db logs in by unix_socket

    def initialise(self) -> None:
        self._run_setup(
            [
                which("mariadb-install-db") or "mariadb-install-db",
                f"--defaults-file={self.cnf}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
                f"--user={self.config.service_user or getpass.getuser()}",
            ],
            "mariadb-install-db",
        )

    def import_privileges(self) -> str:
        return (
            "SELECT, SHOW VIEW, PROCESS, RELOAD, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR, "
            "REPLICATION SLAVE ADMIN"
        )

    def readonly_privileges(self) -> str:
        return "SELECT, SHOW VIEW, PROCESS, BINLOG MONITOR"

    def binary_version(self) -> str:
        out = subprocess.run([self.server_command(), "--version"], capture_output=True, text=True, timeout=30)
        words = out.stdout.split()
        return words[words.index("Ver") + 1] if "Ver" in words else out.stdout.strip()


SOURCE_SERVERS: dict[str, type[SourceServer]] = {"mysql": SourceMySQL, "mariadb": SourceMariaDB}
