"""Thin Airflow wiring over pocflow's stages: operators, the trigger form's Params."""
