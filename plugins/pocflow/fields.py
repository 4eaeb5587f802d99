"""Settings fields declared once, on the dataclass that holds them.

A field is a dataclass attribute whose default comes from :func:`declare`, together with its flat
name (the trigger form's and the files' name for it), its check, its help text and, when the trigger
form shows it, its :class:`Form`. From these declarations come the flat names (:func:`flat_names`), the
defaults (the dataclass's own), the reading and checking of raw input (:func:`read`) and the form's
JSON schema (:func:`form_fields`). A section (a field whose type is itself a dataclass) may add a
``cross_check()`` for what no single field's check can see.

Adding a field is one declared attribute, and its use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

from pocflow.sql import MAX_IDENTIFIER_LENGTH

_DECLARED = "pocflow.field"


class Invalid(ValueError):
    """A field's raw value is not acceptable; the message says why (the field's name is added by the reader)."""


@dataclass(frozen=True)
class Context:
    """What a check may consult besides the value."""

    today: dt.date = dataclasses.field(default_factory=dt.date.today)
    now: dt.datetime | None = None
    connection_exists: Callable[[str], bool] | None = None


class Check:
    """Reads one field's raw value (form text, YAML scalar or list) into its value, or raises :class:`Invalid`."""

    json_type: ClassVar[str] = "string"
    required_message: str = "is required"
    """What a missing required field reports; a check may set its own per field (see Date)."""

    def missing(self, raw: Any) -> bool:
        """Whether the field was left out (then it takes its default, or is reported when it has none)."""
        return raw in (None, "")

    def read(self, raw: Any, ctx: Context) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """JSON-schema constraints of the form's field, beyond its type."""
        return {}


@dataclass(frozen=True)
class Form:
    """How a field shows in a trigger form."""

    section: str
    title: str
    note: str = ""
    """Form-only text, after the help and what an empty field means."""
    schema: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """JSON schema beyond the check's own (``values_display``; bounds that a section's cross-check owns)."""
    says_empty: bool = True
    """Whether the description says what an empty field means (the form's ``empty`` sentence)."""


@dataclass(frozen=True)
class Declared:
    """What :func:`declare` attaches to a dataclass attribute."""

    check: Check
    name: str | None
    help: str
    form: Form | None


@dataclass(frozen=True)
class Field:
    """One declared field, found from its root dataclass."""

    path: str
    """Dotted, from the root: ``validation.chunk_rows``."""
    name: str
    """The flat name the trigger form, engagement files and problems use: ``chunk_rows``."""
    check: Check
    default: Any
    """The dataclass default; MISSING for a required field."""
    help: str
    form: Form | None

    @property
    def required(self) -> bool:
        return self.default is MISSING

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


def declare(
    check: Check, default: Any = MISSING, *, name: str | None = None, help: str = "", form: Form | None = None
) -> Any:
    """A dataclass field with its check and form (``name`` defaults to the attribute's own; no default: required)."""
    meta = {_DECLARED: Declared(check, name, help, form)}
    if isinstance(default, (list, dict, set)):
        raise TypeError("a declared default must be immutable (a tuple, not a list)")
    return dataclasses.field(default=default, metadata=meta)


@cache
def _sections(cls: type) -> dict[str, type]:
    hints = get_type_hints(cls)
    return {
        f.name: hints[f.name]
        for f in dataclasses.fields(cls)
        if _DECLARED not in f.metadata and dataclasses.is_dataclass(hints[f.name])
    }


@cache
def fields_of(cls: type, prefix: str = "") -> tuple[Field, ...]:
    """Every declared field of ``cls`` and its sections, in declaration order."""
    out: list[Field] = []
    sections = _sections(cls)
    for f in dataclasses.fields(cls):
        if f.name in sections:
            out += fields_of(sections[f.name], f"{prefix}{f.name}.")
            continue
        if _DECLARED not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} is neither declared (fields.declare) nor a section")
        d: Declared = f.metadata[_DECLARED]
        out.append(Field(prefix + f.name, d.name or f.name, d.check, f.default, d.help, d.form))
    if not prefix:
        names = [x.name for x in out]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise TypeError(f"{cls.__name__}: flat names declared twice: {', '.join(twice)}")
    return tuple(out)


def flat_names(cls: type) -> dict[str, tuple[str, ...]]:
    """Flat name -> path, for every declared field."""
    return {f.name: f.parts for f in fields_of(cls)}


def defaults(cls: type) -> dict[str, Any]:
    """Flat name -> default, for every field that has one."""
    return {f.name: f.default for f in fields_of(cls) if not f.required}


