"""Benchmark results: one JSON file per benchmark in bench/results/, rendered into BENCHMARKS.md.

Every figure comes from the one protocol (bench/protocol.py): pocflow and its baseline alternated on
the same data in the same run, the median and the spread (min-max) of each side kept. These machines
are shared and noisy, so absolute times alone mean little; the ratio of medians is the headline.

Each result carries the id of the ``make bench`` invocation that measured it and whether that run was
partial (``--only`` or ``--quick``); BENCHMARKS.md says when the rows come from more than one run or
from a partial one. Files written before the protocol (no ``repetitions``) still load: their rows are
marked "best-of, not alternated".
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from bench.protocol import ORDER, Comparison, show
from pocflow.engagement import ValidationSettings
from pocflow.stages.validation_parts import AIRFLOW_MAX_MAP_LENGTH, key_ranges

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
LEGACY = "best-of, not alternated"


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def code_revision(repo: Path = BENCHMARKS_MD.parent) -> str:
    """The commit the measured code is at ("abc1234", "+ local changes" when the work tree differs from
    it, outside bench/results and BENCHMARKS.md), or "" outside a git checkout."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short=10", "HEAD")
    if not head:
        return ""
    changed = git("status", "--porcelain", "--", ".", ":(exclude)bench/results", ":(exclude)BENCHMARKS.md")
    return f"{head} + local changes" if changed else head


@dataclass
class RunInfo:
    """The ``make bench`` invocation results are being measured in (bench/run.py sets it)."""

    id: str = field(default_factory=new_run_id)
    partial: bool = True
    """A benchmark module run on its own counts as partial; bench.run without --only/--quick is full."""
    scope: str = "one benchmark on its own"
    code: str = field(default_factory=code_revision)
    """The commit measured (code_revision)."""


RUN = RunInfo()


def start_run(*, partial: bool, scope: str) -> RunInfo:
    global RUN
    RUN = RunInfo(partial=partial, scope=scope)
    return RUN


@dataclass
class Result:
    name: str
    """What is measured, e.g. "assessment at scale"."""
    pocflow: str
    baseline: str
    ratio: float
    """How many times better pocflow is than the baseline (higher is better), by ``metric``, from the medians."""
    metric: str
    goal: str
    met: bool
    """The goal holds for the medians and for the worst end of the spreads (bench/protocol.py)."""
    command: str
    details: dict = field(default_factory=dict)
    measured_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    machine: str = field(default_factory=lambda: f"{platform.machine()}, {_cores()} cores")
    repetitions: int | None = None
    """Runs per side under the protocol; None for a result from before it (best-of, not alternated)."""
    pocflow_median: float | None = None
    pocflow_spread: list[float] | None = None
    """[min, max] of pocflow's runs."""
    baseline_median: float | None = None
    baseline_spread: list[float] | None = None
    unit: str = "s"
    """The unit of the medians and spreads (seconds unless the comparison is on a figure such as q/s)."""
    run_id: str = field(default_factory=lambda: RUN.id)
    partial: bool = field(default_factory=lambda: RUN.partial)
    scope: str = field(default_factory=lambda: RUN.scope)
    code: str = field(default_factory=lambda: RUN.code)
    """The commit the measured code was at ("" for results from before it was recorded)."""
    replaces: str = ""
    """Set when saved over another run's result: which run's figures this one replaced."""

    def save(self, folder: Path | None = None) -> Path:
        folder = folder or RESULTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name.replace(' ', '_')}.json"
        if path.exists() and not self.replaces:
            earlier = _load(path)
            if earlier.run_id != self.run_id:
                self.replaces = f"{earlier.label()} of {earlier.measured_at}" + (
                    f" (which replaced {earlier.replaces})" if earlier.replaces else ""
                )
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @property
    def protocol(self) -> bool:
        return self.repetitions is not None

    def label(self) -> str:
        if not self.protocol:
            return f"figures from before the one protocol ({LEGACY})"
        return f"{'partial' if self.partial else 'full'} run {self.run_id}"

    def spreads(self) -> tuple[str, str]:
        """pocflow's and the baseline's "median unit (min-max, n=N)", or "" for a result from before the protocol."""
        if not self.protocol:
            return "", ""
        return tuple(  # type: ignore[return-value]
            _show(median, spread, self.unit, self.repetitions or 0)
            for median, spread in (
                (self.pocflow_median, self.pocflow_spread),
                (self.baseline_median, self.baseline_spread),
            )
        )

    def line(self) -> str:
        ours, theirs = self.spreads()
        return (
            f"{self.name}: pocflow {ours or self.pocflow}; baseline {theirs or self.baseline}; ratio {self.ratio:.2f}x "
            f"({self.metric}); goal {self.goal}: {'met' if self.met else 'NOT met'}"
        )


