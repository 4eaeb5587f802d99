"""The product never imports the local rig (pocflow.local): it reaches it only through pocflow.extensions.

Product: every module of plugins/pocflow outside plugins/pocflow/local/, the Airflow plugin and the DAGs.
Every import counts, at the top of a file or inside a function, absolute or relative, and
importlib.import_module / __import__ with a literal name.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
RIG = PLUGINS / "pocflow" / "local"
PRODUCT = sorted(
    [p for p in (PLUGINS / "pocflow").rglob("*.py") if RIG not in p.parents]
    + [PLUGINS / "pocflow_plugin.py"]
    + list((ROOT / "dags").glob("*.py"))
)


def module_name(path: Path, plugins: Path = PLUGINS) -> str:
    """pocflow.stages.provision for plugins/pocflow/stages/provision.py (a package's __init__ is the package)."""
    parts = list(path.relative_to(plugins).with_suffix("").parts) if plugins in path.parents else [path.stem]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, plugins: Path = PLUGINS) -> list[tuple[int, str]]:
    """(line, module) for every import in the file; ``from a import b`` names a.b as well as a."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path, plugins)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y, from .. import y
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(filter(None, [*anchor, base]))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def is_rig(module: str) -> bool:
    return module == "pocflow.local" or module.startswith("pocflow.local.")


def rig_imports(path: Path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name in imported_modules(path) if is_rig(name)]


def test_the_product_is_found():
    names = {module_name(p) for p in PRODUCT}
    assert {
        "pocflow.cli",
        "pocflow.connections",
        "pocflow.stages.provision",
        "pocflow.vitess.vtctldclient",
        "pocflow.extensions",
        "pocflow_plugin",
        "poc_engagement",
    } <= names
    assert not any(n.startswith("pocflow.local") for n in names)


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_product_module_imports_the_local_rig(path):
    assert rig_imports(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "from pocflow.local.stack import Stack",
        "def f():\n    from pocflow.local import import_proof",
        "import pocflow.local.stack.config",
        "from pocflow import local",
        "from . import local",
        "from .local.stack import Stack",
        "import importlib\nimportlib.import_module('pocflow.local.cli')",
    ],
)
def test_every_form_of_import_is_seen(tmp_path, source):
    path = tmp_path / "pocflow" / "cli.py"
    path.parent.mkdir()
    path.write_text(source + "\n")
    assert any(is_rig(name) for _, name in imported_modules(path, plugins=tmp_path))


@pytest.mark.parametrize(
    "source",
    [
        "from pocflow import extensions",
        "from . import locale",
        "from .stages import local",
        "import pocflow.localisation",
    ],
)
def test_other_imports_are_not_mistaken_for_the_rig(tmp_path, source):
    path = tmp_path / "pocflow" / "cli.py"
    path.parent.mkdir()
    path.write_text(source + "\n")
    assert not any(is_rig(name) for _, name in imported_modules(path, plugins=tmp_path))
