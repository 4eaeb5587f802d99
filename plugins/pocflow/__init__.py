"""pocflow: database proof-of-concept engagements from MySQL into Vitess, run by Apache Airflow."""

__version__ = "0.1.0"
