from pocflow.workload.queries import shape, split_statements


def test_equality_filters_are_attributed_to_their_table_through_aliases():
    s = shape(
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'x' AND o.id IN (1, 2)"
    )
    assert s.tables == ("customers", "orders")
    assert s.equality_columns == {("customers", "email"), ("orders", "id")}
    assert s.join_columns == {(("customers", "id"), ("orders", "customer_id"))}


def test_placeholders_count_as_values():
    assert shape("SELECT * FROM t WHERE a = ?").equality_columns == {("t", "a")}


def test_ddl_and_garbage_are_ignored():
    assert shape("CREATE TRIGGER x BEFORE UPDATE ON t FOR EACH ROW SET NEW.a = 1") is None
    assert shape("SELEKT nothing") is None


def test_statements_of_a_file_are_split():
    assert len(split_statements("-- c\nSELECT 1;\n/* x */ SELECT 2;\n")) == 2
