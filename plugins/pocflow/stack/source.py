"""The source: a dedicated MariaDB 10.11 instance configured as a real Vitess import source.

Its own datadir, socket and port under the state folder; binary log in ROW format with full
row images, GTIDs, a server id and three days of binlog retention; one least-privilege account
for the import and one read-only account for assessment.
"""

from __future__ import annotations

import getpass
import subprocess

from pocflow.stack.config import CUTOVER_DATABASE, SIDECAR_DATABASE, SOURCE_DATABASE, SOURCE_DATABASES, StackConfig
from pocflow.stack.credentials import ADMIN_USER, IMPORT_USER, READONLY_USER, Credentials
from pocflow.stack.install import which
from pocflow.stack.process import StackError, owned_pid, spawn, stop_pid, wait_until
from pocflow.stack.progress import say, step

SERVER_ID = 1001
BINLOG_RETENTION_SECONDS = 3 * 24 * 3600  # PlanetScale's import asks for at least 2 days


def my_cnf(config: StackConfig, overrides: dict[str, str] | None = None) -> str:
    d = config.source_dir
    lines = [
        "[mysqld]",
        f"datadir = {d / 'data'}",
        f"socket = {config.source_socket}",
        f"pid-file = {d / 'mysqld.pid'}",
        f"log-error = {config.log_dir / 'source-mysqld.err'}",
        f"port = {config.ports.source_mysql}",
        "bind-address = 127.0.0.1",
        "skip-name-resolve",
        f"server_id = {SERVER_ID}",
        f"log_bin = {d / 'binlog' / 'source-bin'}",
        "binlog_format = ROW",
        "binlog_row_image = FULL",
        "log_slave_updates = ON",
        "gtid_strict_mode = ON",
        f"binlog_expire_logs_seconds = {BINLOG_RETENTION_SECONDS}",
        "sql_mode = STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
        "NO_ENGINE_SUBSTITUTION",
        "character_set_server = utf8mb4",
        "collation_server = utf8mb4_general_ci",
        "default_time_zone = '+00:00'",
        "performance_schema = ON",
        "local_infile = ON",
        "max_connections = 300",
        "innodb_buffer_pool_size = 512M",
        "innodb_log_file_size = 256M",
        "innodb_flush_log_at_trx_commit = 2",
        "sync_binlog = 0",
    ]
    lines += [f"{k} = {v}" for k, v in (overrides or {}).items()]
    return "\n".join(lines) + "\n"


def bootstrap_sql(creds: Credentials) -> str:
    """Accounts and the empty sample database. Idempotent: safe on every start."""
    host = "127.0.0.1"

    def account(user: str, password: str) -> list[str]:
        return [f"CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY '{password}';",
                f"ALTER USER '{user}'@'{host}' IDENTIFIED BY '{password}';"]

    return "\n".join([
        "SET sql_log_bin = 0;",  # accounts are local to this server, not part of the replicated data
        *account(ADMIN_USER, creds.admin_password),
        f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'{host}' WITH GRANT OPTION;",
        *account(IMPORT_USER, creds.import_password),
        # What a vttablet in front of an external source needs: read the data, stream the binlog,
        # take the consistent snapshot for the copy phase, and own its `_vt` sidecar database.
        f"GRANT SELECT, SHOW VIEW, PROCESS, RELOAD, LOCK TABLES, REPLICATION SLAVE, BINLOG MONITOR, "
        f"REPLICATION SLAVE ADMIN ON *.* TO '{IMPORT_USER}'@'{host}';",
        f"GRANT ALL PRIVILEGES ON `{SIDECAR_DATABASE}`.* TO '{IMPORT_USER}'@'{host}';",
        # After a cutover's write switch, reverse replication keeps the source current through the
        # same account: only the cutover rehearsal's database grants it that.
        f"GRANT INSERT, UPDATE, DELETE ON `{CUTOVER_DATABASE}`.* TO '{IMPORT_USER}'@'{host}';",
        *account(READONLY_USER, creds.readonly_password),
        f"GRANT SELECT, SHOW VIEW, PROCESS, BINLOG MONITOR ON *.* TO '{READONLY_USER}'@'{host}';",
        # MySQL and MariaDB list triggers and events only to holders of these privileges; the
        # assessment needs to see them. pocflow never creates either.
        *(f"GRANT TRIGGER, EVENT ON `{db}`.* TO '{READONLY_USER}'@'{host}';" for db in SOURCE_DATABASES),
        *(f"CREATE DATABASE IF NOT EXISTS `{db}` DEFAULT CHARACTER SET utf8mb4;" for db in SOURCE_DATABASES),
        "FLUSH PRIVILEGES;",
    ]) + "\n"


