"""The seven stages of an engagement, in the order they run: the DAG's tasks, the CLI's commands, ``pocflow show``.

A module of its own, outside ``pocflow.stages`` (which imports every stage and what they need): the DAG file
reads this list each time Airflow parses it.
"""

STAGE_ORDER = ("select-database", "provision", "sharding-plan", "import", "validation", "testing", "opt-out-review")
