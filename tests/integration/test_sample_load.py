import pytest

from pocflow.connections import connect
from pocflow.local.sample.generate import LOAD_ORDER
from pocflow.local.sample.load import current_counts, load

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def scratch(stack, source_admin):
    """A database of its own, so these tests do not disturb the shared sample."""
    endpoint = source_admin.with_database("sample_check")
    with connect(source_admin) as conn, conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS sample_check")
        cur.execute("CREATE DATABASE sample_check DEFAULT CHARACTER SET utf8mb4")
    yield endpoint
    with connect(source_admin) as conn, conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS sample_check")


def test_load_creates_every_table_with_the_generated_rows(stack, scratch):
    result = load(
        scratch,
        scale="tiny",
        seed=99,
        data_dir=stack.config.state_dir / "sample-data",
        force=True,
        progress=lambda m: None,
    )
    assert not result.skipped and set(result.rows) == set(LOAD_ORDER)
    assert current_counts(scratch) == result.rows


def test_a_second_load_of_the_same_data_is_skipped(stack, scratch):
    load(scratch, scale="tiny", seed=99, data_dir=stack.config.state_dir / "sample-data", progress=lambda m: None)
    again = load(
        scratch, scale="tiny", seed=99, data_dir=stack.config.state_dir / "sample-data", progress=lambda m: None
    )
    assert again.skipped


def query(endpoint, sql, args=()):
    with connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute(sql, args or None)
        return cur.fetchall()


def test_values_that_break_migrations_arrive_intact(stack, scratch):
    load(scratch, scale="tiny", seed=99, data_dir=stack.config.state_dir / "sample-data", progress=lambda m: None)
    emoji = query(scratch, "SELECT COUNT(*) FROM customers WHERE full_name REGEXP '[\\\\x{1F300}-\\\\x{1FAFF}]'")
    assert emoji[0][0] > 0
    ((charset,),) = query(
        scratch,
        "SELECT character_set_name FROM information_schema.columns WHERE "
        "table_schema = 'sample_check' AND table_name = 'customers' AND column_name = 'legacy_code'",
    )
    assert charset == "latin1"
    assert (
        query(scratch, "SELECT COUNT(*) FROM customers WHERE legacy_code LIKE '%ß' OR legacy_code LIKE '%Ö'")[0][0] > 0
    )
    ((blob_rows, null_blobs),) = query(
        scratch, "SELECT SUM(thumbnail IS NOT NULL), SUM(thumbnail IS NULL) FROM products"
    )
    assert blob_rows > 0 and null_blobs > 0
    assert query(scratch, "SELECT COUNT(*) FROM products WHERE description LIKE %s", ("%\t%",))[0][0] > 0
    assert query(scratch, "SELECT COUNT(*) FROM customers WHERE JSON_VALID(preferences)")[0][0] > 0
    ((paid_at,),) = query(scratch, "SELECT paid_at FROM payments ORDER BY id LIMIT 1")
    assert paid_at.microsecond % 1000 == 0  # TIMESTAMP(3)


def test_schema_objects_exist(scratch):
    assert (
        query(scratch, "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'sample_check'")[0][0]
        == 1
    )
    assert (
        query(scratch, "SELECT COUNT(*) FROM information_schema.views WHERE table_schema = 'sample_check'")[0][0] == 1
    )
    assert (
        query(
            scratch,
            "SELECT COUNT(*) FROM information_schema.referential_constraints WHERE constraint_schema = 'sample_check'",
        )[0][0]
        == 2
    )
    assert (
        query(
            scratch,
            "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'sample_check' "
            "AND table_name = 'events' AND non_unique = 0",
        )[0][0]
        == 0
    )


def test_the_trigger_keeps_inventory_non_negative(scratch):
    with connect(scratch) as conn, conn.cursor() as cur:
        cur.execute("SELECT warehouse_code, product_id FROM inventory LIMIT 1")
        wh, pid = cur.fetchone()
        cur.execute("UPDATE inventory SET on_hand = -5 WHERE warehouse_code = %s AND product_id = %s", (wh, pid))
        cur.execute("SELECT on_hand FROM inventory WHERE warehouse_code = %s AND product_id = %s", (wh, pid))
        assert cur.fetchone()[0] == 0
