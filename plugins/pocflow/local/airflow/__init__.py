"""Airflow on this machine: `airflow dags test`, standalone, and airflow_settings.yaml for starts without Astro."""
