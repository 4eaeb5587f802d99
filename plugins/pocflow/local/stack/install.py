"""Install what the stack runs: MariaDB and etcd from Debian, MySQL 9.7 from Debian's sid archive,
Vitess built from its Go module.

Debian 12 ships no MySQL server; sid's ``mysql-server-core`` needs a newer C library, so it is
installed into a root of its own (debootstrap) and run through that root's dynamic loader.
The Vitess binaries and the MySQL root are cached under the cache folder, so only the first
setup on a machine builds or downloads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pwd
import shutil
import subprocess
import threading
import time
from pathlib import Path

from pocflow.local.stack.config import VITESS_COMMANDS, VITESS_VERSION, StackConfig
from pocflow.local.stack.process import StackError
from pocflow.local.stack.progress import say, step

# command the stack runs -> the Debian package that provides it
DEBIAN_PACKAGES = {
    "mariadbd": "mariadb-server-core",
    "mariadb-install-db": "mariadb-server-core",
    "mariadb": "mariadb-client",
    "etcd": "etcd-server",
    "etcdctl": "etcd-client",
    "chromium": "chromium",  # renders the engagement report (screenshot, browser tests)
    "debootstrap": "debootstrap",  # installs MySQL from Debian's sid archive into a root of its own
}

BUILD_PACKAGES = ("libmariadb-dev", "pkg-config", "gcc")
"""What pip builds mysqlclient (the load generator's C client; it has no Linux wheels) against: `make venv`
installs them before pip (the Makefile's BUILD_DEBS), the images from packages.txt and
docker/airflow/Dockerfile."""

MYSQL_SUITE = "sid"
MYSQL_PACKAGES = ("mysql-server-core", "mysql-client-core")
MYSQL_COMMANDS = {
    "mysqld": "usr/sbin/mysqld",
    "mysql": "usr/bin/mysql",
    "mysqldump": "usr/bin/mysqldump",
    "mysqlbinlog": "usr/bin/mysqlbinlog",
}
"""Commands of the MySQL root the stack runs, each wrapped to run through the root's loader."""

# Vitess's own go.mod excludes this version; a wrapper module must repeat the exclusion or
# the dependency graph does not resolve.
_GO_MOD = """module pocflow.local/vitess-binaries

go 1.26

exclude github.com/DataDog/opentelemetry-mapping-go/pkg/otlp/attributes v0.33.0
"""


def which(command: str) -> str | None:
    return shutil.which(command, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def missing_debian_packages() -> list[str]:
    return sorted({pkg for cmd, pkg in DEBIAN_PACKAGES.items() if which(cmd) is None})


def ensure_debian_packages() -> None:
    missing = missing_debian_packages()
    if not missing:
        say("Debian packages (MariaDB, etcd, Chromium, debootstrap): already installed")
        return
    if os.geteuid() != 0:
        raise StackError(
            f"missing Debian packages {', '.join(missing)}; install them with\n"
            f"  sudo apt-get install -y --no-install-recommends {' '.join(missing)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with step(f"Installing Debian packages {', '.join(missing)}"):
        _run(["apt-get", "update", "-q"], env=env)
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], env=env)


def vitess_installed(config: StackConfig) -> bool:
    stamp = config.vitess_bin / ".version"
    return (
        stamp.exists()
        and stamp.read_text().strip() == VITESS_VERSION
        and all((config.vitess_bin / c).exists() for c in VITESS_COMMANDS)
    )


def ensure_vitess(config: StackConfig) -> Path:
    """Return the folder of the Vitess binaries, building them from the Go module when absent."""
    if vitess_installed(config):
        say(f"Vitess {VITESS_VERSION}: cached in {config.vitess_bin}")
        return config.vitess_bin
    go = which("go")
    if go is None:
        raise StackError("Go is needed to build Vitess and was not found on PATH; install Go 1.26 or newer")
    build_dir = config.cache_dir / "vitess" / VITESS_VERSION / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    with step(f"Building Vitess {VITESS_VERSION} from vitess.io/vitess (first time only; ~10-20 min on 2 cores)"):
        if not (build_dir / "go.mod").exists():
            (build_dir / "go.mod").write_text(_GO_MOD)
        for command in VITESS_COMMANDS:
            _run([go, "get", "-tool", f"vitess.io/vitess/go/cmd/{command}@{VITESS_VERSION}"], cwd=build_dir, env=env)
        staging = build_dir / "bin.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        packages = [f"vitess.io/vitess/go/cmd/{c}" for c in VITESS_COMMANDS]
        _run(
            [go, "build", "-trimpath", "-o", str(staging) + "/", *packages],
            cwd=build_dir,
            env=env,
            heartbeat="compiling Vitess",
        )
        (staging / ".version").write_text(VITESS_VERSION + "\n")
        shutil.rmtree(config.vitess_bin, ignore_errors=True)
        staging.rename(config.vitess_bin)
    return config.vitess_bin


def _run(
    argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, heartbeat: str | None = None
) -> None:
    """Run a setup command; on failure raise with its output. Print a heartbeat while it runs."""
    done = threading.Event()
    if heartbeat:
        started = time.monotonic()

        def beat() -> None:
            while not done.wait(30):
                say(f"  ... still {heartbeat} ({time.monotonic() - started:.0f}s)")

        threading.Thread(target=beat, daemon=True).start()
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    finally:
        done.set()
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()[-25:]
        raise StackError(f"`{' '.join(argv)}` failed (exit {proc.returncode}):\n  " + "\n  ".join(output))


def ensure_service_user(config: StackConfig) -> None:
    """Create the unprivileged system account the daemons run as when pocflow runs as root."""
    if config.service_user is None:
        return
    try:
        pwd.getpwnam(config.service_user)
        return
    except KeyError:
        pass
    with step(f"Creating system user {config.service_user} (Vitess will not run as root)"):
        _run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                config.service_user,
            ]
        )


