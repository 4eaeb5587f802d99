"""poc_nightly_validation: every night, validate each active engagement and flag what got worse.

Active: the opt-out date has not passed and the engagement's import workflow exists. One mapped
task per engagement; history and regressions are kept in each engagement's artifact store.
The schedule is POCFLOW_NIGHTLY_SCHEDULE (cron, default 02:00 every day).
"""

import os
from datetime import datetime

from airflow.sdk import dag, get_current_context, task


@dag(
    dag_id="poc_nightly_validation",
    schedule=os.environ.get("POCFLOW_NIGHTLY_SCHEDULE", "0 2 * * *"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,
    max_active_runs=1,
    tags=["pocflow", "nightly"],
    doc_md=__doc__,
)
def poc_nightly_validation():
    @task
    def active_engagements() -> list[dict]:
        from pocflow.nightly import active_engagements as find

        engagements = find()
        print(f"active engagements: {', '.join(e.name for e in engagements) or 'none'}")
        return [e.to_dict() for e in engagements]

    @task
    def validate(engagement: dict) -> dict:
        from pocflow.airflow.hooks import endpoint
        from pocflow.engagement import Engagement
        from pocflow.nightly import validate as run

        ctx = get_current_context()
        report = run(Engagement.from_dict(engagement), f"nightly-{ctx['run_id']}", resolve=endpoint)
        return report.to_dict()

    @task
    def summary(reports: list[dict]) -> list[dict]:
        from pocflow.stages.table import render

        rows = [
            [
                r["engagement"],
                "pass" if r["passed"] else "DIFFERENCES",
                r["mismatched_rows"],
                len(r["regressions"]),
                "; ".join(r["regressions"]) or "-",
            ]
            for r in reports
        ]
        print(
            render(
                ["engagement", "validation", "diff rows", "regressions", "what"], rows or [["none"] * 5], max_width=120
            )
        )
        return list(reports)

    summary(validate.expand(engagement=active_engagements()))


poc_nightly_validation()
