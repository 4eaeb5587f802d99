"""Stage results in the browser: the "Stage result" link on every engagement task, and the pages it opens.

The pages are served by a small FastAPI app that the pocflow plugin mounts in Airflow's API server
under /pocflow, behind Airflow's own login (the permission to read the DAG's XComs, where the
stage results are announced). Pages are sent with a sandboxing Content-Security-Policy: a report
read back from a shared bucket cannot run script in Airflow's origin.
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

from pocflow.artifacts import ArtifactStore
from pocflow.engagement import Engagement

URL_PREFIX = "/pocflow"
# Reports are self-contained (inline CSS and SVG): nothing else may load or run.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def result_path(dag_id: str, run_id: str, task_id: str) -> str:
    return f"{URL_PREFIX}/runs/{quote(dag_id, safe='')}/{quote(run_id, safe='')}/{quote(task_id, safe='')}"


class StageResultLink(BaseOperatorLink):
    """From a task to its stage's one-screen summary (the report, for the review and the decision)."""

    name = "Stage result"

    def get_link(self, operator, *, ti_key) -> str:
        return result_path(ti_key.dag_id, ti_key.run_id, ti_key.task_id)


def page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem}"
        "pre{background:#f6f8fa;padding:1rem;border-radius:6px;overflow-x:auto;font-size:12.5px}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def render_result(task_id: str, value: dict | None, engagement: dict | None) -> tuple[str, str]:
    """(media type, content) for a task's result: the report as is, other stages as their summary."""
    # Here, not at the top: DAG files import this module (the link) and every Airflow process loads it
    # (the plugin); the stages, and what they import, only load when a page is asked for.
    from pocflow.stages import STAGES, RunResults

    if not value or not engagement:
        return "text/html", page(task_id, "<p>This task has no result yet.</p>")
    e = Engagement.from_dict(engagement)
    if task_id == "validate_engagement":
        return "text/html", page(f"{e.name}: engagement", f"<pre>{html.escape(json.dumps(value, indent=2))}</pre>")
    store = ArtifactStore(e.artifacts.location, e.name, _run_of(value, e), e.artifacts.aws_conn_id)
    if value.get("stage") in ("opt-out-review", "customer-decision"):
        report = store.get_text("report.html")
        if report is not None:
            return "text/html", report
    stage = value.get("stage")
    result = RunResults(store).get(stage) if stage in STAGES else None
    if result is None:
        return "text/html", page(f"{e.name}: {task_id}", f"<pre>{html.escape(json.dumps(value, indent=2))}</pre>")
    summary = result.summary()
    return "text/html", page(
        f"{e.name}: {stage}",
        f"<p>Stored at {html.escape(value.get('artifact', ''))}</p><pre>{html.escape(summary)}</pre>",
    )


def _run_of(value: dict, e) -> str:
    """The artifact store's run folder, from the artifact location a stage returned."""
    artifact = value.get("artifact") or ""
    parts = artifact.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def create_app():
    # Here, not at the top: DAG files import this module (for the link) and need none of the web framework.
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag
    from airflow.utils.session import create_session
    from fastapi import Depends, FastAPI
    from fastapi.responses import Response

    from pocflow.airflow.xcoms import return_values

    app = FastAPI(title="pocflow stage results")

    @app.get(
        "/runs/{dag_id}/{run_id}/{task_id}",
        dependencies=[Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM))],
    )
    def stage_result(dag_id: str, run_id: str, task_id: str) -> Response:
        with create_session() as session:
            values = return_values(session, dag_id, run_id, [task_id, "validate_engagement"])
        media, content = render_result(task_id, values.get(task_id), values.get("validate_engagement"))
        return Response(content, media_type=media, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    return app
