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
    return {f.name: Param(value, description=form_description(f, empty), **schema)
            for f, value, schema in form_fields(cls, sections, with_defaults=with_defaults)}


def engagement_params() -> dict[str, Param]:
    """The engagement file, then every engagement field declared with a form, empty: the file's value stands."""
    files = engagement_files()
    return {
        "engagement_file": Param(
            "demo-shop.yaml" if "demo-shop.yaml" in files else None, type=["null", "string"], enum=[None, *files],
            title="Engagement file",
            description="An engagement under include/engagements/ holding every field. Fields filled in below "
                        "override it. demo-shop.yaml runs on the local stack (make stack-up).",
            section="Engagement"),
        **declared_params(Engagement, FORM_SECTIONS, with_defaults=False, empty=_FROM_FILE),
    }


def cutover_params() -> dict[str, Param]:
    """The trigger form of poc_cutover."""
    from pocflow.cutover.settings import CutoverSettings

    d = CutoverSettings(engagement="")
    names = sorted(p.stem for p in ENGAGEMENTS_DIR.glob("*.yaml"))

    def number(default: float, title: str, description: str, section: str, low: float, high: float) -> Param:
        return Param(default, type="number", minimum=low, maximum=high, title=title, description=description,
                     section=section)

    return {
        "engagement": Param("demo-shop" if "demo-shop" in names else None, type="string",
                            pattern=r"^[a-z0-9][a-z0-9_.-]{0,69}$", examples=names, title="Engagement",
                            description="The engagement whose import is cut over (its latest run with an import). "
                                        "One under include/engagements/ or one started from the engagement form.",
                            section="Cutover"),
        "planned_at": Param(None, type=["null", "string"], format="date-time", title="Planned cutover time (UTC)",
                            description="Writes are not switched before this time; the approval request waits "
                                        "for it. Empty: as soon as the reads have soaked.", section="Cutover"),
        "read_soak_minutes": number(d.read_soak_minutes, "Read soak (min)", "How long reads run on Vitess, "
                                    "probed, before the write switch is offered.", "Soak", 0, 7 * 24 * 60),
        "write_soak_minutes": number(d.write_soak_minutes, "Write soak (min)", "How long all traffic runs on "
                                     "Vitess before complete or roll back is asked.", "Soak", 0, 7 * 24 * 60),
        "probe_seconds": number(d.probe_seconds, "Probe length (s)", "Each probe replays the engagement's "
                                "workload this long against the target.", "Soak", 1, 600),
        "probe_interval_seconds": number(d.probe_interval_seconds, "Probe interval (s)", "Time between probes.",
                                         "Soak", 5, 3600),
        "max_error_rate_pct": number(d.max_error_rate_pct, "Max error rate (%)", "Rollback criterion: "
                                     "failed probe queries.", "Rollback criteria", 0, 100),
        "max_p99_ms": number(d.max_p99_ms, "Max p99 (ms)", "Rollback criterion: the slowest query class's p99 "
                             "in a probe.", "Rollback criteria", 1, 600_000),
        "max_lag_seconds": number(d.max_lag_seconds, "Max replication lag (s)", "Pre-check and rollback "
                                  "criterion: lag of the workflow keeping both sides in step.",
                                  "Rollback criteria", 0, 86_400),
        "approval_hours": number(d.approval_hours, "Approval window (h)", "How long each approval request "
                                 "waits; unanswered means nothing more is switched.", "Approvals", 0.01, 24 * 90),
        "keep_source_data": Param(True, type="boolean", title="Keep the source's tables on complete",
                                  description="Complete removes reverse replication and routing rules; the "
                                              "source's tables stay unless this is off.", section="Approvals"),
        "accepted_findings": Param([], type="array", items={"type": "string", "pattern": r"^[a-z0-9-]+:.+$"},
                                   title="Accepted blocker findings",
                                   description="Blocker findings the customer accepts for this cutover, one per "
                                               "line as finding-id:object (e.g. no-unique-not-null-key:events for "
                                               "a table left on the source).", section="Cutover"),
    }
