"""Where the local stack lives and which ports it uses.

Every value has a default that works on a fresh machine and can be changed through the
environment (``POCFLOW_STATE_DIR``, ``POCFLOW_CACHE_DIR``, ``POCFLOW_PORT_<NAME>``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
from dataclasses import dataclass, field
from pathlib import Path

from pocflow.engagement import PROJECT_ROOT

VITESS_VERSION = "v0.24.4"
"""The Go module version of vitess.io/vitess whose binaries the stack runs (Vitess v24)."""

VITESS_COMMANDS = ("vtctld", "vtctldclient", "vtgate", "vttablet", "mysqlctl")

CELL = "zone1"
SOURCE_DATABASE = "shop"
SOURCE_KEYSPACE = "shop_source"
TARGET_KEYSPACE = "shop"
# A second source database whose tables and columns carry hostile but legal names (quotes, backticks,
# spaces, unicode, reserved words, 64 characters): the stack fronts it too, so it can be imported.
HOSTILE_DATABASE = "hostile_names"
HOSTILE_KEYSPACE = "hostile_source"
# A third copy of the sample, for cutover rehearsals: once writes are switched, reverse replication
# writes into it, so the import user may change its rows (and only its rows).
CUTOVER_DATABASE = "shop_cutover"
CUTOVER_KEYSPACE = "cutover_source"
# The benchmarks' database (`make bench`): a large generated table, imported into keyspace bench.
BENCH_DATABASE = "bench"
BENCH_KEYSPACE = "bench_source"


@dataclass(frozen=True)
class SourceEntry:
    """One database of the source server that the stack fronts with an unmanaged tablet of its own keyspace."""

    database: str
    keyspace: str
    uid: int
    ports: str | None = None
    """Built-in entries: the prefix of their two Ports fields (``<prefix>_tablet_http``/``_grpc``), so each keeps its
    port and its POCFLOW_PORT_* override. Added entries: None, their ports are 15000/16000 + uid."""
    origin: str = "built-in"
    """built-in, or what an added database was loaded from (a dump's path, or empty)."""

    @property
    def builtin(self) -> bool:
        return self.ports is not None

    def to_dict(self) -> dict:
        return {"database": self.database, "keyspace": self.keyspace, "uid": self.uid, "origin": self.origin}


BUILTIN_SOURCES = (
    SourceEntry(SOURCE_DATABASE, SOURCE_KEYSPACE, 200, ports="source"),
    SourceEntry(HOSTILE_DATABASE, HOSTILE_KEYSPACE, 201, ports="hostile"),
    SourceEntry(CUTOVER_DATABASE, CUTOVER_KEYSPACE, 202, ports="cutover"),
    SourceEntry(BENCH_DATABASE, BENCH_KEYSPACE, 203, ports="bench"),
)
"""The source databases every stack fronts. Databases added with ``pocflow source add`` join them in sources.json."""
SOURCE_DATABASES = {e.database: e.keyspace for e in BUILTIN_SOURCES}
ADDED_SOURCE_UIDS = range(220, 300)
"""Tablet uids of added source databases (ports 15220-15299 and 16220-16299): between the second source's tablet (210)
and provisioned target tablets (300 up)."""
SIDECAR_DATABASE = "_vt"

SOURCE_FLAVORS = ("mysql", "mariadb")
DEFAULT_SOURCE_FLAVOR = "mysql"
"""The customer's server is MySQL; MariaDB is the second supported flavour."""


def second_source_keyspace(flavor: str) -> str:
    """The keyspace fronting the sample database on the stack's second source server (other flavour)."""
    return f"{SOURCE_DATABASE}_{flavor}_source"


@dataclass(frozen=True)
class Ports:
    """TCP ports on 127.0.0.1. Override any of them with POCFLOW_PORT_<FIELD> (upper case)."""

    source_mysql: int = 13306
    second_source_mysql: int = 13307
    etcd_client: int = 12379
    etcd_peer: int = 12380
    vtctld_http: int = 15000
    vtctld_grpc: int = 15999
    vtgate_http: int = 15001
    vtgate_grpc: int = 15991
    vtgate_mysql: int = 15306
    target_tablet_http: int = 15100
    target_tablet_grpc: int = 16100
    target_tablet_mysql: int = 17100
    target_replica_http: int = 15101
    target_replica_grpc: int = 16101
    target_replica_mysql: int = 17101
    source_tablet_http: int = 15200
    source_tablet_grpc: int = 16200
    hostile_tablet_http: int = 15201
    hostile_tablet_grpc: int = 16201
    cutover_tablet_http: int = 15202
    cutover_tablet_grpc: int = 16202
    bench_tablet_http: int = 15203
    bench_tablet_grpc: int = 16203
    second_source_tablet_http: int = 15210
    second_source_tablet_grpc: int = 16210

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Ports:
        values = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"POCFLOW_PORT_{f.name.upper()}")
            if raw is None:
                continue
            try:
                port = int(raw)
            except ValueError:
                raise ValueError(f"POCFLOW_PORT_{f.name.upper()}={raw!r} is not a port number") from None
            if not 1 <= port <= 65535:
                raise ValueError(f"POCFLOW_PORT_{f.name.upper()}={port} is outside 1-65535")
            values[f.name] = port
        ports = cls(**values)
        used = [getattr(ports, f.name) for f in dataclasses.fields(cls)]
        duplicates = sorted({p for p in used if used.count(p) > 1})
        if duplicates:
            raise ValueError(f"the stack's ports must differ; used more than once: {duplicates}")
        return ports


