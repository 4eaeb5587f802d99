"""airflow_settings.yaml (the file `astro dev start` reads) for starts without Astro.

Connections, variables and pools are checked, then imported with Airflow's own
`airflow connections|variables|pools import`. Passwords are not kept in the file: a connection of the
local stack (pocflow_source, pocflow_vtgate, ...) gets the stack's generated password, others keep
whatever Airflow already holds (set it in the UI or through AIRFLOW_CONN_<ID>).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pocflow.engagement import PROJECT_ROOT
from pocflow.local.connections import from_local_stack

SETTINGS_FILE = PROJECT_ROOT / "airflow_settings.yaml"
CONNECTION_KEYS = {
    "conn_id",
    "conn_type",
    "conn_host",
    "conn_port",
    "conn_login",
    "conn_password",
    "conn_schema",
    "conn_extra",
    "conn_description",
    "conn_uri",
}


class SettingsError(ValueError):
    pass


@dataclass
class AirflowSettings:
    connections: list[dict] = field(default_factory=list)
    variables: list[dict] = field(default_factory=list)
    pools: list[dict] = field(default_factory=list)

    def connection(self, conn_id: str) -> dict | None:
        return next((c for c in self.connections if c["conn_id"] == conn_id), None)


def load(path: str | Path = SETTINGS_FILE) -> AirflowSettings:
    """Read and check the file; every problem is named with its place in the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    section = data.get("airflow") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: expected a top-level 'airflow:' mapping")
    settings = AirflowSettings(
        section.get("connections") or [], section.get("variables") or [], section.get("pools") or []
    )
    problems = []
    for i, c in enumerate(settings.connections):
        where = f"airflow.connections[{i}]"
        if not isinstance(c, dict) or not c.get("conn_id") or not c.get("conn_type"):
            problems.append(f"{where}: needs conn_id and conn_type")
            continue
        if unknown := set(c) - CONNECTION_KEYS:
            problems.append(f"{where} ({c['conn_id']}): unknown keys {sorted(unknown)}")
        if c.get("conn_port") is not None and not str(c["conn_port"]).isdigit():
            problems.append(f"{where} ({c['conn_id']}): conn_port {c['conn_port']!r} is not a number")
    for i, v in enumerate(settings.variables):
        if not isinstance(v, dict) or not v.get("variable_name") or "variable_value" not in v:
            problems.append(f"airflow.variables[{i}]: needs variable_name and variable_value")
    for i, p in enumerate(settings.pools):
        if not isinstance(p, dict) or not p.get("pool_name") or not isinstance(p.get("pool_slot"), int):
            problems.append(f"airflow.pools[{i}]: needs pool_name and a whole pool_slot")
    if problems:
        raise SettingsError(f"{path}:\n  " + "\n  ".join(problems))
    return settings


def connections_payload(settings: AirflowSettings, password_for: Callable[[str], str | None]) -> dict:
    """`airflow connections import` JSON: conn_id -> fields."""
    out = {}
    for c in settings.connections:
        if c.get("conn_uri"):  # Airflow's importer takes a URI alone
            out[c["conn_id"]] = {"uri": c["conn_uri"]}
            continue
        extra = c.get("conn_extra")
        fields = {
            "conn_type": c["conn_type"],
            "host": c.get("conn_host"),
            "port": c.get("conn_port"),
            "login": c.get("conn_login"),
            "schema": c.get("conn_schema"),
            "description": c.get("conn_description"),
            "extra": json.dumps(extra) if isinstance(extra, dict) else extra,
        }
        password = c.get("conn_password") or password_for(c["conn_id"])
        if password:
            fields["password"] = password
        out[c["conn_id"]] = {k: v for k, v in fields.items() if v is not None}
    return out


def local_stack_password(conn_id: str) -> str | None:
    """The local stack's generated password for one of its connection ids (None otherwise)."""
    endpoint = from_local_stack(conn_id)
    return endpoint.password if endpoint else None


def apply(
    settings: AirflowSettings,
    env: dict[str, str],
    airflow: str,
    password_for: Callable[[str], str | None] = local_stack_password,
) -> list[str]:
    """Import everything into the Airflow of ``env``; returns what was loaded, a line each."""
    done = []
    with tempfile.TemporaryDirectory(prefix="pocflow-settings-") as tmp:
        os.chmod(tmp, 0o700)

        def run(kind: str, payload, *extra: str) -> None:
            f = Path(tmp) / f"{kind}.json"
            f.write_text(json.dumps(payload))
            proc = subprocess.run([airflow, kind, "import", *extra, str(f)], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SettingsError(f"airflow {kind} import failed: {(proc.stderr or proc.stdout).strip()[-800:]}")

        if settings.connections:
            payload = connections_payload(settings, password_for)
            # With a password (from the file, its URI or the local stack) a connection is replaced; without
            # one an existing connection is kept as it is, so a password set in the UI survives a restart.
            complete = {k: v for k, v in payload.items() if "password" in v or "uri" in v}
            partial = {k: v for k, v in payload.items() if k not in complete}
            if complete:
                run("connections", complete, "--overwrite")
            if partial:
                run("connections", partial)
            done.append("connections: " + ", ".join(c["conn_id"] for c in settings.connections))
        if settings.variables:
            run("variables", {v["variable_name"]: v["variable_value"] for v in settings.variables})
            done.append("variables: " + ", ".join(v["variable_name"] for v in settings.variables))
        if settings.pools:
            run(
                "pools",
                {
                    p["pool_name"]: {
                        "slots": p["pool_slot"],
                        "description": p.get("pool_description", ""),
                        "include_deferred": False,
                    }
                    for p in settings.pools
                },
            )
            done.append("pools: " + ", ".join(p["pool_name"] for p in settings.pools))
    return done
