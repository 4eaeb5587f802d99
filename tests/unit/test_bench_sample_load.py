"""The sample-load benchmark's baseline inserts exactly what LOAD DATA loads: every table, the same fields."""

from bench.sample_load import insert_statement, unescape
from pocflow.local.sample.generate import COLUMNS, LOAD_ORDER


def test_fields_are_read_as_load_data_reads_them():
    assert unescape("\\N") is None
    assert unescape("plain") == "plain"
    assert unescape("a\\tb\\nc\\\\d\\0") == "a\tb\nc\\d\0"
    assert unescape("\\\\N") == "\\N"  # an escaped backslash before N is text, not NULL


def test_every_table_gets_an_insert_with_the_loaders_conversions():
    for table in LOAD_ORDER:
        sql = insert_statement(table)
        assert sql.startswith(f"INSERT INTO `{table}` (") and sql.count("%s") == len(COLUMNS[table])
    assert "`thumbnail`" in insert_statement("products") and "UNHEX(NULLIF(%s, ''))" in insert_statement("products")
    assert "@" not in insert_statement("products")
