"""The Engagement: one validated description of a PoC that every stage reads.

Built from the DAG's trigger form (flat Params), from a YAML file under include/engagements/
(nested, same fields), or from both (the form names a file and overrides fields). Validation
names every bad field and says what is wrong, before anything touches a database.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from pocflow.sql import MAX_IDENTIFIER_LENGTH

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENGAGEMENTS_DIR = PROJECT_ROOT / "include" / "engagements"
SHARDING_MODES = ("auto", "unsharded", "sharded")
MAX_SHARDS = 256
_FORBIDDEN_IN_NAMES = set("`'\";\\\x00")
_KEYSPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ENGAGEMENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


class EngagementError(ValueError):
    """One or more fields of an engagement are invalid; ``problems`` maps field -> what is wrong."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        lines = [f"  {name}: {message}" for name, message in problems.items()]
        super().__init__("invalid engagement:\n" + "\n".join(lines))


@dataclass(frozen=True)
class Source:
    connection_id: str
    database: str
    import_user: str = ""
    """The account the import tablet uses, to have its privileges checked (optional)."""
    keyspace: str = ""
    """The Vitess keyspace whose unmanaged tablet fronts the source: where MoveTables reads from."""


@dataclass(frozen=True)
class Target:
    vtctld_address: str
    vtgate_connection_id: str
    keyspace: str


@dataclass(frozen=True)
class Sharding:
    mode: str = "auto"
    shards: int | None = None
    shard_size_target_gb: float = 250.0


@dataclass(frozen=True)
class ValidationSettings:
    max_mismatched_rows: int | None = None
    """Stop the engagement run when validation finds more differing rows than this (None: never stop)."""
    float_decimals: int = 6
    chunk_rows: int = 10_000
    row_count_tolerance: float = 0.01
    """Great Expectations' row count check on the target: within this fraction of the source's."""
    masked_columns: tuple[str, ...] = ()
    """Columns whose values never appear in validation results and reports (``column`` or ``table.column``)."""


@dataclass(frozen=True)
class TestingSettings:
    approve_read_switch: bool = False
    """Allow the testing stage to switch read traffic to the target (MoveTables SwitchTraffic
    --tablet-types rdonly,replica; reversible with ReverseTraffic). Without it the target is not tested."""
    duration_seconds: float | None = None
    concurrency: int | None = None
    target_rate: float | None = None


@dataclass(frozen=True)
class Criteria:
    """What the opt-out review holds the results to."""
    max_blockers: int = 0
    max_mismatched_rows: int = 0
    max_p99_regression_pct: float = 20.0
    p99_regression_floor_ms: float = 2.0
    """A p99 regression counts only when the target is also this much slower in absolute terms."""
    max_unsupported_queries: int = 0
    max_lag_seconds: float = 30.0
    warn_days_left: int = 14


@dataclass(frozen=True)
class ReviewSettings:
    customer_decision: bool = True
    """Ask for the customer's decision in Airflow after the review (human-in-the-loop step). The run
    waits, without holding a worker slot, until someone answers or the opt-out date ends."""


@dataclass(frozen=True)
class Artifacts:
    location: str = "artifacts"
    """A local folder (relative to the project) or s3://bucket/prefix."""
    aws_conn_id: str = "aws_default"
    """The Airflow AWS connection used for an s3:// location."""

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")


@dataclass(frozen=True)
class Engagement:
    name: str
    customer: str
    source: Source
    target: Target
    opt_out_date: dt.date
    sharding: Sharding = field(default_factory=Sharding)
    workloads: tuple[str, ...] = ()
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
    def from_dict(cls, data: dict[str, Any]) -> "Engagement":
        """Rebuild from :meth:`to_dict` output (already validated)."""
        return cls(name=data["name"], customer=data["customer"], source=Source(**data["source"]),
                   target=Target(**data["target"]), opt_out_date=dt.date.fromisoformat(data["opt_out_date"]),
                   sharding=Sharding(**data["sharding"]), workloads=tuple(data.get("workloads") or ()),
                   artifacts=Artifacts(**data["artifacts"]),
                   validation=ValidationSettings(**data.get("validation", {})),
                   testing=TestingSettings(**data.get("testing", {})), criteria=Criteria(**data.get("criteria", {})),
                   review=ReviewSettings(**data.get("review", {})))

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.opt_out_date - (today or dt.date.today())).days


