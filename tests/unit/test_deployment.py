"""docker-compose.yaml and the Astro project, checked as far as a machine without Docker allows:
every file they reference exists, and their connections, ports and versions agree with
airflow_settings.yaml, requirements.txt and the Vitess release the local stack builds."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml

from pocflow.engagement import PROJECT_ROOT, from_inputs
from pocflow.local.airflow.settings import load
from pocflow.local.stack.config import VITESS_VERSION
from pocflow.local.stack.install import BUILD_PACKAGES, DEBIAN_PACKAGES

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS = load()
AIRFLOW_ENV = SERVICES["airflow-apiserver"]["environment"]
_major, _patch = VITESS_VERSION.removeprefix("v0.").split(".")
VITESS_IMAGE = f"vitess/lite:v{_major}.0.{_patch}"  # Go module v0.24.4 is release v24.0.4
AIRFLOW_PIN = re.search(r"^apache-airflow==(\S+)$", (PROJECT_ROOT / "requirements.txt").read_text(), re.M).group(1)


def defaults(value: str) -> str:
    """Compose's ${VAR:-default} with the defaults filled in."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def published(service: str) -> dict[int, int]:
    """container port -> host port."""
    out = {}
    for spec in SERVICES[service].get("ports", []):
        host, container = str(spec).rsplit(":", 1) if ":" in str(spec) else (spec, spec)
        out[int(container)] = int(host.split(":")[-1])
    return out


def test_every_component_the_issue_names_is_a_service():
    assert {
        "postgres",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "mysql-source",
        "sample-load",
        "etcd",
        "vtctld",
        "vtgate",
        "vttablet-source",
        "vttablet-target",
        "vitess-setup",
        "s3",
        "s3-bucket",
    } <= set(SERVICES)
    assert defaults(AIRFLOW_ENV["AIRFLOW__CORE__EXECUTOR"]) == "LocalExecutor"
    assert AIRFLOW_ENV["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert SERVICES["mysql-source"]["image"] == "mysql:8.4"  # the LTS line; 8.0 is past its end of life
    flags = " ".join(SERVICES["mysql-source"]["command"])
    for needed in ("--gtid-mode=ON", "--enforce-gtid-consistency=ON", "--binlog-format=ROW", "--binlog-row-image=FULL"):
        assert needed in flags


def test_every_file_the_compose_file_mounts_or_builds_exists():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                path = PROJECT_ROOT / source
                assert path.exists(), f"{name}: {source} does not exist"
                if path.suffix == ".sh":
                    assert os.access(path, os.X_OK), f"{source} is not executable"
        build = service.get("build")
        if build:
            assert (PROJECT_ROOT / build["context"] / build["dockerfile"]).is_file()
    for script in ("setup.sh", "vttablet.sh"):
        assert f"/script/{script}" in yaml.safe_dump(COMPOSE) and (PROJECT_ROOT / "docker/vitess" / script).is_file()


def test_connections_agree_with_airflow_settings():
    conns = {
        k.removeprefix("AIRFLOW_CONN_").lower(): urlparse(defaults(v))
        for k, v in AIRFLOW_ENV.items()
        if k.startswith("AIRFLOW_CONN_")
    }
    assert set(conns) == {c["conn_id"] for c in SETTINGS.connections}
    for conn_id, uri in conns.items():
        setting = SETTINGS.connection(conn_id)
        assert uri.scheme == setting["conn_type"], conn_id
        if setting.get("conn_login"):
            assert unquote(uri.username or "") == setting["conn_login"], conn_id
        if setting.get("conn_schema"):
            assert uri.path.strip("/") == setting["conn_schema"], conn_id
    # the host view (airflow_settings.yaml) reaches the same services through their published ports
    assert published("mysql-source")[conns["pocflow_source"].port] == SETTINGS.connection("pocflow_source")["conn_port"]
    assert published("vtgate")[conns["pocflow_vtgate"].port] == SETTINGS.connection("pocflow_vtgate")["conn_port"]
    s3 = parse_qs(conns["pocflow_artifacts"].query)["endpoint_url"][0]
    host_s3 = SETTINGS.connection("pocflow_artifacts")["conn_extra"]["endpoint_url"]
    assert published("s3")[urlparse(s3).port] == urlparse(host_s3).port
    variables = {v["variable_name"]: v["variable_value"] for v in SETTINGS.variables}
    compose_vtctld = AIRFLOW_ENV["AIRFLOW_VAR_POCFLOW_VTCTLD_ADDRESS"]
    assert published("vtctld")[int(compose_vtctld.split(":")[1])] == int(
        variables["pocflow_vtctld_address"].split(":")[1]
    )
    for pool in SETTINGS.pools:
        assert f"airflow pools set {pool['pool_name']} {pool['pool_slot']}" in " ".join(
            SERVICES["airflow-init"]["command"]
        )


def test_no_two_services_publish_the_same_host_port():
    ports = [host for name in SERVICES for host in published(name).values()]
    assert len(ports) == len(set(ports))


def test_the_compose_engagement_uses_the_compose_services():
    e = from_inputs({"engagement_file": "compose-shop.yaml"}, connection_exists=lambda cid: True)
    compose_conns = {k.removeprefix("AIRFLOW_CONN_").lower() for k in AIRFLOW_ENV if k.startswith("AIRFLOW_CONN_")}
    assert {e.source.connection_id, e.target.vtgate_connection_id, e.artifacts.aws_conn_id} <= compose_conns
    assert e.target.vtctld_address == AIRFLOW_ENV["AIRFLOW_VAR_POCFLOW_VTCTLD_ADDRESS"]
    bucket = e.artifacts.location.removeprefix("s3://").split("/")[0]
    assert f"store/{bucket}" in SERVICES["s3-bucket"]["entrypoint"][-1]
    setup = (PROJECT_ROOT / "docker/vitess/setup.sh").read_text()
    assert e.source.keyspace in setup and e.target.keyspace in setup
    keyspaces = {SERVICES[s]["environment"]["KEYSPACE"] for s in ("vttablet-source", "vttablet-target")}
    assert keyspaces == {e.source.keyspace, e.target.keyspace}
    assert SERVICES["vttablet-source"]["environment"]["DB_USER"] == e.source.import_user


@pytest.mark.parametrize("path", ["docker-compose.yaml", "docker/airflow/Dockerfile", "Dockerfile"])
def test_images_match_the_versions_the_project_builds_and_locks(path):
    text = (PROJECT_ROOT / path).read_text()
    vitess_images = set(re.findall(r"vitess/lite:\S+", text))
    assert vitess_images == {VITESS_IMAGE}, vitess_images
    if path == "docker/airflow/Dockerfile":
        assert f"FROM apache/airflow:{AIRFLOW_PIN}-python3.11" in text


def test_the_astro_project_starts_from_the_runtime_of_the_locked_airflow():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    runtime = re.search(r"^FROM astrocrpublic\.azurecr\.io/runtime:(\d+)\.(\d+)-\d+$", dockerfile, re.M)
    assert runtime, "Astro's Airflow 3 runtime image"
    assert ".".join(runtime.groups()) == ".".join(AIRFLOW_PIN.split(".")[:2])
    packages = (PROJECT_ROOT / "packages.txt").read_text().split()
    assert packages and set(packages) <= set(DEBIAN_PACKAGES.values()) | set(BUILD_PACKAGES)
    assert set(BUILD_PACKAGES) <= set(packages)  # pip builds mysqlclient in the image
    assert yaml.safe_load((PROJECT_ROOT / ".astro/config.yaml").read_text())["project"]["name"] == "pocflow"
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".pocflow", "airflow_settings.yaml"} <= set(ignored)
    # Astro puts the project root on PYTHONPATH and the plugins folder on sys.path: both layouts hold
    assert (PROJECT_ROOT / "plugins/pocflow/__init__.py").is_file() and (
        PROJECT_ROOT / "plugins/pocflow_plugin.py"
    ).is_file()
    for folder in ("dags", "plugins", "include", "tests"):
        assert (PROJECT_ROOT / folder).is_dir()