@dataclass(frozen=True)
class TabletSpec:
    """One vttablet of the stack: a managed target tablet or the unmanaged source tablet."""

    uid: int
    keyspace: str
    shard: str
    http_port: int
    grpc_port: int
    mysql_port: int
    primary: bool = True
    """A primary is made primary by PlannedReparentShard, which points the replicas' MySQL at it."""
    database: str | None = None
    """For an unmanaged source tablet: the source database it fronts."""

    @property
    def alias(self) -> str:
        return f"{CELL}-{self.uid:010d}"

    @property
    def name(self) -> str:
        return f"vttablet-{self.uid}"


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    cache_dir: Path
    ports: Ports = field(default_factory=Ports)
    service_user: str | None = None
    """Vitess refuses to run as root; when pocflow runs as root, the stack's daemons run as this user."""
    source_flavor: str = DEFAULT_SOURCE_FLAVOR
    """The flavour of the source server holding the sample databases: mysql or mariadb."""
    second_source_flavor: str | None = None
    """A second source server of the other flavour, fronting its own copy of the sample (tests run both)."""

    def __post_init__(self) -> None:
        for name, value in (
            ("source flavour", self.source_flavor),
            ("second source flavour", self.second_source_flavor),
        ):
            if value is not None and value not in SOURCE_FLAVORS:
                raise ValueError(f"unknown {name} {value!r}: choose one of {', '.join(SOURCE_FLAVORS)}")
        if self.second_source_flavor == self.source_flavor:
            raise ValueError(f"the second source must be of the other flavour than {self.source_flavor}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if env is None else env)
        as_root = os.geteuid() == 0
        default_cache = Path("/var/cache/pocflow") if as_root else Path.home() / ".cache" / "pocflow"
        state = Path(env.get("POCFLOW_STATE_DIR", PROJECT_ROOT / ".pocflow")).resolve()
        cache = Path(env.get("POCFLOW_CACHE_DIR", default_cache)).resolve()
        user = env.get("POCFLOW_SERVICE_USER", "pocflow") if as_root else None
        saved = saved_flavors(state)
        flavor = env.get("POCFLOW_SOURCE_FLAVOR") or saved.get("source_flavor") or DEFAULT_SOURCE_FLAVOR
        second = env.get("POCFLOW_SECOND_SOURCE_FLAVOR", saved.get("second_source_flavor") or "")
        return cls(
            state_dir=state,
            cache_dir=cache,
            ports=Ports.from_env(env),
            service_user=user,
            source_flavor=flavor,
            second_source_flavor=None if second in ("", "none") else second,
        )

    @property
    def flavors_file(self) -> Path:
        """The source flavours the stack was last brought up with: later commands find the same servers."""
        return self.state_dir / "stack.json"

    def save_flavors(self) -> None:
        self.flavors_file.write_text(
            json.dumps({"source_flavor": self.source_flavor, "second_source_flavor": self.second_source_flavor}) + "\n"
        )

    def run_as(self) -> tuple[int, int] | None:
        """(uid, gid) the daemons run as, or None to run them as the current user."""
        if self.service_user is None:
            return None
        entry = pwd.getpwnam(self.service_user)
        return entry.pw_uid, entry.pw_gid

    def identity(self) -> dict:
        """Keyword arguments for subprocess that run a command as the daemons' account."""
        run_as = self.run_as()
        return {} if run_as is None else {"user": run_as[0], "group": run_as[1], "extra_groups": []}

    def folders(self) -> list[Path]:
        """Folders the daemons write to; created before the state folder is handed to their account."""
        sources = [self.source_dir(f) / sub for f in SOURCE_FLAVORS for sub in ("", "binlog", "tmp")]
        return [self.state_dir, self.run_dir, self.log_dir, *sources, self.vtdataroot]

    def daemon_env(self, **extra: str) -> dict[str, str]:
        """The environment of a daemon we start: ours, with HOME and USER of the account it runs as."""
        env = {**os.environ, **extra}
        if self.service_user is not None:
            env.update(HOME=str(self.state_dir), USER=self.service_user, LOGNAME=self.service_user)
        return env

    # --- folders -------------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        """pid files."""
        return self.state_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    def source_dir(self, flavor: str) -> Path:
        """Datadir, binary logs, socket and my.cnf of the source server of ``flavor``."""
        return self.state_dir / f"source-{flavor}"

    @property
    def vtdataroot(self) -> Path:
        """VTDATAROOT for mysqlctl-managed target tablets."""
        return self.state_dir / "vtdataroot"

    @property
    def etcd_dir(self) -> Path:
        return self.state_dir / "etcd"

    @property
    def credentials_file(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def mysql_root(self) -> Path:
        """The Debian sid root MySQL is installed in (debootstrap)."""
        return self.cache_dir / "mysql" / "root"

    @property
    def mysql_bin(self) -> Path:
        """mysqld, mysql, mysqldump, mysqlbinlog of that root; their parent is mysqlctl's VT_MYSQL_ROOT."""
        return self.cache_dir / "mysql" / "bin"

    @property
    def vitess_bin(self) -> Path:
        return self.cache_dir / "vitess" / VITESS_VERSION / "bin"

    # --- topology ------------------------------------------------------------------------
    @property
    def topo_flags(self) -> list[str]:
        return [
            "--topo-implementation",
            "etcd2",
            "--topo-global-server-address",
            f"127.0.0.1:{self.ports.etcd_client}",
            "--topo-global-root",
            "/vitess/global",
        ]

    @property
    def vtctld_grpc_address(self) -> str:
        return f"127.0.0.1:{self.ports.vtctld_grpc}"

    @property
    def topology_file(self) -> Path:
        """Keyspaces provisioned after the stack's own: [{"keyspace", "shard", "uid"}, ...]."""
        return self.state_dir / "topology.json"

    def free_tablet_uids(self, count: int, taken: set[int]) -> list[int]:
        """``count`` uids from 300 up for provisioned tablets, skipping taken ones and any whose ports
        (15000/16000/17000 + uid) are among the stack's own (vtgate's MySQL port 15306, ...)."""
        fixed = {getattr(self.ports, f.name) for f in dataclasses.fields(self.ports)}
        uids: list[int] = []
        uid = 300
        while len(uids) < count:
            if uid not in taken and not {15000 + uid, 16000 + uid, 17000 + uid} & fixed:
                uids.append(uid)
            uid += 1
        return uids

    def provisioned_tablets(self) -> tuple[TabletSpec, ...]:
        """Tablets added by provisioning (a primary and a replica per shard); ports 15000/16000/17000 + uid."""
        if not self.topology_file.exists():
            return ()
        return tuple(
            TabletSpec(
                e["uid"],
                e["keyspace"],
                e["shard"],
                15000 + e["uid"],
                16000 + e["uid"],
                17000 + e["uid"],
                primary=e.get("primary", True),
            )
            for e in json.loads(self.topology_file.read_text())
        )

    @property
    def target_tablets(self) -> tuple[TabletSpec, ...]:
        return self.base_target_tablets + self.provisioned_tablets()

    @property
    def base_target_tablets(self) -> tuple[TabletSpec, ...]:
        p = self.ports
        # The first tablet of a shard becomes its primary; the replica serves @replica reads,
        # which is how data in the target can be read before traffic is switched.
        return (
            TabletSpec(100, TARGET_KEYSPACE, "0", p.target_tablet_http, p.target_tablet_grpc, p.target_tablet_mysql),
            TabletSpec(
                101,
                TARGET_KEYSPACE,
                "0",
                p.target_replica_http,
                p.target_replica_grpc,
                p.target_replica_mysql,
                primary=False,
            ),
        )

    @property
    def sources_file(self) -> Path:
        """Source databases added with ``pocflow source add``: [{"database", "keyspace", "uid", "origin"}, ...]."""
        return self.state_dir / "sources.json"

    def added_sources(self) -> tuple[SourceEntry, ...]:
        if not self.sources_file.exists():
            return ()
        return tuple(
            SourceEntry(e["database"], e["keyspace"], e["uid"], origin=e.get("origin", ""))
            for e in json.loads(self.sources_file.read_text())
        )

    def save_added_sources(self, entries: list[SourceEntry]) -> None:
        self.sources_file.write_text(json.dumps([e.to_dict() for e in entries], indent=2) + "\n")

    def source_entries(self) -> tuple[SourceEntry, ...]:
        """Every database of the source server the stack fronts: the built-in ones, then the added ones."""
        return BUILTIN_SOURCES + self.added_sources()

    def source_tablet(self, entry: SourceEntry) -> TabletSpec:
        p = self.ports
        if entry.ports is not None:
            http, grpc = getattr(p, f"{entry.ports}_tablet_http"), getattr(p, f"{entry.ports}_tablet_grpc")
        else:
            http, grpc = 15000 + entry.uid, 16000 + entry.uid
        return TabletSpec(entry.uid, entry.keyspace, "0", http, grpc, p.source_mysql, database=entry.database)

    def free_source_uid(self, taken: set[int], port_in_use=lambda port: False) -> int:
        """The first uid for an added source database whose uid is free and whose two ports are neither the stack's
        own nor in use on this machine (``port_in_use``)."""
        fixed = {getattr(self.ports, f.name) for f in dataclasses.fields(self.ports)}
        for uid in ADDED_SOURCE_UIDS:
            ports = {15000 + uid, 16000 + uid}
            if uid not in taken and not ports & fixed and not any(port_in_use(port) for port in sorted(ports)):
                return uid
        raise ValueError(
            f"no free tablet uid left for another source database ({ADDED_SOURCE_UIDS.start}-"
            f"{ADDED_SOURCE_UIDS.stop - 1} are taken); remove one with `pocflow source remove`"
        )

    @property
    def source_tablets(self) -> tuple[TabletSpec, ...]:
        """One unmanaged tablet per source database, each the primary of its own keyspace."""
        return (*(self.source_tablet(e) for e in self.source_entries()), *self.second_source_tablets)

    @property
    def second_source_tablets(self) -> tuple[TabletSpec, ...]:
        """The tablet fronting the second source server's copy of the sample, when there is one."""
        if self.second_source_flavor is None:
            return ()
        p = self.ports
        return (
            TabletSpec(
                210,
                second_source_keyspace(self.second_source_flavor),
                "0",
                p.second_source_tablet_http,
                p.second_source_tablet_grpc,
                p.second_source_mysql,
                database=SOURCE_DATABASE,
            ),
        )


def saved_flavors(state_dir: Path) -> dict:
    try:
        return json.loads((state_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return {}