# --- building and validating ------------------------------------------------------------------

# Flat form field -> nested path. The trigger form uses the flat names; YAML files may use either.
FORM_FIELDS = {
    "engagement_name": ("name",),
    "customer": ("customer",),
    "source_connection_id": ("source", "connection_id"),
    "source_database": ("source", "database"),
    "source_import_user": ("source", "import_user"),
    "source_keyspace": ("source", "keyspace"),
    "vtctld_address": ("target", "vtctld_address"),
    "vtgate_connection_id": ("target", "vtgate_connection_id"),
    "target_keyspace": ("target", "keyspace"),
    "sharding_mode": ("sharding", "mode"),
    "shard_count": ("sharding", "shards"),
    "shard_size_target_gb": ("sharding", "shard_size_target_gb"),
    "opt_out_date": ("opt_out_date",),
    "workload_files": ("workloads",),
    "artifact_location": ("artifacts", "location"),
    "artifact_aws_conn_id": ("artifacts", "aws_conn_id"),
    "max_mismatched_rows": ("validation", "max_mismatched_rows"),
    "float_decimals": ("validation", "float_decimals"),
    "chunk_rows": ("validation", "chunk_rows"),
    "row_count_tolerance": ("validation", "row_count_tolerance"),
    "masked_columns": ("validation", "masked_columns"),
    "approve_read_switch": ("testing", "approve_read_switch"),
    "test_duration_seconds": ("testing", "duration_seconds"),
    "test_concurrency": ("testing", "concurrency"),
    "test_target_rate": ("testing", "target_rate"),
    "max_blockers": ("criteria", "max_blockers"),
    "allowed_mismatched_rows": ("criteria", "max_mismatched_rows"),
    "max_p99_regression_pct": ("criteria", "max_p99_regression_pct"),
    "max_unsupported_queries": ("criteria", "max_unsupported_queries"),
    "max_lag_seconds": ("criteria", "max_lag_seconds"),
    "p99_regression_floor_ms": ("criteria", "p99_regression_floor_ms"),
    "warn_days_left": ("criteria", "warn_days_left"),
    "customer_decision": ("review", "customer_decision"),
}
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
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


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
                raise EngagementError({"engagement_file": f"{candidate} is not valid YAML{at}: "
                                                          f"{getattr(exc, 'problem', None) or exc}"}) from None
            if not isinstance(data, dict):
                raise EngagementError({"engagement_file": f"{candidate} does not hold a mapping of fields"})
            return _nest(data)
    raise EngagementError({"engagement_file": f"no such file: {path} (looked in {ENGAGEMENTS_DIR})"})


def from_inputs(form: dict[str, Any] | None = None, *, file: str | Path | None = None,
                connection_exists: Callable[[str], bool] | None = None,
                today: dt.date | None = None) -> Engagement:
    """Build and validate an engagement from form values and/or a YAML file (form wins)."""
    form = dict(form or {})
    file = file or form.pop("engagement_file", None) or None
    data: dict[str, Any] = load_file(file) if file else {}
    data = _merge(data, _nest({k: v for k, v in form.items() if k != "engagement_file"}))
    return validate(data, connection_exists=connection_exists, today=today)


def _names(raw: Any, path: tuple[str, ...], problem) -> tuple[str, ...]:
    """A list of column names (or ``table.column``), given as a list or as text split at commas and lines."""
    if raw in (None, ""):
        return ()
    if isinstance(raw, str):
        raw = [w.strip() for w in re.split(r"[,\n]", raw) if w.strip()]
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        problem(path, "must be a list of column names (column or table.column)")
        return ()
    return tuple(w.strip() for w in raw)


