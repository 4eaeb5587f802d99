"""The trigger form of poc_engagement. Empty fields take their value from the engagement file.

The JSON-schema constraints here (patterns, enums, ranges) make Airflow refuse malformed input when
the run is triggered (HTTP 400, the message shown in the form); the first task then checks the
whole engagement, connections and files included, and fails naming each bad field.
"""

from __future__ import annotations

from airflow.sdk import Param

from pocflow.engagement import ENGAGEMENTS_DIR, SHARDING_MODES

_FROM_FILE = " Leave empty to use the engagement file's value."
_CONN_ID = r"^[A-Za-z0-9_.-]{1,250}$"
_IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


def engagement_files() -> list[str]:
    return sorted(p.name for p in ENGAGEMENTS_DIR.glob("*.yaml"))


def _text(title: str, description: str, section: str, **schema) -> Param:
    return Param(None, type=["null", "string"], title=title, description=description, section=section, **schema)


def engagement_params() -> dict[str, Param]:
    files = engagement_files()
    return {
        "engagement_file": Param(
            "demo-shop.yaml" if "demo-shop.yaml" in files else None, type=["null", "string"], enum=[None, *files],
            title="Engagement file",
            description="An engagement under include/engagements/ holding every field. Fields filled in below "
                        "override it. demo-shop.yaml runs on the local stack (make stack-up).",
            section="Engagement"),
        "engagement_name": _text("Engagement name", "Names the artifact folder and the Vitess workflows: "
                                 "lower-case letters, digits, '-' and '_'." + _FROM_FILE, "Engagement",
                                 pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
        "customer": _text("Customer", _FROM_FILE.strip(), "Engagement", maxLength=200),
        "opt_out_date": _text("Opt-out date", "The last day of the PoC: the review counts the days left and the "
                              "customer's decision is awaited until this day ends." + _FROM_FILE, "Engagement",
                              format="date"),
        "source_connection_id": _text("Source connection", "Airflow connection id of the source MySQL "
                                      "(a read-only account is enough)." + _FROM_FILE, "Source", pattern=_CONN_ID),
        "source_database": _text("Source database", "The schema to bring into Vitess." + _FROM_FILE, "Source",
                                 maxLength=64),
        "source_import_user": _text("Import account", "The MySQL account the import tablet uses; its privileges "
                                    "are checked." + _FROM_FILE, "Source", maxLength=80),
        "source_keyspace": _text("Source keyspace", "The Vitess keyspace whose unmanaged tablet fronts the source; "
                                 "the import reads from it." + _FROM_FILE, "Source", pattern=_IDENT),
        "vtctld_address": _text("vtctld address", "host:port of vtctld's gRPC." + _FROM_FILE, "Target",
                                pattern=r"^[A-Za-z0-9.-]+:[0-9]{1,5}$"),
        "vtgate_connection_id": _text("vtgate connection", "Airflow connection id of vtgate's MySQL port."
                                      + _FROM_FILE, "Target", pattern=_CONN_ID),
        "target_keyspace": _text("Target keyspace", _FROM_FILE.strip(), "Target", pattern=_IDENT),
        "sharding_mode": Param(None, type=["null", "string"], enum=[None, *SHARDING_MODES], title="Sharding",
                               values_display={"auto": "auto: decide from the data size",
                                               "unsharded": "unsharded: one shard",
                                               "sharded": "sharded: the number of shards below"},
                               description="auto decides from the data size and the per-shard target." + _FROM_FILE,
                               section="Sharding"),
        "shard_count": Param(None, type=["null", "integer"], minimum=1, maximum=256, title="Shards",
                             description="Required for 'sharded'." + _FROM_FILE, section="Sharding"),
        "shard_size_target_gb": Param(None, type=["null", "number"], exclusiveMinimum=0, maximum=100_000,
                                      title="Per-shard size (GB)", description=_FROM_FILE.strip(),
                                      section="Sharding"),
        "workload_files": Param(None, type=["null", "array"], items={"type": "string"}, title="Workload files",
                                description="Workload specs (YAML), SQL files or query logs, relative to the "
                                            "project, one per line." + _FROM_FILE + " With none here or in the "
                                            "file, testing uses the SELECTs the source sampled per statement "
                                            "digest (MySQL 8.0.3+ with performance_schema; MariaDB keeps none).",
                                section="Testing"),
        "masked_columns": Param(None, type=["null", "array"], items={"type": "string"}, title="Sensitive columns",
                                description="Columns (name or table.column) whose values validation never shows: "
                                            "differences name the column and its class, the values are masked.",
                                section="Validation"),
        "approve_read_switch": Param(None, type=["null", "string"], enum=[None, "true", "false"],
                                     values_display={"true": "yes: switch reads to Vitess for the tests (reversible)",
                                                     "false": "no: leave traffic alone"},
                                     title="Switch reads for testing",
                                     description="Testing the target through vtgate needs its reads switched "
                                                 "(MoveTables SwitchTraffic for replica and rdonly reads)."
                                                 + _FROM_FILE, section="Testing"),
        "test_duration_seconds": Param(None, type=["null", "number"], minimum=1, maximum=7 * 24 * 3600,
                                       title="Load duration (s)", description="Per side." + _FROM_FILE,
                                       section="Testing"),
        "max_p99_regression_pct": Param(None, type=["null", "number"], minimum=0, maximum=10_000,
                                        title="Allowed p99 regression (%)",
                                        description="The review's performance criterion." + _FROM_FILE,
                                        section="Review"),
        "customer_decision": Param(None, type=["null", "string"], enum=[None, "record", "skip"],
                                   values_display={"record": "record: ask in Airflow after the review",
                                                   "skip": "skip: no decision step"},
                                   title="Customer decision",
                                   description="Ask for the customer's decision in Airflow once the review is done; "
                                               "the run waits until the opt-out date ends." + _FROM_FILE,
                                   section="Review"),
        "artifact_location": _text("Artifact location", "A local folder or s3://bucket/prefix." + _FROM_FILE,
                                   "Results", pattern=r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|[^:]*)$"),
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
