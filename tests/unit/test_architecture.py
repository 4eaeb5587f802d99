"""docs/architecture.md is the newcomer's map: it names every part of plugins/pocflow, and its layers hold.

The layer table of the page is the specification: a module imports from its own layer or lower ones.
"""

import re

from test_import_cycles import PACKAGE, import_graph

DOC = PACKAGE.parents[1] / "docs" / "architecture.md"


def layer_table(text: str) -> dict[str, int]:
    """``where`` -> layer, from the rows of the page's "## Layers" table (``| 2 | `vitess/` | ... |``)."""
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    return {where: int(layer) for layer, where in re.findall(r"^\| (\d) \| `([^`]+)` \|", section, re.M)}


def module_of(where: str) -> str:
    return "pocflow." + where.removesuffix("/").removesuffix(".py").replace("/", ".")


def layer_of(module: str, layers: dict[str, int]) -> int | None:
    for where, layer in layers.items():
        prefix = module_of(where)
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def top_level_parts() -> set[str]:
    """plugins/pocflow's folders (``vitess/``) and top-level modules (``sql.py``), as the page writes them."""
    parts = {p.name + "/" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    return parts


def test_the_page_names_every_part_of_the_package_and_nothing_that_is_gone():
    text = DOC.read_text()
    layers = layer_table(text)
    named = set(layers) | {"local/"}
    assert top_level_parts() - named == set(), "parts of plugins/pocflow missing from docs/architecture.md"
    gone = [where for where in layers if not (PACKAGE / where).exists()]
    assert gone == [], f"docs/architecture.md names parts that no longer exist: {gone}"


def test_the_layer_table_is_read_as_written():
    layers = layer_table("## Layers\n| layer | where |\n|---|---|\n| 0 | `cli.py` | x |\n| 2 | `vitess/` | y |\n")
    assert layers == {"cli.py": 0, "vitess/": 2}
    assert layer_of("pocflow.vitess.movetables", layers) == 2 and layer_of("pocflow.cli", layers) == 0
    assert layer_of("pocflow.sql", layers) is None


def test_imports_go_down_the_layers_never_up():
    layers = layer_table(DOC.read_text())
    upward = []
    for module, targets in import_graph().items():
        if module == "pocflow" or module.startswith("pocflow.local"):
            continue
        own = layer_of(module, layers)
        for target in targets:
            theirs = layer_of(target, layers)
            if own is not None and theirs is not None and theirs < own:
                upward.append(f"{module} (layer {own}) imports {target} (layer {theirs})")
    assert upward == [], "imports that go up a layer of docs/architecture.md:\n" + "\n".join(sorted(upward))