def measured(c: Comparison, unit: str = "s") -> dict:
    """The protocol's fields of a Result, from a comparison: repetitions, medians and spreads."""
    return {
        "repetitions": c.repetitions,
        "pocflow_median": round(c.pocflow.median, 4),
        "pocflow_spread": [round(c.pocflow.low, 4), round(c.pocflow.high, 4)],
        "baseline_median": round(c.baseline.median, 4),
        "baseline_spread": [round(c.baseline.low, 4), round(c.baseline.high, 4)],
        "unit": unit,
    }


def _show(median: float | None, spread: list[float] | None, unit: str, n: int) -> str:
    return "" if median is None or not spread else show(median, spread[0], spread[1], n, unit)


def _cores() -> int:
    return os.cpu_count() or 1


# Every benchmark `make bench` runs; listed in BENCHMARKS.md until a result of that name exists.
PENDING = {
    "sample load": "generator + bulk load vs row-by-row INSERTs of the same rows",
    "assessment at scale": "a schema of 10,000 tables",
    "DAG parse time": "airflow dags report, per DAG file",
    "import copy rate": "the import stage vs the same vtctldclient commands by hand (goal: about 1.0x)",
    "validation throughput": "our comparison vs VDiff vs one full scan per side, on 10M imported rows "
    "(goal: within 1.25x of the scan floor, at least 3x faster than VDiff)",
    "drift location": "time to locate k = 1, 100, 10,000 differing rows in that table",
    "mapped validation": "that table's validation as mapped Airflow tasks (LocalExecutor, parallelism 2) vs one "
    "task (goal: at least as fast)",
    "load generator vs sysbench": "Debian's sysbench 1.0.20, same point-select workload and concurrency "
    "(goal: throughput at least 0.8x, p50/p95/p99 within 20% at the same rate)",
    "orchestration overhead": "a whole demo engagement's wall time minus time inside the databases and Vitess",
}


def _load(path: Path) -> Result:
    data = json.loads(path.read_text())
    # a file from before run ids: not from the current run, and not marked partial
    data.setdefault("run_id", "")
    data.setdefault("partial", False)
    data.setdefault("scope", "")
    data.setdefault("code", "")  # from before results named their commit: unknown, not today's
    known = {f.name for f in fields(Result)}
    return Result(**{k: v for k, v in data.items() if k in known})


def load_all(folder: Path = RESULTS_DIR) -> list[Result]:
    return [_load(p) for p in sorted(folder.glob("*.json"))]


def provenance(results: list[Result]) -> list[str]:
    """Which run(s) the rows come from, and a warning whenever that is not one full run under the protocol."""
    if not results:
        return []
    by_run: dict[str, list[Result]] = {}
    for r in results:
        by_run.setdefault(r.label(), []).append(r)
    if len(by_run) == 1 and results[0].protocol and not results[0].partial:
        resumed = f" ({results[0].scope})" if results[0].scope not in ("", "full") else ""
        return [f"All rows come from one full run, {results[0].run_id}{resumed}."]
    lines = ["**Not one full run**: these rows come from " + ", ".join(sorted(by_run)) + "."]
    for label, rows in sorted(by_run.items()):
        names = ", ".join(r.name for r in rows)
        first = rows[0]
        if first.protocol and first.partial:
            replaced = sorted({r.replaces for r in rows if r.replaces})
            lines.append(
                f"- Figures from {label} ({first.scope}) "
                + (f"replace {'; '.join(replaced)} for: {names}." if replaced else f"for: {names}.")
            )
        elif first.protocol:
            scope = f" ({first.scope})" if first.scope not in ("", "full") else ""
            lines.append(f"- Figures from {label}{scope} for: {names}.")
        else:
            lines.append(f"- {label[0].upper()}{label[1:]} for: {names}.")
    return lines


