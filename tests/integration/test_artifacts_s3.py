"""Artifacts in S3, against a real S3-compatible server (moto in server mode) over HTTP."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from pocflow.artifacts import ArtifactStore

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "pocflow",
        "AWS_SECRET_ACCESS_KEY": "pocflow-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    deadline = time.monotonic() + 30
    while True:
        try:
            boto3.client("s3").create_bucket(Bucket="poc-artifacts")
            break
        except Exception:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.3)
    yield boto3.client("s3")
    mp.undo()
    server.terminate()
    server.wait(10)


def test_stage_results_and_reports_round_trip_through_s3(s3):
    store = ArtifactStore("s3://poc-artifacts/engagements", "demo-shop", "manual__2026-11-28T10:00:00+00:00")
    uri = store.put_json("validation", {"passed": True, "mismatched_rows": 0})
    assert uri == "s3://poc-artifacts/engagements/demo-shop/manual__2026-11-28T10_00_00_00_00/validation.json"
    assert store.get_json("validation") == {"passed": True, "mismatched_rows": 0}
    store.put_text("report.html", "<html>report</html>")
    body = s3.get_object(
        Bucket="poc-artifacts", Key="engagements/demo-shop/manual__2026-11-28T10_00_00_00_00/report.html"
    )["Body"].read()
    assert body == b"<html>report</html>"
    assert store.get_json("no-such-stage") is None


def test_runs_are_listed_oldest_first(s3):
    first = ArtifactStore("s3://poc-artifacts", "shop", "run-1")
    first.put_json("import", {"n": 1})
    time.sleep(1.1)  # S3 keeps LastModified to the second
    ArtifactStore("s3://poc-artifacts", "shop", "run-2").put_json("import", {"n": 2})
    assert first.runs_with("import.json") == ["run-1", "run-2"]
    assert first.for_run("run-2").get_json("import") == {"n": 2}


def test_an_airflow_aws_connection_carries_credentials_and_endpoint(s3, monkeypatch):
    """No AWS_* variables: only the Airflow connection knows where the S3 server is."""
    import json

    endpoint = s3.meta.endpoint_url
    for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_POCFLOW_S3",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "pocflow",
                "password": "pocflow-secret",
                "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    store = ArtifactStore("s3://poc-artifacts/via-connection", "demo-shop", "r1", aws_conn_id="pocflow_s3")
    assert store.put_json("review", {"recommendation": "proceed"}).startswith("s3://poc-artifacts/via-connection/")
    assert store.get_json("review") == {"recommendation": "proceed"}
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    unreachable = ArtifactStore("s3://poc-artifacts/via-connection", "demo-shop", "r1", aws_conn_id="no_such_conn")
    with pytest.raises((NoCredentialsError, EndpointConnectionError)):
        unreachable.get_json("review")  # unknown to Airflow: boto3's own chain, which aims at AWS itself


def test_airflow_server_processes_read_the_connection_from_the_metadata_database(s3, tmp_path):
    """The result pages run in Airflow's API server, where the task SDK has no connections: the AWS
    connection stored in Airflow's database must still reach the S3 server."""
    import json
    import os

    endpoint = s3.meta.endpoint_url
    ArtifactStore("s3://poc-artifacts/server", "demo-shop", "r9").put_text("report.html", "<p>stored</p>")
    airflow = str(Path(sys.executable).parent / "airflow")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRFLOW_CONN_"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow"), AWS_EC2_METADATA_DISABLED="true")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            airflow,
            "connections",
            "add",
            "pocflow_artifacts",
            "--conn-json",
            json.dumps(
                {
                    "conn_type": "aws",
                    "login": "pocflow",
                    "password": "pocflow-secret",
                    "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
                }
            ),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    probe = (
        "from pocflow.artifacts import ArtifactStore; print(ArtifactStore('s3://poc-artifacts/server', "
        "'demo-shop', 'r9', aws_conn_id='pocflow_artifacts').get_text('report.html'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "<p>stored</p>", out.stderr[-2000:]