def test_the_celery_profile_adds_a_broker_and_two_workers_that_run_what_the_scheduler_does():
    in_profile = {name for name, service in SERVICES.items() if "celery" in service.get("profiles", [])}
    assert in_profile == {"redis", "airflow-worker-1", "airflow-worker-2"}
    assert AIRFLOW_ENV["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert AIRFLOW_ENV["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    workers = [SERVICES[w] for w in ("airflow-worker-1", "airflow-worker-2")]
    assert [w["command"].split()[:2] for w in workers] == [["celery", "worker"]] * 2
    assert len({w["command"] for w in workers}) == 2  # each its own Celery hostname
    for worker in workers:
        # the same image, environment and mounted DAGs as the scheduler, so a task runs the same on either
        assert worker["image"] == SERVICES["airflow-scheduler"]["image"]
        assert worker["environment"] == SERVICES["airflow-scheduler"]["environment"]
        assert worker["volumes"] == SERVICES["airflow-scheduler"]["volumes"]
    locked = (PROJECT_ROOT / "requirements.txt").read_text()
    assert re.search(r"^apache-airflow-providers-celery==", locked, re.M) and re.search(r"^redis==", locked, re.M)


def test_every_install_path_has_what_mysqlclient_builds_against():
    """mysqlclient (the load generator's C client) has no Linux wheels: make venv, the Astro image and the
    compose image each install the same Debian build packages before pip."""
    make_vars = dict(re.findall(r"^(\w+) := (.*)$", (PROJECT_ROOT / "Makefile").read_text(), re.M))
    assert make_vars["BUILD_DEBS"].split() == list(BUILD_PACKAGES)
    compose_image = (PROJECT_ROOT / "docker/airflow/Dockerfile").read_text()
    assert all(package in compose_image.split() for package in BUILD_PACKAGES)
    assert re.search(r"^mysqlclient==", (PROJECT_ROOT / "requirements.txt").read_text(), re.M)
