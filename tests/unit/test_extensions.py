"""The extension registry: how the product reaches what a deployment (the local rig) adds, in which order."""

import tomllib
from pathlib import Path

import pytest

from pocflow import connections, extensions
from pocflow.cli import build_parser, main
from pocflow.connections import Endpoint, UnknownConnection, resolve
from pocflow.extensions import ExtensionError, Registry
from pocflow.stages.provision import ExistingTarget, TargetNotProvisioned, default_provisioner
from pocflow.vitess.vtctldclient import VtctldError, find_vtctldclient

ROOT = Path(__file__).resolve().parents[2]
FROM_ENV = Endpoint("env-host", 3306, "env")
FROM_AIRFLOW = Endpoint("airflow-host", 3306, "airflow")
FROM_FALLBACK = Endpoint("fallback-host", 3306, "fallback")


@pytest.fixture
def registry(monkeypatch) -> Registry:
    """A registry of the test's own, in place of the loaded one."""
    fresh = Registry()
    monkeypatch.setattr(extensions, "_registry", fresh)
    return fresh


def test_a_registered_fallback_is_asked_after_the_environment_and_airflow(registry, monkeypatch):
    asked = []
    registry.add_connection_fallback(lambda cid: asked.append(cid) or (FROM_FALLBACK if cid == "known" else None))
    monkeypatch.setenv("AIRFLOW_CONN_KNOWN", FROM_ENV.dsn())
    assert resolve("known") == FROM_ENV and asked == []
    monkeypatch.delenv("AIRFLOW_CONN_KNOWN")
    assert resolve("known", airflow_lookup=lambda cid: FROM_AIRFLOW) == FROM_AIRFLOW and asked == []
    assert resolve("known", airflow_lookup=lambda cid: None) == FROM_FALLBACK and asked == ["known"]
    with pytest.raises(UnknownConnection):
        resolve("other")
    assert connections.exists("known") and not connections.exists("other")