def _get(data: Any, parts: Iterable[str]) -> Any:
    node = data
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def read(cls: type, data: dict[str, Any], ctx: Context) -> tuple[Any, dict[str, str]]:
    """``cls`` built from nested raw ``data``, and the problems found (flat name -> what is wrong).

    Every field is read by its check (a missing one takes its default); then each section's
    ``cross_check()`` runs, seeing a field whose own check failed as None. The first problem per field stands."""
    problems: dict[str, str] = {}

    def build(section: type, prefix: str) -> Any:
        values: dict[str, Any] = {}
        sections = _sections(section)
        for f in dataclasses.fields(section):
            if f.name in sections:
                values[f.name] = build(sections[f.name], f"{prefix}{f.name}.")
                continue
            field = _by_path(cls)[prefix + f.name]
            raw = _get(data, field.parts)
            try:
                if field.check.missing(raw):
                    if field.required:
                        raise Invalid(field.check.required_message)
                    values[f.name] = field.default
                else:
                    values[f.name] = field.check.read(raw, ctx)
            except Invalid as exc:
                problems.setdefault(field.name, str(exc))
                values[f.name] = None
        built = section(**values)
        cross_check = getattr(built, "cross_check", None)
        for leaf, message in (cross_check() if cross_check else {}).items():
            problems.setdefault(_by_path(cls)[prefix + leaf].name, message)
        return built

    return build(cls, ""), problems


@cache
def _by_path(cls: type) -> dict[str, Field]:
    return {f.path: f for f in fields_of(cls)}


