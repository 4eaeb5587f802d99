"""A workload's query templates render each generated value as a literal that reads the same in any
sql_mode: the load generator sends the rendered text as it is."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from pocflow.workload.spec import QueryTemplate


def rendered(value) -> str:
    template = QueryTemplate("q", "SELECT * FROM t WHERE v = {v}", params={"v": {"choice": [value]}})
    return template.render(random.Random(1))


@pytest.mark.parametrize(
    "value, literal",
    [
        (None, "NULL"),
        (42, "42"),
        (2.5, "2.5"),
        (b"\x00'", "X'0027'"),
        ("O'Brien", "'O''Brien'"),
        ("C:\\temp", "_utf8mb4 X'433A5C74656D70'"),
        (dt.date(2026, 12, 2), "'2026-12-02'"),
        (dt.datetime(2026, 12, 2, 8, 30), "'2026-12-02 08:30:00'"),
    ],
)
def test_generated_values_become_literals(value, literal):
    assert rendered(value) == f"SELECT * FROM t WHERE v = {literal}"


def test_an_int_param_with_a_template_renders_as_quoted_text():
    template = QueryTemplate(
        "q", "SELECT * FROM t WHERE sku = {sku}", params={"sku": {"int": [7, 7], "template": "SKU-{:04d}"}}
    )
    assert template.render(random.Random(1)) == "SELECT * FROM t WHERE sku = 'SKU-0007'"
