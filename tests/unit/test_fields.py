"""Each field is declared once: the form's Params, the defaults and the checks all come from the declaration."""

import datetime as dt
from dataclasses import dataclass, field

import pytest

from pocflow.airflow.params import cutover_params, declared_params, engagement_params
from pocflow.cutover.settings import CutoverSettings, parse
from pocflow.engagement import FORM_FIELDS, Engagement, EngagementError, from_inputs, validate
from pocflow.fields import (
    Context,
    Form,
    FreeText,
    Invalid,
    Pattern,
    Whole,
    declare,
    defaults,
    fields_of,
    flat_names,
    read,
    unknown,
)

TODAY = dt.date(2026, 11, 28)
GOOD = {
    "engagement_name": "acme-poc",
    "customer": "Acme",
    "source_connection_id": "src",
    "source_database": "shop",
    "vtctld_address": "127.0.0.1:15999",
    "vtgate_connection_id": "gate",
    "target_keyspace": "shop",
    "opt_out_date": "2027-01-31",
}


@dataclass(frozen=True)
class Dial:
    turns: int = declare(
        Whole(1, 9),
        3,
        name="dial_turns",
        help="How far the dial turns.",
        form=Form("Dial", "Turns", note="Odd numbers only when labelled."),
    )
    label: str = declare(FreeText(10), "", help="Printed on the dial.")

    def cross_check(self) -> dict[str, str]:
        return {"label": "a labelled dial turns an odd number of times"} if self.label and self.turns % 2 == 0 else {}


@dataclass(frozen=True)
class Panel:
    """A registry of its own: a required field, a section with a form field, a cross-check."""

    name: str = declare(Pattern(r"^[a-z]+$", "be lower-case letters"), form=Form("Panel", "Name"))
    dial: Dial = field(default_factory=Dial)


def test_a_declared_field_shows_up_in_the_names_defaults_checks_and_form():
    assert flat_names(Panel) == {"name": ("name",), "dial_turns": ("dial", "turns"), "label": ("dial", "label")}
    assert defaults(Panel) == {"dial_turns": 3, "label": ""}
    assert read(Panel, {"name": "p"}, Context()) == (Panel("p", Dial(3, "")), {})
    assert read(Panel, {"name": "p", "dial": {"turns": "12"}}, Context())[1] == {"dial_turns": "12 is outside 1-9"}
    assert read(Panel, {"dial": {"turns": 2, "label": "x"}}, Context())[1] == {
        "name": "is required",
        "label": "a labelled dial turns an odd number of times",
    }
    assert unknown(Panel, {"name": "p", "dial": {"turn": 1}}) == ["dial.turn"]

    empty = declared_params(Panel, ("Panel", "Dial"), with_defaults=False, empty=" Empty: none.")
    assert list(empty) == ["name", "dial_turns"]
    assert empty["dial_turns"].value is None and empty["dial_turns"].schema == {
        "type": ["null", "integer"],
        "minimum": 1,
        "maximum": 9,
        "title": "Turns",
        "section": "Dial",
    }
    assert empty["dial_turns"].description == "How far the dial turns. Empty: none. Odd numbers only when labelled."
    assert empty["name"].schema["pattern"] == "^[a-z]+$"
    at_defaults = declared_params(Panel, ("Panel", "Dial"), with_defaults=True)
    assert at_defaults["dial_turns"].value == 3 and at_defaults["dial_turns"].schema["type"] == "integer"


def test_declarations_that_cannot_work_are_refused():
    @dataclass(frozen=True)
    class Twice:
        a: int = declare(Whole(0, 1), 0, name="same")
        b: int = declare(Whole(0, 1), 0, name="same")

    @dataclass(frozen=True)
    class Undeclared:
        a: int = 0

    with pytest.raises(TypeError, match="declared twice: same"):
        fields_of(Twice)
    with pytest.raises(TypeError, match="neither declared"):
        fields_of(Undeclared)
    with pytest.raises(ValueError, match="not in the form's order: Dial"):
        declared_params(Panel, ("Panel",), with_defaults=False)


def test_the_engagement_form_is_the_declared_form_fields():
    params = engagement_params()
    declared = {f.name: f for f in fields_of(Engagement) if f.form}
    assert set(params) - {"engagement_file"} == set(declared)
    for name, f in declared.items():
        p = params[name]
        assert p.value is None, name  # empty: the engagement file's value stands
        assert (p.schema["title"], p.schema["section"]) == (f.form.title, f.form.section)
        assert p.schema["type"] == ["null", f.check.json_type]
        assert f.help in p.description


def test_the_cutover_form_starts_at_the_declared_defaults():
    params = cutover_params()
    declared = [f for f in fields_of(CutoverSettings) if f.form]
    assert set(params) - {"engagement"} == {f.name for f in declared}
    for f in declared:
        assert params[f.name].value == (list(f.default) if isinstance(f.default, tuple) else f.default), f.name
    assert parse({"engagement": "e"}) == CutoverSettings("e", **defaults(CutoverSettings))


def test_an_engagement_left_at_its_defaults_holds_the_declared_defaults():
    e = from_inputs(GOOD, today=TODAY)
    for f in fields_of(Engagement):
        value = e
        for part in f.parts:
            value = getattr(value, part)
        if not f.required:
            assert value == f.default, f.path


@pytest.mark.parametrize("name", list(FORM_FIELDS))
def test_every_declared_field_is_checked(name):
    with pytest.raises(EngagementError) as err:
        from_inputs({**GOOD, name: {"not": "a value"}}, today=TODAY)
    assert list(err.value.problems) == [name]


def test_the_flat_names_and_the_nested_paths_read_alike():
    flat = {**GOOD, "chunk_rows": 20_000, "allowed_mismatched_rows": 5, "masked_columns": "a, t.b"}
    nested = {
        "name": "acme-poc",
        "customer": "Acme",
        "source": {"connection_id": "src", "database": "shop"},
        "target": {"vtctld_address": "127.0.0.1:15999", "vtgate_connection_id": "gate", "keyspace": "shop"},
        "opt_out_date": "2027-01-31",
        "validation": {"chunk_rows": 20_000, "masked_columns": ["a", "t.b"]},
        "criteria": {"max_mismatched_rows": 5},
    }
    assert from_inputs(flat, today=TODAY) == validate(nested, today=TODAY)


def test_a_whole_number_range_has_both_bounds_or_none():
    assert Whole().read("123456", Context()) == 123456
    assert Whole(1, 9).read(9, Context()) == 9
    with pytest.raises(Invalid, match="outside 1-9"):
        Whole(1, 9).read(10, Context())
    with pytest.raises(TypeError, match="both bounds or none"):
        Whole(1)
    with pytest.raises(TypeError, match="both bounds or none"):
        Whole(high=9)