def prepare_state_dir(config: StackConfig) -> StackConfig:
    """Make the state folder usable by the daemons' account; return the config that points at it.

    When that account cannot reach a folder inside the checkout (a clone under /root, say),
    the state lives in /var/lib/pocflow/<id> and ``.pocflow`` becomes a link to it.
    """
    for folder in config.folders():
        folder.mkdir(parents=True, exist_ok=True)
    run_as = config.run_as()
    if run_as is None:
        return config
    probe = subprocess.run(
        ["test", "-x", str(config.state_dir.parent)], user=run_as[0], group=run_as[1], extra_groups=[]
    )
    if probe.returncode != 0 and not config.state_dir.is_symlink():
        real = Path("/var/lib/pocflow") / hashlib.sha256(str(config.state_dir).encode()).hexdigest()[:12]
        real.parent.mkdir(parents=True, exist_ok=True)
        say(f"{config.service_user} cannot reach {config.state_dir}; keeping state in {real} (linked)")
        shutil.move(str(config.state_dir), str(real))
        config.state_dir.symlink_to(real)
        config = dataclasses.replace(config, state_dir=real)
    _chown_tree(config.state_dir, *run_as, keep_private={config.credentials_file})
    return config


def _chown_tree(root: Path, uid: int, gid: int, *, keep_private: set[Path]) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = Path(folder) / name if name != "." else Path(folder)
            if path in keep_private or path.is_symlink():
                continue
            st = path.lstat()
            if (st.st_uid, st.st_gid) != (uid, gid):
                os.chown(path, uid, gid)


def debian_mirror() -> str:
    """The Debian mirror apt already uses here (deb822 or one-line sources), else deb.debian.org."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and len(words) > 1 and "security" not in words[1]:
                return words[1].rstrip("/")
            if words[:1] == ["deb"]:
                uri = next((w for w in words[1:] if "://" in w), None)
                if uri and "security" not in uri:
                    return uri.rstrip("/")
    return "http://deb.debian.org/debian"


def mysql_installed(config: StackConfig) -> bool:
    return (config.mysql_root / ".installed").exists() and all((config.mysql_bin / c).exists() for c in MYSQL_COMMANDS)


def mysql_version(config: StackConfig) -> str:
    """The installed server's version text, e.g. ``9.7.4-2`` (from ``mysqld --version``)."""
    out = subprocess.run([str(config.mysql_bin / "mysqld"), "--version"], capture_output=True, text=True, timeout=30)
    words = out.stdout.split()
    return words[words.index("Ver") + 1] if "Ver" in words else out.stdout.strip()


def ensure_mysql(config: StackConfig) -> Path:
    """Return the folder of the MySQL commands, installing MySQL from Debian sid when absent.

    debootstrap writes a minimal Debian sid root holding ``mysql-server-core`` into the cache
    folder (about 650 MB, a minute or two); the commands in ``bin/`` run its binaries through
    its own dynamic loader and libraries, so data, sockets and logs can live anywhere.
    """
    if mysql_installed(config):
        say(f"MySQL {(config.mysql_root / '.installed').read_text().strip()}: cached in {config.mysql_root}")
        return config.mysql_bin
    if which("debootstrap") is None:
        raise StackError(
            "debootstrap is needed to install MySQL; install it with\n"
            "  sudo apt-get install -y --no-install-recommends debootstrap"
        )
    if os.geteuid() != 0:
        raise StackError(
            f"installing MySQL into {config.mysql_root} needs root once (debootstrap); run "
            f"`sudo {which('pocflow') or 'pocflow'} stack setup`"
        )
    root = config.mysql_root
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    mirror = debian_mirror()
    with step(
        f"Installing MySQL ({', '.join(MYSQL_PACKAGES)} from Debian {MYSQL_SUITE}, {mirror}) into "
        f"{root} (first time only; about 650 MB)"
    ):
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(MYSQL_PACKAGES)}",
                MYSQL_SUITE,
                str(partial),
                mirror,
            ],
            heartbeat="installing MySQL",
        )
        shutil.rmtree(root, ignore_errors=True)
        partial.rename(root)
        _write_mysql_wrappers(config)
        version = mysql_version(config)
        if not version[:1].isdigit():
            raise StackError(f"the installed mysqld does not run here: {version}")
        (root / ".installed").write_text(version + "\n")
    say(f"MySQL {version} installed")
    return config.mysql_bin


def _write_mysql_wrappers(config: StackConfig) -> None:
    root, bin_dir = config.mysql_root, config.mysql_bin
    bin_dir.mkdir(parents=True, exist_ok=True)
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    for command, relative in MYSQL_COMMANDS.items():
        wrapper = bin_dir / command
        wrapper.write_text(
            f"#!/bin/sh\n# {command} of the MySQL root {root}, run with that root's loader and libraries\n"
            f'exec "{root}/lib64/ld-linux-x86-64.so.2" --library-path "{libs}" '
            f'"{root}/{relative}" "$@"\n'
        )
        wrapper.chmod(0o755)