def test_without_extensions_only_the_environment_and_airflow_answer(registry, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_POCFLOW_SOURCE", raising=False)
    with pytest.raises(UnknownConnection):
        resolve("pocflow_source")


def test_vtctldclient_is_looked_up_in_registered_tool_folders_after_the_environment_and_path(
    registry, monkeypatch, tmp_path
):
    monkeypatch.delenv("POCFLOW_VTCTLDCLIENT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="vtctldclient not found"):
        find_vtctldclient()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "vtctldclient").write_text("")
    registry.add_tool_dir(lambda: tmp_path / "nothing-here")
    registry.add_tool_dir(lambda: tmp_path / "bin")
    assert find_vtctldclient() == str(tmp_path / "bin" / "vtctldclient")
    monkeypatch.setenv("POCFLOW_VTCTLDCLIENT", "/opt/vitess/vtctldclient")
    assert find_vtctldclient() == "/opt/vitess/vtctldclient"


def write_extension(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def test_extensions_named_in_the_environment_are_loaded_once_each(tmp_path, monkeypatch):
    write_extension(
        tmp_path,
        "pocflow_test_ext",
        "calls = []\n"
        "def register(registry):\n"
        "    calls.append(1)\n"
        "    registry.add_connection_fallback(lambda cid: None)\n"
        "    registry.add_tool_dir(lambda: __import__('pathlib').Path('/nowhere'))\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = extensions.discover({extensions.ENV_VAR: " pocflow_test_ext, ,pocflow_test_ext "})
    assert [name for name, _ in found].count("pocflow_test_ext") == 1
    found = [(name, loader) for name, loader in found if name == "pocflow_test_ext"]  # not the installed ones
    registry = extensions.load(Registry(), found)
    extensions.load(registry, found)  # a second load registers nothing twice
    import pocflow_test_ext

    assert pocflow_test_ext.calls == [1] and "pocflow_test_ext" in registry.extensions
    assert len(registry.connection_fallbacks) == 1 and registry.tool_dirs[0]() == Path("/nowhere")


def test_a_broken_extension_is_named(tmp_path, monkeypatch):
    write_extension(tmp_path, "pocflow_test_noregister", "x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ExtensionError, match="pocflow_test_noregister has no register"):
        extensions.load(Registry(), extensions.discover({extensions.ENV_VAR: "pocflow_test_noregister"}))
    with pytest.raises(ExtensionError, match="pocflow_test_missing could not be loaded"):
        extensions.load(Registry(), extensions.discover({extensions.ENV_VAR: "pocflow_test_missing"}))


def test_only_one_provisioner_may_be_registered():
    registry = Registry()
    registry.set_provisioner(lambda vtctld: None)
    with pytest.raises(ExtensionError, match="two extensions register a provisioner"):
        registry.set_provisioner(lambda vtctld: None)


def test_the_local_rig_is_declared_as_an_extension_and_registers_itself():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert declared[extensions.ENTRY_POINT_GROUP] == {"local": "pocflow.local:register"}
    registry = extensions.load(Registry(), extensions.discover({extensions.ENV_VAR: "pocflow.local"}))
    assert registry.extensions == ["pocflow.local"] and registry.connection_fallbacks and registry.tool_dirs
    assert registry.provisioner.__module__ == "pocflow.local.provisioner"
    assert [e.__name__ for e in registry.command_errors] == ["StackError"]


def test_the_cli_has_the_commands_extensions_add(registry):
    def add(sub):
        sub.add_parser("rig-command").set_defaults(func=lambda args: 7)

    assert "rig-command" not in build_parser().format_help()
    registry.add_commands(add)
    assert "rig-command" in build_parser().format_help() and main(["rig-command"]) == 7


def test_the_cli_prints_the_errors_extensions_name_as_one_line(registry, capsys):
    class RigError(RuntimeError):
        pass

    def fail(args):
        raise RigError("the rig says no")

    registry.add_commands(lambda sub: sub.add_parser("rig-fails").set_defaults(func=fail), errors=(RigError,))
    assert main(["rig-fails"]) == 2 and capsys.readouterr().err == "pocflow: the rig says no\n"


class FakeVtctld:
    """Answers FindAllShardsInKeyspace from a dict; records every command; runs nothing."""

    def __init__(self, shards: dict[str, list[str]]):
        self.shards = shards
        self.commands = []

    def run_json(self, *args: str, **_):
        self.commands.append(args)
        assert args[0] == "FindAllShardsInKeyspace", args
        if args[1] not in self.shards:
            raise VtctldError(list(args), 1, f"node doesn't exist: /keyspaces/{args[1]}")
        return {"shards": {s: {} for s in self.shards[args[1]]}}


def test_without_a_registered_provisioner_provisioning_names_what_to_create(registry):
    vtctld = FakeVtctld({"shop": ["0"], "shop_sharded": ["-80", "80-"], "other": ["0"]})
    provisioner = default_provisioner(vtctld)
    assert isinstance(provisioner, ExistingTarget)
    with pytest.raises(TargetNotProvisioned) as err:
        provisioner.ensure(
            {"new": ["-80", "80-"], "new_global": ["0"], "shop_sharded": ["-80", "80-"], "other": ["-80", "80-"]}
        )
    assert err.value.missing == {"new": ["-80", "80-"], "new_global": ["0"]}
    assert err.value.different == {"other": (["0"], ["-80", "80-"])}
    message = str(err.value)
    assert "keyspace new: create it with shards -80, 80-" in message
    assert "keyspace new_global: create it with shard 0" in message
    assert "keyspace other: has shard 0, the plan needs shards -80, 80-" in message
    assert "shop_sharded" not in message
    assert {c[0] for c in vtctld.commands} == {"FindAllShardsInKeyspace"}


def test_without_a_registered_provisioner_an_existing_target_is_already_provisioned(registry):
    vtctld = FakeVtctld({"shop_sharded": ["-80", "80-"], "shop_sharded_global": ["0"]})
    created = default_provisioner(vtctld).ensure({"shop_sharded": ["80-", "-80"], "shop_sharded_global": ["0"]})
    assert created == {"shop_sharded": False, "shop_sharded_global": False}


def test_a_registered_provisioner_is_the_default(registry):
    made = []
    registry.set_provisioner(lambda vtctld: made.append(vtctld) or "the registered one")
    vtctld = FakeVtctld({})
    assert default_provisioner(vtctld) == "the registered one" and made == [vtctld] and vtctld.commands == []
