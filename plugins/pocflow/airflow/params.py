"""The trigger form of poc_engagement. Empty fields take their value from the engagement file."""

from __future__ import annotations

from airflow.sdk import Param

from pocflow.engagement import SHARDING_MODES

_FROM_FILE = " Leave empty to use the engagement file's value."


def engagement_params() -> dict[str, Param]:
    return {
        "engagement_file": Param(
            "demo-shop.yaml", type=["null", "string"], title="Engagement file",
            description="A YAML file under include/engagements/ holding the engagement's fields. "
                        "Fields filled in below override it.", section="Engagement"),
        "engagement_name": Param(None, type=["null", "string"], title="Engagement name",
                                 description="Lower-case letters, digits, '-' and '_'." + _FROM_FILE,
                                 section="Engagement"),
        "customer": Param(None, type=["null", "string"], title="Customer", description=_FROM_FILE.strip(),
                          section="Engagement"),
        "opt_out_date": Param(None, type=["null", "string"], format="date", title="Opt-out date",
                              description="The last day of the PoC." + _FROM_FILE, section="Engagement"),
        "source_connection_id": Param(None, type=["null", "string"], title="Source connection id",
                                      description="Airflow connection of the source MySQL (a read-only account)."
                                                  + _FROM_FILE, section="Source"),
        "source_database": Param(None, type=["null", "string"], title="Source database",
                                 description=_FROM_FILE.strip(), section="Source"),
        "source_import_user": Param(None, type=["null", "string"], title="Import account",
                                    description="The account the import tablet uses; its privileges are checked."
                                                + _FROM_FILE, section="Source"),
        "source_keyspace": Param(None, type=["null", "string"], title="Source keyspace",
                                 description="The Vitess keyspace whose unmanaged tablet fronts the source; the "
                                             "import reads from it." + _FROM_FILE, section="Source"),
        "vtctld_address": Param(None, type=["null", "string"], title="vtctld address",
                                description="host:port of vtctld's gRPC." + _FROM_FILE, section="Target"),
        "vtgate_connection_id": Param(None, type=["null", "string"], title="vtgate connection id",
                                      description=_FROM_FILE.strip(), section="Target"),
        "target_keyspace": Param(None, type=["null", "string"], title="Target keyspace",
                                 description=_FROM_FILE.strip(), section="Target"),
        "sharding_mode": Param(None, type=["null", "string"], enum=[None, *SHARDING_MODES], title="Sharding",
                               description="auto decides from the data size and the per-shard target." + _FROM_FILE,
                               section="Sharding"),
        "shard_count": Param(None, type=["null", "integer"], minimum=1, maximum=256, title="Shards",
                             description="Required for 'sharded'." + _FROM_FILE, section="Sharding"),
        "shard_size_target_gb": Param(None, type=["null", "number"], exclusiveMinimum=0, title="Per-shard size (GB)",
                                      description=_FROM_FILE.strip(), section="Sharding"),
        "workload_files": Param(None, type=["null", "array"], items={"type": "string"}, title="Workload files",
                                description="SQL files of known queries, relative to the project." + _FROM_FILE,
                                section="Testing"),
        "artifact_location": Param(None, type=["null", "string"], title="Artifact location",
                                   description="A local folder or s3://bucket/prefix." + _FROM_FILE,
                                   section="Results"),
    }
