"""Workloads: the customer's queries, from a spec (YAML), plain SQL files, or a MySQL general/slow log."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pocflow.sql import sql_literal
from pocflow.workload.queries import split_statements


class WorkloadError(ValueError):
    """A workload file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class QueryTemplate:
    name: str
    sql: str
    weight: float = 1.0
    params: dict[str, dict] = field(default_factory=dict)

    def render(self, rng: random.Random) -> str:
        """The SQL with each {param} replaced by a generated value as a literal (pocflow.sql.sql_literal:
        NULL, numbers, dates, binary and text read the same in any sql_mode)."""
        values = {name: sql_literal(_generate(spec, rng)) for name, spec in self.params.items()}
        try:
            return self.sql.format(**values)
        except KeyError as e:
            raise WorkloadError(f"query {self.name!r} uses {{{e.args[0]}}} but has no such param") from None

    def renderer(self, rng: random.Random) -> Callable[[], str]:
        """``render`` bound to ``rng`` and prepared once: the same text from the same draws, at a fraction
        of the cost per call (the load generator renders a query for every one it sends). A template whose
        placeholders carry a conversion or format spec is rendered by ``render`` itself."""
        fields = list(string.Formatter().parse(self.sql))
        names = [name for _, name, _, _ in fields if name is not None]
        if any(spec or conversion for _, name, spec, conversion in fields if name is not None) or any(
            not name.isidentifier() for name in names
        ):
            return lambda: self.render(rng)
        for name in names:
            if name not in self.params:
                raise WorkloadError(f"query {self.name!r} uses {{{name}}} but has no such param")
        generators = [_generator(spec, rng) for spec in self.params.values()]
        if not names:
            plain = "".join(literal for literal, _, _, _ in fields)

            def constant() -> str:
                for draw in generators:  # drawn all the same, as render draws them
                    draw()
                return plain

            return constant
        text = "".join(
            literal.replace("%", "%%") + ("%s" if name is not None else "") for literal, name, _, _ in fields
        )
        if len(generators) == 1 and len(names) == 1:
            (only,) = generators
            return lambda: text % only()
        order = list(self.params)
        positions = [order.index(name) for name in names]

        def rendered() -> str:
            values = [draw() for draw in generators]
            return text % tuple(values[i] for i in positions)

        return rendered


def _generator(spec: dict, rng: random.Random) -> Callable[[], str]:
    """One param's literal from ``rng``: the draw ``_generate`` makes, then ``sql_literal``."""
    if "int" in spec and "template" not in spec:
        low, high = (int(v) for v in spec["int"])
        draw = rng.randrange  # what randint(low, high) calls, one frame less
        return lambda: str(draw(low, high + 1))
    return lambda: sql_literal(_generate(spec, rng))


def _generate(spec: dict, rng: random.Random) -> Any:
    if "int" in spec:
        low, high = spec["int"]
        value = rng.randint(int(low), int(high))
        return spec["template"].format(value) if "template" in spec else value
    if "choice" in spec:
        return rng.choice(spec["choice"])
    raise WorkloadError(f"param generator {spec} needs 'int: [min, max]' or 'choice: [...]'")


@dataclass(frozen=True)
class Workload:
    name: str
    queries: list[QueryTemplate]
    concurrency: int = 4
    target_rate: float = 0.0
    """Queries per second over all workers; 0 runs as fast as possible (no coordinated-omission correction)."""
    duration_seconds: float = 10.0
    slower_factor: float = 2.0
    """A query is 'slower' on the target beyond this factor of the source's latency (and 5 ms)."""

    def pick(self, rng: random.Random) -> QueryTemplate:
        return rng.choices(self.queries, weights=[q.weight for q in self.queries])[0]


def load_spec(path: Path) -> Workload:
    data = yaml.safe_load(path.read_text()) or {}
    queries = []
    for i, q in enumerate(data.get("queries") or []):
        if not isinstance(q, dict) or "sql" not in q:
            raise WorkloadError(f"{path}: query #{i + 1} needs at least 'sql'")
        queries.append(
            QueryTemplate(
                q.get("name") or f"q{i + 1}", q["sql"].strip(), float(q.get("weight", 1)), q.get("params") or {}
            )
        )
    if not queries:
        raise WorkloadError(f"{path}: no queries")
    return Workload(
        data.get("name") or path.stem,
        queries,
        int(data.get("concurrency", 4)),
        float(data.get("target_rate", 0)),
        float(data.get("duration_seconds", 10)),
        float(data.get("slower_factor", 2.0)),
    )


def from_sql_file(path: Path) -> list[QueryTemplate]:
    return [
        QueryTemplate(f"{path.stem}#{i + 1}", _as_template(s))
        for i, s in enumerate(split_statements(path.read_text()))
        if s.lstrip().lower().startswith(("select", "with", "(", "/*"))
    ]


_GENERAL_LOG = re.compile(r"^\s*(?:\S+\s+)?\d+\s+Query\s+(.*)$")


def from_query_log(path: Path) -> list[QueryTemplate]:
    """SELECTs from a MySQL/MariaDB general log ("<id> Query <sql>") or slow log (statements after '# ' headers)."""
    text = path.read_text(errors="replace")
    statements: list[str] = []
    if "# Query_time" in text:
        current: list[str] = []
        for line in text.splitlines():
            if line.startswith("#"):
                if current:
                    statements.append(" ".join(current))
                    current = []
            elif not line.lower().startswith(("set timestamp", "use ")):
                current.append(line.strip())
        if current:
            statements.append(" ".join(current))
    else:
        statements = [m.group(1) for m in map(_GENERAL_LOG.match, text.splitlines()) if m]
    selects = [s.rstrip(";") for s in statements if s.lstrip().lower().startswith("select")]
    return [QueryTemplate(f"{path.stem}#{i + 1}", _as_template(s)) for i, s in enumerate(selects)]


def _as_template(statement: str) -> str:
    """A statement taken as it is (from a .sql file or a query log) as template text: its braces (a JSON
    literal, say) are escaped, so rendering gives the statement back unchanged."""
    return statement.replace("{", "{{").replace("}", "}}")


def load_workload(paths: list[Path], **overrides: Any) -> Workload:
    """One workload from the engagement's files: YAML specs, .sql files, .log files."""
    spec: Workload | None = None
    extra: list[QueryTemplate] = []
    for path in paths:
        if path.suffix in (".yaml", ".yml"):
            loaded = load_spec(path)
            spec = (
                loaded
                if spec is None
                else Workload(
                    spec.name,
                    spec.queries + loaded.queries,
                    spec.concurrency,
                    spec.target_rate,
                    spec.duration_seconds,
                    spec.slower_factor,
                )
            )
        elif path.suffix == ".sql":
            extra += from_sql_file(path)
        else:
            extra += from_query_log(path)
    if spec is None:
        if not extra:
            raise WorkloadError("the engagement names no workload files (workload_files)")
        spec = Workload("queries", [])
    workload = Workload(
        spec.name, spec.queries + extra, spec.concurrency, spec.target_rate, spec.duration_seconds, spec.slower_factor
    )
    return Workload(**{**workload.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
