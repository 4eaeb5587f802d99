"""The Engagement: one validated description of a PoC that every stage reads.

Built from the DAG's trigger form (flat Params), from a YAML file under include/engagements/
(nested, same fields), or from both (the form names a file and overrides fields). Validation
names every bad field and says what is wrong, before anything touches a database.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pocflow.fields import (
    Account,
    Amount,
    Choice,
    ConnId,
    Context,
    Date,
    Files,
    Flag,
    Form,
    Fraction,
    FreeText,
    HostPort,
    Identifier,
    Keyspace,
    Location,
    Names,
    Number,
    Pattern,
    Whole,
    declare,
    flat_names,
    read,
    unknown,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENGAGEMENTS_DIR = PROJECT_ROOT / "include" / "engagements"
SHARDING_MODES = ("auto", "unsharded", "sharded")
MAX_SHARDS = 256
FORM_SECTIONS = ("Engagement", "Source", "Target", "Sharding", "Testing", "Validation", "Review", "Results")
"""The trigger form's sections, in the order it shows them."""


class EngagementError(ValueError):
    """One or more fields of an engagement are invalid; ``problems`` maps field -> what is wrong."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        lines = [f"  {name}: {message}" for name, message in problems.items()]
        super().__init__("invalid engagement:\n" + "\n".join(lines))


# Every field is declared once below: its flat name (form and files; the attribute's own unless given),
# check, default, help and, when the trigger form shows it, its place there (airflow/params.py).


@dataclass(frozen=True)
class Source:
    connection_id: str = declare(
        ConnId(),
        name="source_connection_id",
        help="Airflow connection id of the source MySQL (a read-only account is enough).",
        form=Form("Source", "Source connection"),
    )
    database: str = declare(
        Identifier("database name"),
        name="source_database",
        help="The schema to bring into Vitess.",
        form=Form("Source", "Source database"),
    )
    import_user: str = declare(
        Account(),
        "",
        name="source_import_user",
        help="The MySQL account the import tablet uses; its privileges are checked.",
        form=Form("Source", "Import account"),
    )
    keyspace: str = declare(
        Keyspace(),
        "",
        name="source_keyspace",
        help="The Vitess keyspace whose unmanaged tablet fronts the source; the import reads from it.",
        form=Form("Source", "Source keyspace"),
    )


@dataclass(frozen=True)
class Target:
    vtctld_address: str = declare(
        HostPort("vtctld's gRPC address"), help="host:port of vtctld's gRPC.", form=Form("Target", "vtctld address")
    )
    vtgate_connection_id: str = declare(
        ConnId(), help="Airflow connection id of vtgate's MySQL port.", form=Form("Target", "vtgate connection")
    )
    keyspace: str = declare(Keyspace("keyspace name"), name="target_keyspace", form=Form("Target", "Target keyspace"))


@dataclass(frozen=True)
class Sharding:
    mode: str = declare(
        Choice(SHARDING_MODES),
        "auto",
        name="sharding_mode",
        help="auto decides from the data size and the per-shard target.",
        form=Form(
            "Sharding",
            "Sharding",
            schema={
                "values_display": {
                    "auto": "auto: decide from the data size",
                    "unsharded": "unsharded: one shard",
                    "sharded": "sharded: the number of shards below",
                }
            },
        ),
    )
    shards: int | None = declare(
        Whole(),
        None,
        name="shard_count",
        help="Required for 'sharded'.",
        form=Form("Sharding", "Shards", schema={"minimum": 1, "maximum": MAX_SHARDS}),
    )
    shard_size_target_gb: float = declare(Amount(100_000, "GB"), 250.0, form=Form("Sharding", "Per-shard size (GB)"))

    def cross_check(self) -> dict[str, str]:
        """The shard count against the mode."""
        mode, shards = self.mode, self.shards
        if shards is None:
            return {"shards": "is required when sharding_mode is 'sharded' (2 or more)"} if mode == "sharded" else {}
        if mode == "sharded" and not 2 <= shards <= MAX_SHARDS:
            return {"shards": f"{shards} shards is impossible for a sharded keyspace: use 2 to {MAX_SHARDS}"}
        if mode == "unsharded" and shards != 1:
            return {"shards": f"an unsharded keyspace has 1 shard, not {shards}"}
        if mode == "auto" and not 1 <= shards <= MAX_SHARDS:
            return {"shards": f"{shards} is outside 1-{MAX_SHARDS}"}
        return {}


@dataclass(frozen=True)
class ValidationSettings:
    max_mismatched_rows: int | None = declare(
        Whole(0, 10**12),
        None,
        help="Stop the engagement run when validation finds more differing rows than this (empty: never stop).",
    )
    float_decimals: int = declare(
        Whole(0, 30), 6, help="FLOAT and DOUBLE values are compared rounded to this many decimals."
    )
    chunk_rows: int = declare(Whole(100, 10_000_000), 10_000, help="Rows per checksum chunk of the comparison.")
    row_count_tolerance: float = declare(
        Fraction(),
        0.01,
        help="Great Expectations' row count check on the target: within this fraction of the source's.",
    )
    hidden_rows_limit: int = declare(
        Whole(0, 1_000_000),
        1_000,
        help="The most differing rows that the normalisation-hidden check re-reads per table; beyond it the report "
        "says the count was capped.",
    )
    rows_per_part: int = declare(
        Whole(0, 10**12),
        2_000_000,
        help="A table with more rows (estimated) than this and a single integer key is validated in key ranges of "
        "about this many rows, each its own task (0: one task per table).",
    )
    masked_columns: tuple[str, ...] = declare(
        Names(),
        (),
        help="Columns (name or table.column) whose values validation never shows: differences name the column "
        "and its class, the values are masked.",
        form=Form("Validation", "Sensitive columns", says_empty=False),
    )


@dataclass(frozen=True)
class TestingSettings:
    approve_read_switch: bool = declare(
        Flag(),
        False,
        help="Testing the target through vtgate needs its reads switched (MoveTables SwitchTraffic for replica "
        "and rdonly reads).",
        form=Form(
            "Testing",
            "Switch reads for testing",
            schema={
                "values_display": {
                    "true": "yes: switch reads to Vitess for the tests (reversible)",
                    "false": "no: leave traffic alone",
                }
            },
        ),
    )
    """Without it the target is not tested; ReverseTraffic switches the reads back."""
    duration_seconds: float | None = declare(
        Number(1, 7 * 24 * 3600),
        None,
        name="test_duration_seconds",
        help="Per side.",
        form=Form("Testing", "Load duration (s)"),
    )
    concurrency: int | None = declare(
        Whole(1, 256),
        None,
        name="test_concurrency",
        help="Workers per side running the workload (empty: the workload's own).",
    )
    target_rate: float | None = declare(
        Number(0, 1_000_000),
        None,
        name="test_target_rate",
        help="Queries per second the load aims at (empty: the workload's own).",
    )


@dataclass(frozen=True)
class Criteria:
    """What the opt-out review holds the results to."""

    max_blockers: int = declare(Whole(0, 10**6), 0, help="Readiness blockers allowed.")
    max_mismatched_rows: int = declare(
        Whole(0, 10**12), 0, name="allowed_mismatched_rows", help="Differing rows allowed by validation."
    )
    max_p99_regression_pct: float = declare(
        Number(0, 10_000),
        20.0,
        help="The review's performance criterion.",
        form=Form("Review", "Allowed p99 regression (%)"),
    )
    p99_regression_floor_ms: float = declare(
        Number(0, 60_000),
        2.0,
        help="A p99 regression counts only when the target is also this much slower in absolute terms.",
    )
    max_unsupported_queries: int = declare(Whole(0, 10**6), 0, help="Queries Vitess cannot run, allowed.")
    max_lag_seconds: float = declare(Number(0, 10**6), 30.0, help="Replication lag allowed at the review.")
    warn_days_left: int = declare(Whole(0, 3650), 14, help="Warn when the opt-out date is this few days away.")


@dataclass(frozen=True)
class ReviewSettings:
    customer_decision: bool = declare(
        Flag(("record",), ("skip",)),
        True,
        help="Ask for the customer's decision in Airflow once the review is done; the run waits until the "
        "opt-out date ends.",
        form=Form(
            "Review",
            "Customer decision",
            schema={
                "values_display": {
                    "record": "record: ask in Airflow after the review",
                    "skip": "skip: no decision step",
                }
            },
        ),
    )
    """The human-in-the-loop step waits without holding a worker slot."""


@dataclass(frozen=True)
class Artifacts:
    location: str = declare(
        Location(),
        "artifacts",
        name="artifact_location",
        help="A local folder or s3://bucket/prefix.",
        form=Form("Results", "Artifact location"),
    )
    """A local folder is relative to the project."""
    aws_conn_id: str = declare(
        ConnId(known=False),
        "aws_default",
        name="artifact_aws_conn_id",
        help="The Airflow AWS connection used for an s3:// location.",
    )

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")


@dataclass(frozen=True)
class Engagement:
    name: str = declare(
        Pattern(
            r"^[a-z0-9][a-z0-9_-]{0,63}$",
            "be 1-64 characters of lower-case letters, digits, '-' and '_' (it names folders and Vitess workflows)",
        ),
        name="engagement_name",
        help="Names the artifact folder and the Vitess workflows: lower-case letters, digits, '-' and '_'.",
        form=Form("Engagement", "Engagement name"),
    )
    customer: str = declare(FreeText(200), form=Form("Engagement", "Customer"))
    # mypy counts every `= declare(...)` as a default; one without a default is a required field, so these may follow
    source: Source  # type: ignore[misc]
    target: Target  # type: ignore[misc]
    opt_out_date: dt.date = declare(
        Date(not_past=True, required_message="is required (the last day of the PoC, YYYY-MM-DD)"),
        help="The last day of the PoC: the review counts the days left and the customer's decision is awaited "
        "until this day ends.",
        form=Form("Engagement", "Opt-out date"),
    )
    sharding: Sharding = field(default_factory=Sharding)
    workloads: tuple[str, ...] = declare(
        Files(PROJECT_ROOT, "workload file"),
        (),
        name="workload_files",
        help="Workload specs (YAML), SQL files or query logs, relative to the project, one per line.",
        form=Form(
            "Testing",
            "Workload files",
            note="With none here or in the file, testing uses the SELECTs the "
            "source sampled per statement digest (MySQL 8.0.3+ with performance_schema; MariaDB keeps none).",
        ),
    )
    artifacts: Artifacts = field(default_factory=Artifacts)
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    testing: TestingSettings = field(default_factory=TestingSettings)
    criteria: Criteria = field(default_factory=Criteria)
    review: ReviewSettings = field(default_factory=ReviewSettings)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["opt_out_date"] = self.opt_out_date.isoformat()
        d["workloads"] = list(self.workloads)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Engagement:
        """Rebuild from :meth:`to_dict` output (already validated)."""
        return cls(
            name=data["name"],
            customer=data["customer"],
            source=Source(**data["source"]),
            target=Target(**data["target"]),
            opt_out_date=dt.date.fromisoformat(data["opt_out_date"]),
            sharding=Sharding(**data["sharding"]),
            workloads=tuple(data.get("workloads") or ()),
            artifacts=Artifacts(**data["artifacts"]),
            validation=ValidationSettings(**data.get("validation", {})),
            testing=TestingSettings(**data.get("testing", {})),
            criteria=Criteria(**data.get("criteria", {})),
            review=ReviewSettings(**data.get("review", {})),
        )

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.opt_out_date - (today or dt.date.today())).days


# --- building and validating ------------------------------------------------------------------

# Flat form field -> nested path. The trigger form uses the flat names; YAML files may use either.
FORM_FIELDS = flat_names(Engagement)
NESTED_TO_FORM = {".".join(path): flat for flat, path in FORM_FIELDS.items()}


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        path = FORM_FIELDS.get(key, (key,))
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return nested


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is not None and value != "":
            out[key] = value
    return out


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a bad date is reported by its field, not by the parser."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_file(path: str | Path) -> dict[str, Any]:
    """An engagement YAML; relative names are looked up under include/engagements/."""
    p = Path(path)
    candidates = [p] if p.is_absolute() else [Path.cwd() / p, ENGAGEMENTS_DIR / p, PROJECT_ROOT / p]
    for candidate in candidates:
        if candidate.is_file():
            try:
                data = yaml.load(candidate.read_text(), Loader=_YamlLoader) or {}
            except yaml.YAMLError as exc:
                where = getattr(exc, "problem_mark", None)
                at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
                raise EngagementError(
                    {"engagement_file": f"{candidate} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}"}
                ) from None
            if not isinstance(data, dict):
                raise EngagementError({"engagement_file": f"{candidate} does not hold a mapping of fields"})
            return _nest(data)
    raise EngagementError({"engagement_file": f"no such file: {path} (looked in {ENGAGEMENTS_DIR})"})


def from_inputs(
    form: dict[str, Any] | None = None,
    *,
    file: str | Path | None = None,
    connection_exists: Callable[[str], bool] | None = None,
    today: dt.date | None = None,
) -> Engagement:
    """Build and validate an engagement from form values and/or a YAML file (form wins)."""
    form = dict(form or {})
    file = file or form.pop("engagement_file", None) or None
    data: dict[str, Any] = load_file(file) if file else {}
    data = _merge(data, _nest({k: v for k, v in form.items() if k != "engagement_file"}))
    return validate(data, connection_exists=connection_exists, today=today)


def unknown_fields(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths in ``data`` that are not engagement fields (typos would otherwise pass silently)."""
    return unknown(Engagement, data, prefix)


def validate(
    data: dict[str, Any], *, connection_exists: Callable[[str], bool] | None = None, today: dt.date | None = None
) -> Engagement:
    """Check every field; raise EngagementError listing each problem by its form field name."""
    problems: dict[str, str] = {}
    for path in unknown_fields(data):
        shown = NESTED_TO_FORM.get(path, path)
        close = difflib.get_close_matches(path.split(".")[-1], [f for f in FORM_FIELDS] + list(NESTED_TO_FORM), n=1)
        hint = f" (did you mean {NESTED_TO_FORM.get(close[0], close[0])}?)" if close else ""
        problems[shown] = (
            f"is not an engagement field{hint}; the fields are listed in include/engagements/demo-shop.yaml"
        )
    engagement, found = read(Engagement, data, Context(today or dt.date.today(), connection_exists=connection_exists))
    for name, message in found.items():
        problems.setdefault(name, message)
    if problems:
        raise EngagementError(problems)
    return engagement