def unknown(cls: type, data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths in nested ``data`` that are not declared fields (typos would otherwise pass silently)."""
    paths = _by_path(cls)
    out = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in paths:
            continue
        section = any(k.startswith(path + ".") for k in paths)
        if section and value is None:  # a section whose fields are all commented out
            continue
        if isinstance(value, dict) and section:
            out += unknown(cls, value, path + ".")
        else:
            out.append(path)
    return out


def form_fields(
    cls: type, sections: tuple[str, ...], *, with_defaults: bool
) -> list[tuple[Field, Any, dict[str, Any]]]:
    """The fields a trigger form shows, section by section in ``sections``' order, each with its value
    and JSON schema. With ``with_defaults`` a field starts at its default; without, it starts empty (None)."""
    shown = [(f, f.form) for f in fields_of(cls) if f.form is not None]
    unlisted = sorted({form.section for _, form in shown} - set(sections))
    if unlisted:
        raise ValueError(f"form sections not in the form's order: {', '.join(unlisted)}")
    out = []
    for section in sections:
        for f, form in ((f, form) for f, form in shown if form.section == section):
            value = None if not with_defaults or f.required else f.default
            value = list(value) if isinstance(value, tuple) else value
            schema: dict[str, Any] = {"type": f.check.json_type, **f.check.schema()}
            if value is None:
                schema["type"] = ["null", schema["type"]]
                if "enum" in schema:
                    schema["enum"] = [None, *schema["enum"]]
            schema.update(title=form.title, section=form.section, **form.schema)
            out.append((f, value, schema))
    return out


def form_description(field: Field, empty: str) -> str:
    """A form field's description: its help, what an empty field means (``empty``), then the form's note."""
    form = field.form
    assert form is not None, "only a field shown in a form has a form description"
    says_empty = empty if form.says_empty else ""
    note = f" {form.note}" if form.note else ""
    return f"{field.help}{says_empty}{note}".strip()


# --- checks ------------------------------------------------------------------------------------

FORBIDDEN_IN_NAMES = set("`'\";\\\x00")
KEYSPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CONN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


class Text(Check):
    """Text, stripped; a subclass checks it further in :meth:`problem`."""

    def missing(self, raw: Any) -> bool:
        return raw is None or (isinstance(raw, str) and not raw.strip())

    def read(self, raw: Any, ctx: Context) -> str:
        if not isinstance(raw, str):
            raise Invalid(f"must be text, got {type(raw).__name__}")
        value = raw.strip()
        message = self.problem(value, ctx)
        if message:
            raise Invalid(message)
        return value

    def problem(self, value: str, ctx: Context) -> str | None:
        return None


@dataclass(frozen=True)
class FreeText(Text):
    max_length: int

    def problem(self, value: str, ctx: Context) -> str | None:
        return f"is longer than {self.max_length} characters" if len(value) > self.max_length else None

    def schema(self) -> dict[str, Any]:
        return {"maxLength": self.max_length}


@dataclass(frozen=True)
class Identifier(Text):
    """A MySQL identifier (``what`` names it in messages): no quotes, backticks, backslashes, semicolons or NUL."""

    what: str

    def problem(self, value: str, ctx: Context) -> str | None:
        bad = sorted(ch for ch in set(value) if ch in FORBIDDEN_IN_NAMES)
        if bad:
            shown = ", ".join("NUL" if ch == "\x00" else repr(ch) for ch in bad)
            return (
                f"{self.what} {value!r} contains {shown}; quotes, backticks, backslashes and semicolons are not allowed"
            )
        if len(value) > MAX_IDENTIFIER_LENGTH:
            return f"{self.what} is {len(value)} characters; MySQL allows at most {MAX_IDENTIFIER_LENGTH}"
        if value != value.strip():
            return f"{self.what} {value!r} starts or ends with a space"
        return None

    def schema(self) -> dict[str, Any]:
        return {"maxLength": MAX_IDENTIFIER_LENGTH}


@dataclass(frozen=True)
class Keyspace(Text):
    """A Vitess keyspace name: a letter, then letters, digits and '_'. With ``identifier``, first checked as
    a MySQL identifier named that (the target's keyspace is its database)."""

    identifier: str = ""

    def problem(self, value: str, ctx: Context) -> str | None:
        if self.identifier:
            message = Identifier(self.identifier).problem(value, ctx)
            if message:
                return message
        if not KEYSPACE.match(value):
            return f"{value!r} must start with a letter and hold only letters, digits and '_'"
        return None

    def schema(self) -> dict[str, Any]:
        return {"pattern": r"^[A-Za-z][A-Za-z0-9_]{0,63}$"}


@dataclass(frozen=True)
class Account(Text):
    """A MySQL account name."""

    def problem(self, value: str, ctx: Context) -> str | None:
        if len(value) > 80 or set(value) & FORBIDDEN_IN_NAMES:
            return f"{value!r} is not a MySQL account name"
        return None

    def schema(self) -> dict[str, Any]:
        return {"maxLength": 80}


@dataclass(frozen=True)
class ConnId(Text):
    """An Airflow connection id; with ``known``, one that exists (when the context can tell)."""

    known: bool = True

    def problem(self, value: str, ctx: Context) -> str | None:
        if not CONN_ID.match(value):
            return f"{value!r} is not a valid connection id"
        if self.known and ctx.connection_exists is not None and not ctx.connection_exists(value):
            return (
                f"unknown connection id {value!r}: create it in Airflow (Admin > Connections), "
                f"or set AIRFLOW_CONN_{value.upper()}"
            )
        return None

    def schema(self) -> dict[str, Any]:
        return {"pattern": r"^[A-Za-z0-9_.-]{1,250}$"}


@dataclass(frozen=True)
class HostPort(Text):
    what: str

    def problem(self, value: str, ctx: Context) -> str | None:
        if not HOST_PORT.match(value):
            return f"{value!r} must be host:port ({self.what})"
        if not 0 < int(value.rsplit(":", 1)[1]) < 65536:
            return f"port in {value!r} is outside 1-65535"
        return None

    def schema(self) -> dict[str, Any]:
        return {"pattern": r"^[A-Za-z0-9.-]+:[0-9]{1,5}$"}


@dataclass(frozen=True)
class Pattern(Text):
    """Text matching ``pattern``; ``says`` completes the message ``'value' must ...``."""

    pattern: str
    says: str

    def problem(self, value: str, ctx: Context) -> str | None:
        return None if re.match(self.pattern, value) else f"{value!r} must {self.says}"

    def schema(self) -> dict[str, Any]:
        return {"pattern": self.pattern}


@dataclass(frozen=True)
class Choice(Check):
    """One of ``choices`` (anything empty, 0 or false included, takes the default)."""

    choices: tuple[str, ...]

    def missing(self, raw: Any) -> bool:
        return not raw

    def read(self, raw: Any, ctx: Context) -> Any:
        if raw not in self.choices:
            raise Invalid(f"{raw!r} is not one of {', '.join(self.choices)}")
        return raw

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}


@dataclass(frozen=True)
class Whole(Check):
    """A whole number, in [low, high] when both are given (without: a section's cross-check owns the range)."""

    json_type: ClassVar[str] = "integer"
    low: int | None = None
    high: int | None = None

    def __post_init__(self) -> None:
        if (self.low is None) != (self.high is None):
            raise TypeError("a whole number's range has both bounds or none")

    def read(self, raw: Any, ctx: Context) -> int:
        try:
            value = int(raw)
            if isinstance(raw, float) and raw != value:
                raise ValueError
        except (TypeError, ValueError):
            raise Invalid(f"{raw!r} is not a whole number") from None
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            raise Invalid(f"{value} is outside {self.low}-{self.high}")
        return value

    def schema(self) -> dict[str, Any]:
        return {} if self.low is None else {"minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Number(Check):
    """A number in [low, high]."""

    json_type: ClassVar[str] = "number"
    low: float
    high: float

    def read(self, raw: Any, ctx: Context) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{raw!r} is not a number") from None
        if not self.low <= value <= self.high:
            raise Invalid(f"{value:g} is outside {self.low:g}-{self.high:g}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Amount(Check):
    """A number above 0 and up to ``high``, in ``unit``."""

    json_type: ClassVar[str] = "number"
    high: float
    unit: str

    def read(self, raw: Any, ctx: Context) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{raw!r} is not a number") from None
        if not 0 < value <= self.high:
            raise Invalid(f"{raw} must be between 0 and {self.high:g} {self.unit}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"exclusiveMinimum": 0, "maximum": self.high}


@dataclass(frozen=True)
class Fraction(Check):
    """A fraction from 0 to below 1."""

    json_type: ClassVar[str] = "number"

    def read(self, raw: Any, ctx: Context) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Invalid(f"{raw!r} is not a number") from None
        if not 0 <= value < 1:
            raise Invalid(f"{value} must be a fraction from 0 to below 1 (0.01 is 1 %)")
        return value

    def schema(self) -> dict[str, Any]:
        return {"minimum": 0, "exclusiveMaximum": 1}


@dataclass(frozen=True)
class Flag(Check):
    """true or false (also yes or no), or the field's own words for them; a form offers the own words if any."""

    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()

    def read(self, raw: Any, ctx: Context) -> bool:
        if raw in (True, "true", "yes", *self.yes):
            return True
        if raw in (False, "false", "no", *self.no):
            return False
        raise Invalid(f"{raw!r} is not {' or '.join(['true', 'false', *self.yes, *self.no])}")

    def schema(self) -> dict[str, Any]:
        return {"enum": [*self.yes, *self.no] if self.yes or self.no else ["true", "false"]}


def _split(raw: Any) -> Any:
    """Text given for a list: its items split at commas and lines."""
    return [w.strip() for w in re.split(r"[,\n]", raw) if w.strip()] if isinstance(raw, str) else raw


@dataclass(frozen=True)
class Names(Check):
    """Column names (``column`` or ``table.column``), as a list or as text split at commas and lines."""

    json_type: ClassVar[str] = "array"

    def read(self, raw: Any, ctx: Context) -> tuple[str, ...]:
        raw = _split(raw)
        if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
            raise Invalid("must be a list of column names (column or table.column)")
        return tuple(w.strip() for w in raw)

    def schema(self) -> dict[str, Any]:
        return {"items": {"type": "string"}}


@dataclass(frozen=True)
class Files(Check):
    """Existing files (``what`` names one), relative to ``root`` unless absolute, as a list or as text split at
    commas and lines."""

    json_type: ClassVar[str] = "array"
    root: Path
    what: str

    def missing(self, raw: Any) -> bool:
        return not raw

    def read(self, raw: Any, ctx: Context) -> tuple[str, ...]:
        raw = _split(raw)
        if not isinstance(raw, list) or not all(isinstance(w, str) for w in raw):
            raise Invalid("must be a list of file paths")
        for w in raw:
            p = Path(w)
            if not (p if p.is_absolute() else self.root / p).is_file():
                raise Invalid(f"{self.what} {w!r} does not exist (paths are relative to the project)")
        return tuple(raw)

    def schema(self) -> dict[str, Any]:
        return {"items": {"type": "string"}}


@dataclass(frozen=True)
class Date(Check):
    """A date (YYYY-MM-DD); with ``not_past``, today or later."""

    not_past: bool = False
    required_message: str = "is required (YYYY-MM-DD)"

    def read(self, raw: Any, ctx: Context) -> dt.date:
        try:
            value = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw)[:10])
        except ValueError:
            raise Invalid(f"{raw!r} is not a date (YYYY-MM-DD)") from None
        if isinstance(value, dt.datetime):
            value = value.date()
        if self.not_past and value < ctx.today:
            raise Invalid(f"{value.isoformat()} is in the past (today is {ctx.today.isoformat()})")
        return value

    def schema(self) -> dict[str, Any]:
        return {"format": "date"}


@dataclass(frozen=True)
class Location(Text):
    """A local folder or s3://bucket/prefix."""

    def problem(self, value: str, ctx: Context) -> str | None:
        if value.startswith("s3://"):
            if not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", value):
                return f"{value!r} is not a valid s3://bucket/prefix"
        elif "://" in value:
            return f"{value!r}: use a local folder or s3://bucket/prefix"
        return None

    def schema(self) -> dict[str, Any]:
        return {"pattern": r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|[^:]*)$"}
