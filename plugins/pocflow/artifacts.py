"""Where stage results go: <location>/<engagement>/<run>/<stage>.json, a local folder or S3."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pocflow.engagement import PROJECT_ROOT


def _safe(part: str) -> str:
    """Run ids contain ':' and '+'; keep folder names portable."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", part)


@dataclass(frozen=True)
class ArtifactStore:
    location: str
    engagement: str
    run_id: str
    aws_conn_id: str = "aws_default"
    """For s3:// locations: the Airflow AWS connection (credentials, region, endpoint_url). When
    Airflow does not know it, boto3's own chain (environment, instance profile) applies."""

    @property
    def prefix(self) -> str:
        return f"{_safe(self.engagement)}/{_safe(self.run_id)}"

    def local_path(self, name: str) -> Path:
        """Where ``name`` lies when the location is a local folder."""
        base = Path(self.location)
        base = base if base.is_absolute() else PROJECT_ROOT / base
        return base / self.prefix / name

    def _client(self):
        """An S3 client from the engagement's Airflow AWS connection: inside a task through the task SDK;
        in Airflow's own server processes (the result pages) from the metadata database; otherwise
        boto3's own chain (environment, instance profile)."""
        import boto3  # noqa: PLC0415 - ~0.4 s to import: only for an s3:// location

        try:
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook  # noqa: PLC0415 - inside a task only
            from airflow.sdk import BaseHook  # noqa: PLC0415 - inside a task only

            BaseHook.get_connection(self.aws_conn_id)  # raises when the task SDK has no such connection
            return S3Hook(aws_conn_id=self.aws_conn_id).get_conn()
        except Exception:
            pass
        try:
            from airflow.models.connection import Connection  # noqa: PLC0415 - Airflow's server processes only

            conn = Connection.get_connection_from_secrets(self.aws_conn_id)
        except Exception:
            return boto3.client("s3")
        extra = conn.extra_dejson
        return boto3.client(
            "s3",
            aws_access_key_id=conn.login or None,
            aws_secret_access_key=conn.password or None,
            endpoint_url=extra.get("endpoint_url"),
            region_name=extra.get("region_name"),
        )

    def _s3(self):
        bucket, _, key_prefix = self.location[len("s3://") :].partition("/")
        return self._client(), bucket, "/".join(p for p in (key_prefix.strip("/"), self.prefix) if p)

    def put_text(self, name: str, text: str) -> str:
        if self.location.startswith("s3://"):
            client, bucket, prefix = self._s3()
            client.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=text.encode())
            return f"s3://{bucket}/{prefix}/{name}"
        path = self.local_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)

    def get_text(self, name: str) -> str | None:
        if self.location.startswith("s3://"):
            client, bucket, prefix = self._s3()
            try:
                return client.get_object(Bucket=bucket, Key=f"{prefix}/{name}")["Body"].read().decode()
            except client.exceptions.NoSuchKey:
                return None
        path = self.local_path(name)
        return path.read_text() if path.exists() else None

    def runs_with(self, name: str) -> list[str]:
        """Run ids of this engagement holding ``name``, oldest first (by the file's time)."""
        if self.location.startswith("s3://"):
            client, bucket, prefix = self._s3()
            base = prefix.rsplit("/", 1)[0]
            found = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base + "/"):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith("/" + name):
                        found.append((obj["LastModified"].timestamp(), obj["Key"].split("/")[-2]))
            return [run for _, run in sorted(found)]
        engagement_dir = self.local_path(name).parent.parent
        if not engagement_dir.exists():
            return []
        found = [(p.stat().st_mtime, p.parent.name) for p in engagement_dir.glob(f"*/{name}")]
        return [run for _, run in sorted(found)]

    def for_run(self, run_id: str) -> ArtifactStore:
        return ArtifactStore(self.location, self.engagement, run_id, self.aws_conn_id)

    def put_json(self, stage: str, data: Any) -> str:
        return self.put_text(f"{stage}.json", json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

    def get_json(self, stage: str) -> Any | None:
        text = self.get_text(f"{stage}.json")
        return json.loads(text) if text is not None else None