class SourceMariaDB:
    name = "source-mysql"

    def __init__(self, config: StackConfig, overrides: dict[str, str] | None = None):
        """``overrides``: server settings that replace ours (a deliberately misconfigured source in tests)."""
        self.config = config
        self.overrides = overrides or {}
        self.dir = config.source_dir
        self.cnf = self.dir / "my.cnf"
        self.pid_file = config.run_dir / "source-mysql.pid"
        self.log_file = config.log_dir / "source-mysqld.err"

    @property
    def port(self) -> int:
        return self.config.ports.source_mysql

    def pid(self) -> int | None:
        return owned_pid(self.pid_file, str(self.cnf))

    def healthy(self) -> bool:
        return self.pid() is not None and self._ping()

    def _ping(self) -> bool:
        return self._client(["-e", "SELECT 1"], check=False).returncode == 0

    def _client(self, args: list[str], *, stdin: str | None = None, check: bool = True
                ) -> subprocess.CompletedProcess:
        # The OS user that ran mariadb-install-db logs in through the socket (unix_socket auth).
        argv = [which("mariadb") or "mariadb", "--no-defaults", f"--socket={self.config.source_socket}",
                f"--user={getpass.getuser()}", *args]
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise StackError(f"source MariaDB refused setup SQL: {proc.stderr.strip()}")
        return proc

    def up(self, creds: Credentials) -> None:
        self.cnf.write_text(my_cnf(self.config, self.overrides))
        if self.pid() is None:
            if not (self.dir / "data" / "mysql").exists():
                with step("Initialising the source MariaDB datadir"):
                    self._install_db()
            with step(f"Starting source MariaDB on 127.0.0.1:{self.port}"):
                mariadbd = which("mariadbd") or "mariadbd"
                spawn([mariadbd, f"--defaults-file={self.cnf}"], pid_file=self.pid_file,
                      log_file=self.config.log_dir / "source-mysqld.out", env=self.config.daemon_env(),
                      identity=self.config.identity())
                wait_until(self._ping, what="source MariaDB", timeout=120, log_file=self.log_file,
                           alive=lambda: self.pid() is not None)
        else:
            say(f"source MariaDB already running (pid {self.pid()}, port {self.port})")
        self._client([], stdin=bootstrap_sql(creds))

    def _install_db(self) -> None:
        argv = [which("mariadb-install-db") or "mariadb-install-db", f"--defaults-file={self.cnf}",
                "--auth-root-authentication-method=socket", "--skip-test-db",
                f"--user={self.config.service_user or getpass.getuser()}"]
        proc = subprocess.run(argv, capture_output=True, text=True, env=self.config.daemon_env(), cwd="/",
                              **self.config.identity())
        if proc.returncode != 0:
            raise StackError(f"mariadb-install-db failed:\n{proc.stdout}\n{proc.stderr}")

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            with step(f"Stopping source MariaDB (pid {pid})"):
                stop_pid(pid, timeout=120)

    def dsn(self, user: str, password: str, database: str = SOURCE_DATABASE) -> str:
        return f"mysql://{user}:{password}@127.0.0.1:{self.port}/{database}"
