"""airflow_settings.yaml: the loader's checks and the payloads it hands to `airflow ... import`."""

import json

import pytest

from pocflow.local.airflow.settings import SETTINGS_FILE, SettingsError, connections_payload, load


def test_the_project_settings_load_and_name_the_local_stack_connections():
    settings = load(SETTINGS_FILE)
    assert {c["conn_id"] for c in settings.connections} >= {"pocflow_source", "pocflow_vtgate"}
    payload = connections_payload(settings, lambda cid: "s3cret" if cid == "pocflow_source" else None)
    assert payload["pocflow_source"]["password"] == "s3cret" and payload["pocflow_source"]["port"] == 13306
    assert "password" not in payload["pocflow_vtgate"]
    assert json.loads(payload["pocflow_source"]["extra"])["description"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("nothing: here", "top-level 'airflow:'"),
        ("airflow:\n  connections:\n    - conn_type: mysql\n", "connections[0]: needs conn_id"),
        (
            "airflow:\n  connections:\n    - {conn_id: a, conn_type: mysql, conn_hots: x}\n",
            "unknown keys ['conn_hots']",
        ),
        ("airflow:\n  connections:\n    - {conn_id: a, conn_type: mysql, conn_port: abc}\n", "conn_port 'abc'"),
        ("airflow:\n  pools:\n    - {pool_name: p, pool_slot: many}\n", "pools[0]: needs pool_name and a whole"),
        ("airflow:\n  variables:\n    - {variable_name: v}\n", "variables[0]: needs variable_name and variable_value"),
        ("airflow: [", "airflow_settings"),
    ],
)
def test_mistakes_are_named_with_their_place(tmp_path, text, message):
    f = tmp_path / "airflow_settings.yaml"
    f.write_text(text)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(f)
