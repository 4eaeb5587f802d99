"""The Vitess target cluster, in the order upstream's examples/local brings one up.

etcd -> vtctld -> cell -> keyspaces -> target tablets (mysqlctl-managed MySQL 9.7 + vttablet,
PlannedReparentShard) -> source tablets (unmanaged vttablets in front of the source servers,
TabletExternallyReparented) -> vtgate.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from pocflow.local.stack.config import CELL, SIDECAR_DATABASE, SOURCE_DATABASE, StackConfig, TabletSpec
from pocflow.local.stack.credentials import IMPORT_USER, Credentials
from pocflow.local.stack.install import which
from pocflow.local.stack.process import StackError, log_tail, owned_pid, port_open, spawn, stop_pid, wait_until
from pocflow.local.stack.progress import say, step
from pocflow.vitess.vtctldclient import Vtctld, VtctldError


def target_mysql_cnf(config: StackConfig) -> str:
    """Settings added to Vitess's own my.cnf of every target MySQL (mysqlctl's EXTRA_MY_CNF)."""
    root = config.mysql_root
    return (
        "\n".join(
            [
                "[mysqld]",
                # the binaries run outside their Debian root: say where their files are
                f"lc-messages-dir = {root / 'usr/share/mysql'}",
                f"character-sets-dir = {root / 'usr/share/mysql/charsets'}",
                f"plugin-dir = {root / 'usr/lib/mysql/plugin'}",
                # Query insights read statement digests (rows examined vs sent) from the target tablets.
                "performance_schema = ON",
                "character_set_server = utf8mb4",
                "default_time_zone = '+00:00'",
                "innodb_buffer_pool_size = 256M",
                "innodb_redo_log_capacity = 256M",
                "innodb_flush_log_at_trx_commit = 2",
                "sync_binlog = 0",
            ]
        )
        + "\n"
    )


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@dataclass
class Daemon:
    """One long-running process of ours with a pid file, a log file and a health check."""

    name: str
    port: int
    argv: list[str]
    config: StackConfig
    health_path: str = "/debug/status"
    ready_path: str | None = None
    """What ``up`` waits for, when serving needs more than this process (a replica needs its primary)."""
    extra_ports: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    source_port: int | None = None
    """An unmanaged source tablet: the port of the source server it fronts."""

    @property
    def pid_file(self) -> Path:
        return self.config.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.config.log_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        return owned_pid(self.pid_file, str(self.config.state_dir))

    def healthy(self) -> bool:
        return (
            self.pid() is not None
            and http_ok(f"http://127.0.0.1:{self.port}{self.health_path}")
            and all(port_open(p) for p in self.extra_ports)
        )

    def up(self, timeout: float = 120) -> None:
        if self.pid() is not None:
            say(f"{self.name} already running (pid {self.pid()}, port {self.port})")
        else:
            with step(f"Starting {self.name} on 127.0.0.1:{self.port}"):
                spawn(
                    self.argv,
                    pid_file=self.pid_file,
                    log_file=self.log_file,
                    env=self.config.daemon_env(**self.env),
                    identity=self.config.identity(),
                )
                wait_until(
                    self.ready,
                    what=self.name,
                    timeout=timeout,
                    log_file=self.log_file,
                    alive=lambda: self.pid() is not None,
                )

    def ready(self) -> bool:
        if self.ready_path is None:
            return self.healthy()
        return self.pid() is not None and http_ok(f"http://127.0.0.1:{self.port}{self.ready_path}")

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            with step(f"Stopping {self.name} (pid {pid})"):
                stop_pid(pid)


class TargetMysqld:
    """The MySQL behind a managed target tablet, created and started by mysqlctl (Vitess's own
    supported shape: its init_db.sql accounts, its mysql90.cnf with GTIDs and super_read_only)."""

    flavor = "mysql"

    def __init__(self, config: StackConfig, tablet: TabletSpec):
        self.config = config
        self.tablet = tablet
        self.name = f"target-mysql-{tablet.uid}"
        self.dir = config.vtdataroot / f"vt_{tablet.uid:010d}"

    @property
    def port(self) -> int:
        return self.tablet.mysql_port

    @property
    def pid_file(self) -> Path:
        return self.dir / "mysql.pid"

    def pid(self) -> int | None:
        return owned_pid(self.pid_file, str(self.config.vtdataroot))

    def healthy(self) -> bool:
        return self.pid() is not None and port_open(self.port)

    def _mysqlctl(self, *args: str) -> None:
        cnf = self.config.state_dir / "target-mysql.cnf"
        cnf.write_text(target_mysql_cnf(self.config))
        env = self.config.daemon_env(
            VTDATAROOT=str(self.config.vtdataroot),
            VT_MYSQL_ROOT=str(self.config.mysql_bin.parent),
            VT_MYSQL_BASEDIR=str(self.config.mysql_root / "usr"),
            EXTRA_MY_CNF=str(cnf),
        )
        argv = [
            str(self.config.vitess_bin / "mysqlctl"),
            "--log_dir",
            str(self.config.log_dir),
            "--tablet-uid",
            str(self.tablet.uid),
            "--mysql-port",
            str(self.port),
            *args,
        ]
        log = self.config.log_dir / f"{self.name}.mysqlctl.log"
        with open(log, "ab") as out:
            proc = subprocess.run(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300, cwd="/", **self.config.identity()
            )
        if proc.returncode != 0:
            raise StackError(f"mysqlctl {args[0]} failed for tablet {self.tablet.uid}.{log_tail(log)}")

    def up(self) -> bool:
        """Start this MySQL unless it runs; True when it was started (or initialised) now."""
        if self.pid() is not None:
            say(f"{self.name} already running (pid {self.pid()}, port {self.port})")
            return False
        if not (self.dir / "data").exists():
            with step(f"Initialising {self.name} with mysqlctl on 127.0.0.1:{self.port}"):
                self._mysqlctl("init")
        else:
            with step(f"Starting {self.name} with mysqlctl on 127.0.0.1:{self.port}"):
                self._mysqlctl("start")
        return True

    def down(self) -> None:
        pid = self.pid()
        if pid is not None:
            with step(f"Stopping {self.name} (pid {pid})"):
                stop_pid(pid, timeout=120)

    def sql(self, statements: str, *, vertical: bool = False) -> str:
        """Run SQL as Vitess's local dba account through this server's socket."""
        argv = [
            str(self.config.mysql_bin / "mysql"),
            "--no-defaults",
            "--batch",
            f"--socket={self.dir / 'mysql.sock'}",
            "--user=vt_dba",
            *(["--vertical"] if vertical else ["--skip-column-names"]),
            "-e",
            statements,
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise StackError(f"{self.name}: {proc.stderr.strip()}")
        return proc.stdout


class Cluster:
    """The Vitess processes of the local stack and the topology steps between them."""

    def __init__(self, config: StackConfig, creds: Credentials):
        self.config = config
        self.creds = creds
        self.vtctld = Vtctld(config.vtctld_grpc_address, binary=str(config.vitess_bin / "vtctldclient"))
        c, p, b = config, config.ports, config.vitess_bin
        log = ["--log_dir", str(c.log_dir)]
        self.etcd = Daemon(
            "etcd",
            p.etcd_client,
            config=c,
            health_path="/health",
            argv=[
                which("etcd") or "etcd",
                "--name",
                "pocflow",
                "--data-dir",
                str(c.etcd_dir),
                "--listen-client-urls",
                f"http://127.0.0.1:{p.etcd_client}",
                "--advertise-client-urls",
                f"http://127.0.0.1:{p.etcd_client}",
                "--listen-peer-urls",
                f"http://127.0.0.1:{p.etcd_peer}",
                "--initial-advertise-peer-urls",
                f"http://127.0.0.1:{p.etcd_peer}",
                "--initial-cluster",
                f"pocflow=http://127.0.0.1:{p.etcd_peer}",
            ],
        )
        self.vtctld_daemon = Daemon(
            "vtctld",
            p.vtctld_http,
            config=c,
            extra_ports=(p.vtctld_grpc,),
            argv=[
                str(b / "vtctld"),
                *c.topo_flags,
                *log,
                "--cell",
                CELL,
                "--service-map",
                "grpc-vtctl,grpc-vtctld",
                "--port",
                str(p.vtctld_http),
                "--grpc-port",
                str(p.vtctld_grpc),
            ],
        )
        self.target_mysqlds = [TargetMysqld(c, t) for t in c.target_tablets]
        self.target_tablets = [self.tablet(t, managed=True) for t in c.target_tablets]
        self.source_tablets = [self.tablet(t, managed=False) for t in c.source_tablets]
        self.vtgate = Daemon(
            "vtgate",
            p.vtgate_http,
            config=c,
            health_path="/debug/health",
            ready_path="/debug/status",
            extra_ports=(p.vtgate_mysql,),
            argv=[
                str(b / "vtgate"),
                *c.topo_flags,
                *log,
                "--cell",
                CELL,
                "--cells-to-watch",
                CELL,
                "--tablet-types-to-wait",
                "PRIMARY",
                "--service-map",
                "grpc-vtgateservice",
                "--port",
                str(p.vtgate_http),
                "--grpc-port",
                str(p.vtgate_grpc),
                "--mysql-server-port",
                str(p.vtgate_mysql),
                "--mysql-server-bind-address",
                "127.0.0.1",
                "--mysql-auth-server-impl",
                "none",
                # Provisioning adds keyspaces while vtgate runs; notice their tablets in seconds.
                "--tablet-refresh-interval",
                "5s",
            ],
        )

    def tablet(self, t: TabletSpec, *, managed: bool) -> Daemon:
        """The vttablet daemon of ``t`` (managed: mysqlctl runs its MySQL; else an unmanaged source tablet)."""
        c = self.config
        argv = [
            str(c.vitess_bin / "vttablet"),
            *c.topo_flags,
            "--log_dir",
            str(c.log_dir),
            "--tablet-path",
            t.alias,
            "--tablet-hostname",
            "127.0.0.1",
            "--init-keyspace",
            t.keyspace,
            "--init-shard",
            t.shard,
            "--init-tablet-type",
            "replica",
            "--port",
            str(t.http_port),
            "--grpc-port",
            str(t.grpc_port),
            "--service-map",
            "grpc-queryservice,grpc-tabletmanager,grpc-updatestream",
            "--health-check-interval",
            "2s",
        ]
        if not managed:
            creds_file = c.run_dir / "source-tablet-db-credentials.json"
            argv += [
                "--unmanaged",
                "--db-host",
                "127.0.0.1",
                "--db-port",
                str(t.mysql_port),
                "--init-db-name-override",
                t.database or SOURCE_DATABASE,
                "--db-credentials-server",
                "file",
                "--db-credentials-file",
                str(creds_file),
            ]
            for role in ("app", "dba", "filtered", "repl", "allprivs", "appdebug"):
                argv += [f"--db-{role}-user", IMPORT_USER]
        return Daemon(
            t.name,
            t.http_port,
            argv=argv,
            config=c,
            extra_ports=(t.grpc_port,),
            health_path="/debug/health",
            ready_path="/debug/status",
            env={"VTDATAROOT": str(c.vtdataroot)},
            source_port=None if managed else t.mysql_port,
        )

    # --- the steps -------------------------------------------------------------------------------
    def components(self) -> list:
        return [
            self.etcd,
            self.vtctld_daemon,
            *self.target_mysqlds,
            *self.target_tablets,
            *self.source_tablets,
            self.vtgate,
        ]

    def up(self) -> None:
        self.etcd.up()
        self.vtctld_daemon.up()
        self._ensure_cell()
        for keyspace in dict.fromkeys(t.keyspace for t in self.config.target_tablets):
            self._ensure_keyspace(keyspace, sidecar=SIDECAR_DATABASE)
        for spec in self.config.source_tablets:
            self._ensure_keyspace(spec.keyspace, sidecar=SIDECAR_DATABASE)
        # The configuration reads the provisioned keyspaces and added sources afresh; tablets added since this
        # Cluster was built are started by whoever added them, so only the ones it knows are zipped here.
        targets = list(zip(self.config.target_tablets, self.target_mysqlds, self.target_tablets, strict=False))
        restarted = [spec for spec, mysqld, _ in targets if mysqld.up()]
        for _, _, tablet in targets:
            tablet.up()
        # Every tablet of a shard runs before its first primary is elected: PlannedReparentShard then
        # points the replicas' MySQL at the primary itself.
        for spec, _, _ in targets:
            if spec.primary:
                self._ensure_primary(spec)
        # A replica's MySQL that stopped (killed, rebooted) starts with replication off: start it again.
        for spec in restarted:
            if not spec.primary and self._shard_primary(spec) is not None:
                with step(f"Starting replication on {spec.alias}"):
                    self.vtctld.run("StartReplication", spec.alias)
        self._write_source_credentials()
        for spec, tablet in zip(self.config.source_tablets, self.source_tablets, strict=False):
            tablet.up()
            self._ensure_external_primary(spec)
        self.vtgate.up()

    def down(self) -> None:
        for component in reversed(self.components()):
            component.down()

    def start_source_tablet(self, spec: TabletSpec) -> None:
        """Bring up one source tablet on the running cluster: its keyspace, its vttablet, its primary, its routing."""
        self._ensure_keyspace(spec.keyspace, sidecar=SIDECAR_DATABASE)
        self._write_source_credentials()
        self.tablet(spec, managed=False).up()
        self._ensure_external_primary(spec)
        self.wait_until_routable(spec.keyspace, [spec.shard])

    def remove_source_tablet(self, spec: TabletSpec) -> None:
        """Stop one source tablet and delete its keyspace (and the tablet's record) from the topology."""
        tablet = self.tablet(spec, managed=False)
        tablet.down()
        tablet.pid_file.unlink(missing_ok=True)
        try:
            self.vtctld.run("GetKeyspace", spec.keyspace)
        except VtctldError:
            return
        with step(f"Deleting keyspace {spec.keyspace} from the topology"):
            # the keyspace of a source tablet added for a rehearsal: its data stays in (or leaves with) the database
            self.vtctld.run("DeleteKeyspace", "--recursive", "--force", spec.keyspace, approved=True)

    def wait_until_routable(
        self, keyspace: str, shards: list[str], timeout: float = 90, tablet_types: tuple[str, ...] = ("PRIMARY",)
    ) -> None:
        """Wait until vtgate serves every one of ``tablet_types`` for every shard of ``keyspace`` (a new
        replica reaches vtgate's health check seconds after its primary: reads @replica fail until then)."""

        def ready() -> bool:
            conn = pymysql.connect(
                host="127.0.0.1", port=self.config.ports.vtgate_mysql, user="root", connect_timeout=2
            )
            try:
                with conn.cursor() as cur:
                    cur.execute("SHOW VITESS_TABLETS")
                    serving = {(r[1], r[2], r[3]) for r in cur.fetchall() if r[4] == "SERVING"}
            finally:
                conn.close()
            return all((keyspace, s, t) in serving for s in shards for t in tablet_types)

        wait_until(ready, what=f"vtgate routing to {keyspace}", timeout=timeout, log_file=self.vtgate.log_file)

    def _ensure_cell(self) -> None:
        try:
            self.vtctld.run("GetCellInfo", CELL)
        except VtctldError:
            with step(f"Registering cell {CELL} in the topology"):
                self.vtctld.run(
                    "AddCellInfo",
                    "--root",
                    f"/vitess/{CELL}",
                    "--server-address",
                    f"127.0.0.1:{self.config.ports.etcd_client}",
                    CELL,
                )

    def _ensure_keyspace(self, keyspace: str, *, sidecar: str) -> None:
        try:
            self.vtctld.run("GetKeyspace", keyspace)
        except VtctldError:
            with step(f"Creating keyspace {keyspace}"):
                self.vtctld.run("CreateKeyspace", "--durability-policy", "none", "--sidecar-db-name", sidecar, keyspace)

    def _shard_primary(self, spec: TabletSpec) -> str | None:
        try:
            shard = self.vtctld.run_json("GetShard", f"{spec.keyspace}/{spec.shard}")
        except VtctldError as e:
            if "node doesn't exist" in e.stderr:  # no tablet has registered the shard yet
                return None
            raise
        alias = (shard.get("shard") or {}).get("primary_alias")
        if not alias:
            return None
        return f"{alias.get('cell')}-{int(alias.get('uid', 0)):010d}"

    def _ensure_primary(self, spec: TabletSpec) -> None:
        if self._shard_primary(spec) == spec.alias:
            # A restarted primary's MySQL comes up super_read_only (Vitess's mysql90.cnf) and v24 leaves
            # lifting that to VTOrc, which this stack does not run: ask the tablet to be writable again.
            self.vtctld.run("SetWritable", spec.alias, "true")
            return
        with step(f"Making {spec.alias} the primary of {spec.keyspace}/{spec.shard}"):
            # the local stack's own fresh shard: electing its first primary moves no customer traffic
            self.vtctld.run(
                "PlannedReparentShard", f"{spec.keyspace}/{spec.shard}", "--new-primary", spec.alias, approved=True
            )

    def _ensure_external_primary(self, spec: TabletSpec) -> None:
        if self._shard_primary(spec) == spec.alias:
            return
        with step(f"Registering the source tablet {spec.alias} as primary of {spec.keyspace}/{spec.shard}"):
            self.vtctld.run("TabletExternallyReparented", spec.alias)

    def _write_source_credentials(self) -> None:
        path = self.config.run_dir / "source-tablet-db-credentials.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({IMPORT_USER: [self.creds.import_password]}, f)
        run_as = self.config.run_as()
        if run_as is not None:
            os.chown(path, *run_as)  # read by the source vttablet, which runs as that account
