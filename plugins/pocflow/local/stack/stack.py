"""``pocflow stack up | down | status | env``: the whole local stack as one object."""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import asdict, dataclass

from pocflow.local.stack import install
from pocflow.local.stack.cluster import Cluster, TargetMysqld
from pocflow.local.stack.config import (
    CUTOVER_DATABASE,
    SOURCE_DATABASE,
    SOURCE_FLAVORS,
    SOURCE_KEYSPACE,
    TARGET_KEYSPACE,
    StackConfig,
    saved_flavors,
    second_source_keyspace,
)
from pocflow.local.stack.credentials import ADMIN_USER, IMPORT_USER, READONLY_USER, load_or_create
from pocflow.local.stack.process import StackError, wait_until
from pocflow.local.stack.progress import say
from pocflow.local.stack.source import SOURCE_SERVERS, SourceServer
from pocflow.vitess.vtctldclient import VtctldError


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    port: int
    pid: int | None
    healthy: bool
    flavor: str | None = None
    """Database servers (source and target) and the source tablets in front of them: mysql or mariadb."""
    version: str | None = None
    """That server's version (``mysqld --version``)."""

    def to_dict(self) -> dict:
        return asdict(self)


class Stack:
    def __init__(self, config: StackConfig | None = None):
        self._configure(config or StackConfig.from_env())

    def _configure(self, config: StackConfig) -> None:
        """The stack's parts for ``config`` (again, after the state folder or the tablets changed)."""
        self.config = config
        self.creds = load_or_create(self.config)
        c = self.config
        self.source: SourceServer = SOURCE_SERVERS[c.source_flavor](
            c,
            port=c.ports.source_mysql,
            databases=tuple(e.database for e in c.source_entries()),
            writable_database=CUTOVER_DATABASE,
        )
        self.sources = [self.source]
        if c.second_source_flavor is not None:
            self.sources.append(
                SOURCE_SERVERS[c.second_source_flavor](
                    c, port=c.ports.second_source_mysql, databases=(SOURCE_DATABASE,), server_id=1002
                )
            )
        self.cluster = Cluster(self.config, self.creds)

    def components(self) -> list:
        return [*self.sources, *self.cluster.components()]

    def setup(self) -> None:
        """Install what is missing: Debian packages, MySQL (the target tablets' server, and the source's by
        default) and the Vitess binaries."""
        install.ensure_debian_packages()
        install.ensure_mysql(self.config)
        install.ensure_vitess(self.config)

    def _check_flavors(self) -> None:
        """Refuse, before anything starts, to put a source of another flavour on a running stack's port."""
        saved = saved_flavors(self.config.state_dir)
        wanted = {"source_flavor": self.config.source_flavor, "second_source_flavor": self.config.second_source_flavor}
        if not saved or saved == wanted:
            return
        running = [f for f in SOURCE_FLAVORS if SOURCE_SERVERS[f](self.config, port=0, databases=()).pid() is not None]
        if running:
            raise StackError(
                f"the stack runs source {', '.join(running)} (source flavour {saved.get('source_flavor')}, second "
                f"{saved.get('second_source_flavor') or 'none'}); stop it first with `pocflow stack down`, then "
                f"bring it up with --source-flavor {wanted['source_flavor']} (each flavour keeps its own data)"
            )

    def up(self) -> None:
        self._check_flavors()
        self.setup()
        install.ensure_service_user(self.config)
        prepared = install.prepare_state_dir(self.config)
        if prepared != self.config:
            self._configure(prepared)
        for source in self.sources:
            source.up(self.creds)
        self.config.save_flavors()
        self.cluster.up()
        try:
            wait_until(lambda: all(s.healthy for s in self.status()), what="stack health", timeout=90)
        except StackError:
            unhealthy = [s.name for s in self.status() if not s.healthy]
            raise StackError(
                f"stack started but not healthy: {', '.join(unhealthy)}; see the logs in {self.config.log_dir}"
            ) from None
        say(f"stack is up; state, logs and pids in {self.config.state_dir}")

    def down(self, *, wipe: bool = False) -> None:
        self.cluster.down()
        for source in reversed(self.sources):
            source.down()
        leftover = [s.name for s in self.status() if s.pid is not None]
        if leftover:
            raise StackError(f"still running after stop: {', '.join(leftover)}")
        if wipe and self.config.state_dir.exists():
            shutil.rmtree(self.config.state_dir)
            say(f"removed {self.config.state_dir}")

    def keyspaces(self) -> dict[str, list[str]]:
        """Target keyspaces the stack runs, with their shards."""
        out: dict[str, list[str]] = {}
        for t in self.config.target_tablets:
            if t.primary and t.shard not in out.setdefault(t.keyspace, []):
                out[t.keyspace].append(t.shard)
        return out

    def add_keyspace(self, keyspace: str, shards: list[str]) -> bool:
        """Run ``keyspace`` with a primary and a replica tablet per shard; False when it is already there.

        The replica serves ``keyspace:shard@replica`` reads of the target's own copy while a
        workflow still routes the keyspace's tables to the source.
        """
        existing = self.keyspaces()
        if keyspace in existing:
            if sorted(existing[keyspace]) != sorted(shards):
                raise StackError(
                    f"keyspace {keyspace} already runs shards {existing[keyspace]}, not {shards}; "
                    f"use another keyspace name or reshard"
                )
            return False
        entries = json.loads(self.config.topology_file.read_text()) if self.config.topology_file.exists() else []
        uids = self.config.free_tablet_uids(2 * len(shards), taken={e["uid"] for e in entries})
        for i, shard in enumerate(shards):
            entries += [
                {"keyspace": keyspace, "shard": shard, "uid": uids[2 * i], "primary": True},
                {"keyspace": keyspace, "shard": shard, "uid": uids[2 * i + 1], "primary": False},
            ]
        self.config.topology_file.write_text(json.dumps(entries, indent=2) + "\n")
        self._configure(self.config)
        self.up()
        self.cluster.wait_until_routable(keyspace, shards, tablet_types=("PRIMARY", "REPLICA"))
        return True

    def remove_keyspace(self, keyspace: str) -> bool:
        """Stop and delete a keyspace provisioning added (its tablets, their MySQL and its topology); False when
        provisioning did not add it."""
        entries = json.loads(self.config.topology_file.read_text()) if self.config.topology_file.exists() else []
        specs = [t for t in self.config.provisioned_tablets() if t.keyspace == keyspace]
        if not specs:
            return False
        for spec in specs:
            self.cluster.tablet(spec, managed=True).down()
            TargetMysqld(self.config, spec).down()
        try:
            self.cluster.vtctld.run("DeleteKeyspace", "--recursive", "--force", keyspace, approved=True)
        except VtctldError as e:
            if "node doesn't exist" not in e.stderr:
                raise
        self.config.topology_file.write_text(
            json.dumps([e for e in entries if e["keyspace"] != keyspace], indent=2) + "\n"
        )
        for spec in specs:
            shutil.rmtree(TargetMysqld(self.config, spec).dir, ignore_errors=True)
        self._configure(self.config)
        return True

    def status(self) -> list[ComponentStatus]:
        by_port = {s.port: s for s in self.sources}
        out = []
        for c in self.components():
            port = getattr(c, "source_port", None)
            server = c if isinstance(c, SourceServer) else (by_port.get(port) if port is not None else None)
            flavor: str | None
            version: str | None
            if server is not None:
                flavor, version = server.flavor, server.version()
            elif isinstance(c, TargetMysqld):
                flavor, version = c.flavor, self._target_version()
            else:
                flavor = version = None
            out.append(ComponentStatus(c.name, c.port, c.pid(), c.healthy(), flavor, version))
        return out

    def _target_version(self) -> str:
        if not hasattr(self, "_target_mysql_version"):
            self._target_mysql_version = install.mysql_version(self.config)
        return self._target_mysql_version

    def env(self) -> dict[str, str]:
        """Shell variables for using the stack by hand (and for pocflow's own connections)."""
        p, c = self.config.ports, self.creds
        per_flavor = {}
        for server in self.sources:
            prefix = f"POCFLOW_SOURCE_{server.flavor.upper()}"
            keyspace = SOURCE_KEYSPACE if server is self.source else second_source_keyspace(server.flavor)
            per_flavor.update(
                {
                    f"{prefix}_KEYSPACE": keyspace,
                    f"{prefix}_ADMIN_DSN": server.dsn(ADMIN_USER, c.admin_password, SOURCE_DATABASE),
                    f"{prefix}_IMPORT_DSN": server.dsn(IMPORT_USER, c.import_password, SOURCE_DATABASE),
                    f"{prefix}_READONLY_DSN": server.dsn(READONLY_USER, c.readonly_password, SOURCE_DATABASE),
                }
            )
        return {
            "PATH": f"{self.config.vitess_bin}:$PATH",
            "POCFLOW_SOURCE_FLAVOR": self.config.source_flavor,
            "VTCTLD_SERVER": self.config.vtctld_grpc_address,
            "VTGATE_MYSQL": f"127.0.0.1:{p.vtgate_mysql}",
            "POCFLOW_SOURCE_HOST": "127.0.0.1",
            "POCFLOW_SOURCE_PORT": str(p.source_mysql),
            "POCFLOW_SOURCE_DATABASE": SOURCE_DATABASE,
            "POCFLOW_SOURCE_KEYSPACE": SOURCE_KEYSPACE,
            "POCFLOW_TARGET_KEYSPACE": TARGET_KEYSPACE,
            "POCFLOW_SOURCE_ADMIN_DSN": f"mysql://{ADMIN_USER}:{c.admin_password}@127.0.0.1:{p.source_mysql}/{SOURCE_DATABASE}",
            "POCFLOW_SOURCE_IMPORT_DSN": f"mysql://{IMPORT_USER}:{c.import_password}@127.0.0.1:{p.source_mysql}/{SOURCE_DATABASE}",
            "POCFLOW_SOURCE_READONLY_DSN": f"mysql://{READONLY_USER}:{c.readonly_password}@127.0.0.1:{p.source_mysql}/{SOURCE_DATABASE}",
            "POCFLOW_VTGATE_DSN": f"mysql://root@127.0.0.1:{p.vtgate_mysql}/{TARGET_KEYSPACE}",
            **per_flavor,
        }

    def env_script(self) -> str:
        lines = []
        for key, value in self.env().items():
            quoted = f'"{value}"' if key == "PATH" else shlex.quote(value)
            lines.append(f"export {key}={quoted}")
        p = self.config.ports
        lines.append('vtctldclient-local() { vtctldclient --server "$VTCTLD_SERVER" "$@"; }')
        for server in self.sources:
            lines.append(
                f"{server.flavor}-source() {{ MYSQL_PWD={shlex.quote(self.creds.admin_password)} mariadb "
                f"--default-character-set=utf8mb4 -h 127.0.0.1 -P {server.port} -u {ADMIN_USER} "
                f'{SOURCE_DATABASE} "$@"; }}'
            )
        lines.append(
            f"mariadb-vtgate() {{ mariadb --default-character-set=utf8mb4 -h 127.0.0.1 -P {p.vtgate_mysql} "
            f'-u root {TARGET_KEYSPACE} "$@"; }}'
        )
        return "\n".join(lines)
