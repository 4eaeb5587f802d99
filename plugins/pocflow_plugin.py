"""The pocflow Airflow plugin: stage result links and pages, and the run note with the recommendation."""

from airflow.plugins_manager import AirflowPlugin

from pocflow.airflow import listener
from pocflow.airflow.web import URL_PREFIX, StageResultLink, create_app


class PocflowPlugin(AirflowPlugin):
    name = "pocflow"
    operator_extra_links = [StageResultLink()]
    listeners = [listener]
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "pocflow stage results"}]