def render(results: list[Result]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "One protocol for every benchmark (`bench/protocol.py`): pocflow and its baseline alternated on the "
        f"same data in the same run ({ORDER}), the same number of runs each, each run timed around the same "
        "work on both sides. Each side shows its median and spread: median (min-max, n=runs per side). The "
        "ratio is of the medians, higher is better for pocflow; a goal is met only when it holds for the "
        "medians and for the worst end of the spreads. A row whose run column says "
        f'"protocol: {LEGACY}" was measured before this protocol and does not meet that bar.',
        "`make bench` regenerates this page from `bench/results/*.json` (`make bench QUICK=1` for a smaller, "
        "partial run).",
        "",
        *provenance(results),
        "",
        "| benchmark | pocflow | baseline (same run) | ratio of medians | goal | met | run | reproduce |",
        "|---|---|---|---:|---|---|---|---|",
    ]
    for r in results:
        ours, theirs = r.spreads()
        run = (
            f"{r.run_id}{' (partial)' if r.partial else ''}, n={r.repetitions}" if r.protocol else f"protocol: {LEGACY}"
        )
        lines.append(
            f"| {r.name} | {_cell(ours, r.pocflow)} | {_cell(theirs, r.baseline)} | {r.ratio:.2f}x ({r.metric}) | "
            f"{r.goal} | {'yes' if r.met else '**no**'} | {run} | `{r.command}` |"
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
    lines += ["", *scale_out(1_000_000_000)]
    if results:
        when = sorted(r.measured_at for r in results)
        machines = ", ".join(sorted({r.machine for r in results}))
        codes = sorted({r.code for r in results if r.code})
        at = f", code at {' and '.join(f'`{c}`' for c in codes)}" if codes else ""
        unrecorded = [r.name for r in results if not r.code]
        if codes and unrecorded:
            at += f" (the rows measured before results named their commit do not say theirs: {', '.join(unrecorded)})"
        lines += ["", f"Measured on {machines}, {when[0]} to {when[-1]}{at}."]
    return "\n".join(lines).rstrip() + "\n"


def scale_out(rows: int, workers: int = 2, slots_per_worker: int = 4) -> list[str]:
    """How validation divides a table of ``rows`` rows (integer key 1..rows) into mapped Airflow tasks, at the
    default ``validation.rows_per_part``: computed by the planner itself (stages/validation_parts.key_ranges),
    with the point past which Airflow's default map limit makes the plan batch the parts."""
    per_part = ValidationSettings().rows_per_part
    ranges = key_ranges(1, rows, -(-rows // per_part))
    tasks = len(ranges) + 1  # the ranges and the table's checks
    slots = workers * slots_per_worker
    limit = AIRFLOW_MAX_MAP_LENGTH
    batched_past = (limit - 1) * per_part  # a single table's ranges plus its checks part fill the limit

    def shown(bounds: tuple[int | None, int | None]) -> str:
        after, through = bounds
        return f"{'-inf' if after is None else f'{after:,}'} < key <= {'+inf' if through is None else f'{through:,}'}"

    examples = [*ranges[:2], ranges[-1]] if len(ranges) > 2 else ranges
    return [
        f"## Validation of a {rows:,}-row table as mapped tasks",
        "",
        f"At the default `validation.rows_per_part` ({per_part:,}), `validation_plan` cuts a table of {rows:,} rows "
        f"with an integer key into {len(ranges):,} key ranges of about {-(-rows // len(ranges)):,} rows, one "
        f"`validate_part` task each (e.g. {'; '.join(shown(b) for b in examples)}), plus one task for the table's "
        f"checks (schema, whole-table aggregates, Great Expectations); the first and last ranges are "
        f"open, so rows written outside the key span since planning are compared too. With the compose file's "
        f"celery profile ({workers} workers x {slots_per_worker} slots) that is {-(-tasks // slots):,} waves "
        f"of {slots} tasks; `validation` merges the parts into one `validation.json`.",
        "",
        f"Airflow maps at most `core.max_map_length` tasks from one task's output ({limit:,} by default). Past "
        f"that (one table of more than about {batched_past:,} rows at the default `rows_per_part`, or a schema "
        f"planned into more than {limit:,} parts), `validation_plan` deals the parts into {limit:,} tasks in turn "
        f"and each task validates its parts one after the other; the merge is the same.",
    ]


def _cell(spread: str, text: str) -> str:
    return f"**{spread}**: {text}" if spread else text


def write_markdown(folder: Path | None = None, target: Path | None = None) -> Path:
    target = target or BENCHMARKS_MD
    target.write_text(render(load_all(folder or RESULTS_DIR)))
    return target
