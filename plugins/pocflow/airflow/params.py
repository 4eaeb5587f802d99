"""The trigger form of poc_engagement. Empty fields take their value from the engagement file.

The form's fields, titles, sections and JSON-schema constraints (patterns, enums, ranges) come from the
engagement's field declarations (pocflow.engagement, pocflow.fields). The constraints make Airflow
refuse malformed input when the run is triggered (HTTP 400, the message shown in the form); the first
task then checks the whole engagement, connections and files included, and fails naming each bad field.
"""

from __future__ import annotations

from airflow.sdk import Param

from pocflow.engagement import ENGAGEMENTS_DIR, FORM_SECTIONS, Engagement
from pocflow.fields import form_description, form_fields

_FROM_FILE = " Leave empty to use the engagement file's value."


def engagement_files() -> list[str]:
    return sorted(p.name for p in ENGAGEMENTS_DIR.glob("*.yaml"))


def declared_params(cls: type, sections: tuple[str, ...], *, with_defaults: bool, empty: str = "") -> dict[str, Param]:
    """A Param per field of ``cls`` declared with a form, section by section (pocflow.fields)."""
    return {
        f.name: Param(value, description=form_description(f, empty), **schema)
        for f, value, schema in form_fields(cls, sections, with_defaults=with_defaults)
    }


def engagement_params() -> dict[str, Param]:
    """The engagement file, then every engagement field declared with a form, empty: the file's value stands."""
    files = engagement_files()
    return {
        "engagement_file": Param(
            "demo-shop.yaml" if "demo-shop.yaml" in files else None,
            type=["null", "string"],
            enum=[None, *files],
            title="Engagement file",
            description="An engagement under include/engagements/ holding every field. Fields filled in below "
            "override it. demo-shop.yaml runs on the local stack (make stack-up).",
            section="Engagement",
        ),
        **declared_params(Engagement, FORM_SECTIONS, with_defaults=False, empty=_FROM_FILE),
    }


def cutover_params() -> dict[str, Param]:
    """The trigger form of poc_cutover: the engagement, then every cutover setting declared with a form, at its
    default."""
    from pocflow.cutover.settings import SECTIONS, CutoverSettings

    names = sorted(p.stem for p in ENGAGEMENTS_DIR.glob("*.yaml"))
    return {
        "engagement": Param(
            "demo-shop" if "demo-shop" in names else None,
            type="string",
            pattern=r"^[a-z0-9][a-z0-9_.-]{0,69}$",
            examples=names,
            title="Engagement",
            description="The engagement whose import is cut over (its latest run with an import). "
            "One under include/engagements/ or one started from the engagement form.",
            section="Cutover",
        ),
        **declared_params(CutoverSettings, SECTIONS, with_defaults=True),
    }
