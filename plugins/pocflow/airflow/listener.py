"""Listener hooks of the pocflow plugin."""

from __future__ import annotations

import logging

from airflow.listeners import hookimpl

log = logging.getLogger(__name__)


def _note(dag_run, state: str) -> None:
    try:
        from pocflow.airflow.run_note import set_note

        set_note(dag_run, state)
    except Exception:  # a note must never break the scheduler
        log.exception("pocflow: could not set the run note of %s", getattr(dag_run, "run_id", "?"))


@hookimpl
def on_dag_run_success(dag_run, msg: str):
    _note(dag_run, "success")


@hookimpl
def on_dag_run_failed(dag_run, msg: str):
    _note(dag_run, "failed")
