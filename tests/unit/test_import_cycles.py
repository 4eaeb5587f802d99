"""No import cycles in pocflow: no module imports, directly or through others, a module that imports it.

The graph is built from the source: ``from pkg import sub`` is an edge to ``pkg.sub``, imports inside
functions count too, imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "pocflow"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING"
    )


def imported(tree: ast.AST, module: str, is_package: bool):
    """The dotted names each import statement of a module names (``pkg.sub`` or ``pkg.sub.attribute``)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if _type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, one level up per extra dot
                package = module.split(".")[: None if is_package else -1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([node.module] if node.module else []))
            yield from (f"{base}.{alias.name}" for alias in node.names)
        todo.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """pocflow's modules, each with the pocflow modules it imports."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        edges = set()
        for name in imported(ast.parse(path.read_text()), module, path.name == "__init__.py"):
            while name and name not in paths:  # pkg.module.attribute -> pkg.module
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> ... -> a) for each import that closes one, found by a depth-first walk."""
    found, state, path = [], {}, []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                found.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target)
        state[module] = "done"
        path.pop()

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_the_graph_sees_imports_in_functions_and_not_those_for_type_checkers():
    graph = import_graph()
    assert "pocflow.stages.context" in graph["pocflow.stages.import_data"]
    assert "pocflow.stages" in graph["pocflow.airflow.operators"]  # inside execute(): DAG-parse cost
    assert "pocflow.stages.context" not in graph["pocflow.stages.registry"]  # under if TYPE_CHECKING:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_imports_itself_back():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def folder(module: str) -> str:
    """The top-level part of pocflow a module belongs to: its sub-package (pocflow.stages), or itself."""
    parts = module.split(".")
    return ".".join(parts[:2]) if (PACKAGE / parts[1]).is_dir() and len(parts) > 1 else module


def test_no_folder_imports_itself_back():
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        if module == "pocflow":
            continue
        edges = graph.setdefault(folder(module), set())
        edges.update(folder(t) for t in targets if folder(t) != folder(module) and t != "pocflow")
    for edges in graph.values():
        edges.intersection_update(graph)
    found = cycles(graph)
    assert not found, "cycles between pocflow's folders:\n" + "\n".join(" -> ".join(cycle) for cycle in found)