def _fraction(raw: Any, problem: Callable) -> float:
    if raw in (None, ""):
        return 0.01
    try:
        value = float(raw)
    except (TypeError, ValueError):
        problem(("validation", "row_count_tolerance"), f"{raw!r} is not a number")
        return 0.01
    if not 0 <= value < 1:
        problem(("validation", "row_count_tolerance"), f"{value} must be a fraction from 0 to below 1 (0.01 is 1 %)")
    return value


def unknown_fields(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths in ``data`` that are not engagement fields (typos would otherwise pass silently)."""
    out = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in NESTED_TO_FORM:
            continue
        section = any(k.startswith(path + ".") for k in NESTED_TO_FORM)
        if section and value is None:  # a section whose fields are all commented out
            continue
        if isinstance(value, dict) and any(k.startswith(path + ".") for k in NESTED_TO_FORM):
            out += unknown_fields(value, path + ".")
        else:
            out.append(path)
    return out


def validate(data: dict[str, Any], *, connection_exists: Callable[[str], bool] | None = None,
             today: dt.date | None = None) -> Engagement:
    """Check every field; raise EngagementError listing each problem by its form field name."""
    problems: dict[str, str] = {}
    today = today or dt.date.today()

    def get(*path: str) -> Any:
        node: Any = data
        for part in path:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    def problem(path: tuple[str, ...], message: str) -> None:
        problems.setdefault(NESTED_TO_FORM.get(".".join(path), ".".join(path)), message)

    for path in unknown_fields(data):
        shown = NESTED_TO_FORM.get(path, path)
        close = difflib.get_close_matches(path.split(".")[-1], [f for f in FORM_FIELDS] + list(NESTED_TO_FORM), n=1)
        hint = f" (did you mean {NESTED_TO_FORM.get(close[0], close[0])}?)" if close else ""
        problems[shown] = f"is not an engagement field{hint}; the fields are listed in include/engagements/demo-shop.yaml"

    def text(*path: str, required: bool = True) -> str:
        value = get(*path)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problem(path, "is required")
            return ""
        if not isinstance(value, str):
            problem(path, f"must be text, got {type(value).__name__}")
            return ""
        return value.strip()

    def identifier(path: tuple[str, ...], value: str, what: str) -> None:
        if not value:
            return
        bad = sorted(ch for ch in set(value) if ch in _FORBIDDEN_IN_NAMES)
        if bad:
            shown = ", ".join("NUL" if ch == "\x00" else repr(ch) for ch in bad)
            problem(path, f"{what} {value!r} contains {shown}; quotes, backticks, backslashes and "
                          f"semicolons are not allowed")
        elif len(value) > MAX_IDENTIFIER_LENGTH:
            problem(path, f"{what} is {len(value)} characters; MySQL allows at most {MAX_IDENTIFIER_LENGTH}")
        elif value != value.strip():
            problem(path, f"{what} {value!r} starts or ends with a space")

    name = text("name")
    if name and (not _ENGAGEMENT_NAME.match(name) or len(name) > 64):
        problem(("name",), f"{name!r} must be 1-64 characters of lower-case letters, digits, '-' and '_' "
                           f"(it names folders and Vitess workflows)")
    customer = text("customer")
    if customer and len(customer) > 200:
        problem(("customer",), "is longer than 200 characters")

    source_conn = text("source", "connection_id")
    database = text("source", "database")
    identifier(("source", "database"), database, "database name")
    source_keyspace = text("source", "keyspace", required=False)
    if source_keyspace and not _KEYSPACE.match(source_keyspace):
        problem(("source", "keyspace"), f"{source_keyspace!r} must start with a letter and hold only letters, "
                                        f"digits and '_'")
    import_user = text("source", "import_user", required=False)
    if import_user and (len(import_user) > 80 or set(import_user) & _FORBIDDEN_IN_NAMES):
        problem(("source", "import_user"), f"{import_user!r} is not a MySQL account name")
    vtctld = text("target", "vtctld_address")
    if vtctld and not _HOST_PORT.match(vtctld):
        problem(("target", "vtctld_address"), f"{vtctld!r} must be host:port (vtctld's gRPC address)")
    elif vtctld and not 0 < int(vtctld.rsplit(":", 1)[1]) < 65536:
        problem(("target", "vtctld_address"), f"port in {vtctld!r} is outside 1-65535")
    vtgate_conn = text("target", "vtgate_connection_id")
    keyspace = text("target", "keyspace")
    identifier(("target", "keyspace"), keyspace, "keyspace name")
    if keyspace and NESTED_TO_FORM["target.keyspace"] not in problems and not _KEYSPACE.match(keyspace):
        problem(("target", "keyspace"), f"{keyspace!r} must start with a letter and hold only letters, "
                                        f"digits and '_'")

    for path, conn_id in ((("source", "connection_id"), source_conn),
                          (("target", "vtgate_connection_id"), vtgate_conn)):
        if not conn_id:
            continue
        if not _CONN_ID.match(conn_id):
            problem(path, f"{conn_id!r} is not a valid connection id")
        elif connection_exists is not None and not connection_exists(conn_id):
            problem(path, f"unknown connection id {conn_id!r}: create it in Airflow (Admin > Connections), "
                          f"or set AIRFLOW_CONN_{conn_id.upper()}")

    mode = get("sharding", "mode") or "auto"
    if mode not in SHARDING_MODES:
        problem(("sharding", "mode"), f"{mode!r} is not one of {', '.join(SHARDING_MODES)}")
    shards_raw = get("sharding", "shards")
    shards: int | None = None
    if shards_raw not in (None, ""):
        try:
            shards = int(shards_raw)
            if isinstance(shards_raw, float) and shards_raw != shards:
                raise ValueError
        except (TypeError, ValueError):
            problem(("sharding", "shards"), f"{shards_raw!r} is not a whole number")
    if shards is not None:
        if mode == "sharded" and not 2 <= shards <= MAX_SHARDS:
            problem(("sharding", "shards"), f"{shards} shards is impossible for a sharded keyspace: "
                                            f"use 2 to {MAX_SHARDS}")
        elif mode == "unsharded" and shards != 1:
            problem(("sharding", "shards"), f"an unsharded keyspace has 1 shard, not {shards}")
        elif mode == "auto" and not 1 <= shards <= MAX_SHARDS:
            problem(("sharding", "shards"), f"{shards} is outside 1-{MAX_SHARDS}")
    elif mode == "sharded":
        problem(("sharding", "shards"), "is required when sharding_mode is 'sharded' (2 or more)")
    size_raw = get("sharding", "shard_size_target_gb")
    size = 250.0
    if size_raw not in (None, ""):
        try:
            size = float(size_raw)
            if not 0 < size <= 100_000:
                problem(("sharding", "shard_size_target_gb"), f"{size_raw} must be between 0 and 100000 GB")
        except (TypeError, ValueError):
            problem(("sharding", "shard_size_target_gb"), f"{size_raw!r} is not a number")

    date_raw = get("opt_out_date")
    opt_out = None
    if date_raw in (None, ""):
        problem(("opt_out_date",), "is required (the last day of the PoC, YYYY-MM-DD)")
    else:
        try:
            opt_out = date_raw if isinstance(date_raw, dt.date) else dt.date.fromisoformat(str(date_raw)[:10])
            if isinstance(opt_out, dt.datetime):
                opt_out = opt_out.date()
            if opt_out < today:
                problem(("opt_out_date",), f"{opt_out.isoformat()} is in the past (today is {today.isoformat()})")
        except ValueError:
            problem(("opt_out_date",), f"{date_raw!r} is not a date (YYYY-MM-DD)")

    workloads_raw = get("workloads") or []
    if isinstance(workloads_raw, str):
        workloads_raw = [w.strip() for w in re.split(r"[,\n]", workloads_raw) if w.strip()]
    if not isinstance(workloads_raw, list) or not all(isinstance(w, str) for w in workloads_raw):
        problem(("workloads",), "must be a list of file paths")
        workloads_raw = []
    for w in workloads_raw:
        p = Path(w)
        if not (p if p.is_absolute() else PROJECT_ROOT / p).is_file():
            problem(("workloads",), f"workload file {w!r} does not exist (paths are relative to the project)")
            break

    location = text("artifacts", "location", required=False) or "artifacts"
    aws_conn_id = text("artifacts", "aws_conn_id", required=False) or "aws_default"
    if not _CONN_ID.match(aws_conn_id):
        problem(("artifacts", "aws_conn_id"), f"{aws_conn_id!r} is not a valid connection id")
    if location.startswith("s3://"):
        if not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", location):
            problem(("artifacts", "location"), f"{location!r} is not a valid s3://bucket/prefix")
    elif "://" in location:
        problem(("artifacts", "location"), f"{location!r}: use a local folder or s3://bucket/prefix")

    def whole(path: tuple[str, ...], default: int | None, low: int, high: int) -> int | None:
        raw = get(*path)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
            if isinstance(raw, float) and raw != value:
                raise ValueError
        except (TypeError, ValueError):
            problem(path, f"{raw!r} is not a whole number")
            return default
        if not low <= value <= high:
            problem(path, f"{value} is outside {low}-{high}")
        return value

    validation = ValidationSettings(
        max_mismatched_rows=whole(("validation", "max_mismatched_rows"), None, 0, 10**12),
        float_decimals=whole(("validation", "float_decimals"), 6, 0, 30),
        chunk_rows=whole(("validation", "chunk_rows"), 10_000, 100, 10_000_000),
        row_count_tolerance=_fraction(get("validation", "row_count_tolerance"), problem),
        masked_columns=_names(get("validation", "masked_columns"), ("validation", "masked_columns"), problem))

    def number(path: tuple[str, ...], default: float | None, low: float, high: float) -> float | None:
        raw = get(*path)
        if raw in (None, ""):
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            problem(path, f"{raw!r} is not a number")
            return default
        if not low <= value <= high:
            problem(path, f"{value:g} is outside {low:g}-{high:g}")
        return value

    def flag(path: tuple[str, ...], default: bool, yes: tuple = (), no: tuple = ()) -> bool:
        raw = get(*path)
        if raw in (None, ""):
            return default
        if raw in (True, "true", "yes", *yes):
            return True
        if raw in (False, "false", "no", *no):
            return False
        choices = " or ".join(["true", "false", *yes, *no])
        problem(path, f"{raw!r} is not {choices}")
        return default

    testing = TestingSettings(
        approve_read_switch=flag(("testing", "approve_read_switch"), False),
        duration_seconds=number(("testing", "duration_seconds"), None, 1, 7 * 24 * 3600),
        concurrency=whole(("testing", "concurrency"), None, 1, 256),
        target_rate=number(("testing", "target_rate"), None, 0, 1_000_000))
    criteria = Criteria(
        max_blockers=whole(("criteria", "max_blockers"), 0, 0, 10**6),
        max_mismatched_rows=whole(("criteria", "max_mismatched_rows"), 0, 0, 10**12),
        max_p99_regression_pct=number(("criteria", "max_p99_regression_pct"), 20.0, 0, 10_000),
        p99_regression_floor_ms=number(("criteria", "p99_regression_floor_ms"), 2.0, 0, 60_000),
        max_unsupported_queries=whole(("criteria", "max_unsupported_queries"), 0, 0, 10**6),
        max_lag_seconds=number(("criteria", "max_lag_seconds"), 30.0, 0, 10**6),
        warn_days_left=whole(("criteria", "warn_days_left"), 14, 0, 3650))
    review = ReviewSettings(customer_decision=flag(("review", "customer_decision"), True, ("record",), ("skip",)))

    if problems:
        raise EngagementError(problems)
    return Engagement(
        name=name, customer=customer, source=Source(source_conn, database, import_user, source_keyspace),
        target=Target(vtctld, vtgate_conn, keyspace), opt_out_date=opt_out,
        sharding=Sharding(mode, shards, size), workloads=tuple(workloads_raw), artifacts=Artifacts(location, aws_conn_id),
        validation=validation, testing=testing, criteria=criteria, review=review)
