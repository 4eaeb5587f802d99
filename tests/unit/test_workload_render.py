"""A workload's query templates render each generated value as a literal that reads the same in any
sql_mode: the load generator sends the rendered text as it is."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from pocflow.workload.spec import QueryTemplate, WorkloadError, load_workload


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


RENDERER_CASES = [
    QueryTemplate("int", "SELECT c FROM t WHERE id = {id}", params={"id": {"int": [1, 100_000]}}),
    QueryTemplate("int_text", "SELECT c FROM t WHERE id = {id}", params={"id": {"int": ["3", "9"]}}),
    QueryTemplate("sku", "SELECT * FROM t WHERE sku = {sku}", params={"sku": {"int": [1, 99], "template": "S-{:03d}"}}),
    QueryTemplate(
        "two",
        "SELECT * FROM t WHERE a = {a} AND b IN ({b}, {a}) AND c LIKE '%x%'",
        params={"b": {"choice": ["O'Brien", None, 2.5, b"\x01"]}, "a": {"int": [-5, 5]}},
    ),
    QueryTemplate("unused", "SELECT 1", params={"u": {"int": [1, 10]}}),
    QueryTemplate("braces", "SELECT '{{\"k\": 1}}', {v}", params={"v": {"choice": [dt.date(2026, 1, 2)]}}),
    QueryTemplate("spec", "SELECT {v!s:>5}", params={"v": {"int": [1, 9]}}),
    QueryTemplate("none", "SELECT 100% FROM t"),
]


@pytest.mark.parametrize("template", RENDERER_CASES, ids=lambda t: t.name)
def test_a_prepared_renderer_gives_what_render_gives_from_the_same_draws(template):
    by_render, by_renderer = random.Random(7), random.Random(7)
    fast = template.renderer(by_renderer)
    for _ in range(200):
        assert fast() == template.render(by_render)
    assert by_render.random() == by_renderer.random(), "the two drew differently"


def test_a_renderer_names_a_placeholder_without_a_param():
    template = QueryTemplate("q", "SELECT * FROM t WHERE id = {id}")
    with pytest.raises(WorkloadError, match=r"uses \{id\} but has no such param"):
        template.renderer(random.Random(1))


def test_statements_from_sql_files_and_logs_render_unchanged(tmp_path):
    statement = """SELECT * FROM t WHERE doc = '{"a": [1, {"b": 2}]}'"""
    (tmp_path / "q.sql").write_text(statement + ";\n")
    (tmp_path / "general.log").write_text(f"2026-12-03T10:00:00.000000Z\t   12 Query\t{statement}\n")
    templates = load_workload([tmp_path / "q.sql", tmp_path / "general.log"]).queries
    assert [t.render(random.Random(1)) for t in templates] == [statement, statement]
    assert [t.renderer(random.Random(1))() for t in templates] == [statement, statement]
