"""Benchmark results: one JSON file per benchmark in bench/results/, rendered into BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run on the same data: these
machines are shared and noisy, so absolute times alone mean little.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


@dataclass
class Result:
    name: str
    """What is measured, e.g. "assessment at scale"."""
    pocflow: str
    baseline: str
    ratio: float
    """How many times better pocflow is than the baseline (higher is better), by ``metric``."""
    metric: str
    goal: str
    met: bool
    command: str
    details: dict = field(default_factory=dict)
    measured_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    machine: str = field(default_factory=lambda: f"{platform.machine()}, {_cores()} cores")

    def save(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{self.name.replace(' ', '_')}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    def line(self) -> str:
        return (
            f"{self.name}: pocflow {self.pocflow}; baseline {self.baseline}; ratio {self.ratio:.2f}x "
            f"({self.metric}); goal {self.goal}: {'met' if self.met else 'NOT met'}"
        )


def _cores() -> int:
    import os

    return os.cpu_count() or 1


# Every benchmark `make bench` runs; listed in BENCHMARKS.md until a result of that name exists.
PENDING = {
    "sample load": "generator + bulk load vs row-by-row INSERTs",
    "assessment at scale": "a schema of 10,000 tables",
    "DAG parse time": "airflow dags report, per DAG file",
    "import copy rate": "the import stage vs the same vtctldclient commands by hand (goal: about 1.0x)",
    "validation throughput": "our comparison vs VDiff vs one full scan per side, on 10M imported rows "
    "(goal: within 1.5x of the scan floor, at least 2x faster than VDiff)",
    "drift location": "time to locate k = 1, 100, 10,000 differing rows in that table",
    "load generator vs sysbench": "Debian's sysbench 1.0.20, same point-select workload and concurrency "
    "(goal: throughput at least 0.8x, percentiles agree)",
    "orchestration overhead": "a whole demo engagement's wall time minus time inside the databases and Vitess",
}


def load_all(folder: Path = RESULTS_DIR) -> list[Result]:
    return [Result(**json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]


def render(results: list[Result]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Each row is a ratio against a baseline measured in the same run on the same data "
        "(`make bench`; `make bench QUICK=1` for a smaller run). Higher ratios are better for pocflow.",
        "Regenerated from `bench/results/*.json` by every `make bench`.",
        "",
        "| benchmark | pocflow | baseline (same run) | ratio | goal | met | reproduce |",
        "|---|---|---|---:|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.pocflow} | {r.baseline} | {r.ratio:.2f}x ({r.metric}) | {r.goal} | "
            f"{'yes' if r.met else '**no**'} | `{r.command}` |"
        )
    pending = [f"- **{name}**: {what}" for name, what in PENDING.items() if name not in {r.name for r in results}]
    if pending:
        lines += ["", "## Not measured yet", ""] + pending
    short = [r for r in results if not r.met]
    if short:
        lines += ["", "## Where pocflow falls short", ""]
        lines += [f"- **{r.name}** ({r.goal}): {r.details.get('gap') or 'see the note below'}" for r in short]
    notes = [(r.name, r.details.get("note")) for r in results if r.details.get("note")]
    if notes:
        lines += ["", "## Notes", ""] + [f"- **{name}**: {note}" for name, note in notes]
    if results:
        when = sorted(r.measured_at for r in results)
        machines = ", ".join(sorted({r.machine for r in results}))
        lines += ["", f"Measured on {machines}, {when[0]} to {when[-1]}."]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(folder: Path = RESULTS_DIR, target: Path = BENCHMARKS_MD) -> Path:
    target.write_text(render(load_all(folder)))
    return target
