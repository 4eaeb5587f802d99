"""The source's statement digests as a workload when the engagement names no workload files."""

import random
from types import SimpleNamespace

import pytest
from inventories import shop

from pocflow.engagement import from_inputs
from pocflow.source.inventory import Digest
from pocflow.stages.testing import FROM_DIGESTS, FROM_FILES, choose_workload
from pocflow.stages.testing import TestingResult as StageTestingResult
from pocflow.stages.testing import run as run_testing
from pocflow.workload.digests import digest_workload, skip_reason, statements
from pocflow.workload.spec import WorkloadError


def digest(sample, text="", count=10, name="0123456789abcdef"):
    return Digest(name, text or sample, count, 1.0, count, count, sample)


@pytest.mark.parametrize(
    "sql, reason",
    [
        ("SELECT name, email FROM customers WHERE id = 42", None),
        ("select o.id from orders o join customers c on c.id = o.customer_id where c.email = 'a@b.c'", None),
        ("WITH recent AS (SELECT id FROM orders WHERE id > 10) SELECT * FROM recent JOIN order_lines USING (id)", None),
        ("(SELECT id FROM orders) UNION (SELECT id FROM customers)", None),
        ("SELECT id FROM orders WHERE customer_id = 7 FOR UPDATE", None),
        ("SELECT `a` , `b` FROM `t` WHERE `id` IN (...)", None),  # a digest text
        ("SELECT id FROM t WHERE a IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12...", "truncated by performance_schema"),
        ("INSERT INTO orders (customer_id) VALUES (1)", "not a SELECT (INSERT)"),
        ("UPDATE orders SET status = 'x' WHERE id = 1", "not a SELECT (UPDATE)"),
        ("SHOW TABLES", "not a SELECT (SHOW)"),
        ("SELECT 1", "reads no table"),
        ("SELECT @@gtid_executed", "reads no table"),
        ("SELECT COUNT(*) FROM information_schema.tables", "reads a system schema"),
        ("SELECT * FROM _vt.vreplication", "reads a system schema"),
        ("SELECT * FROM performance_schema.events_statements_summary_by_digest", "reads a system schema"),
        ("SELECT user FROM mysql.user", "reads a system schema"),
        (
            "select /*+ MAX_EXECUTION_TIME(3600000) */ id, email from customers force index (`PRIMARY`) order by id",
            "a Vitess copy or VDiff scan",
        ),
        (
            "select id, email from customers force index (`PRIMARY`) where (id > 100) order by id",
            "a Vitess copy or VDiff scan",
        ),
        ("SELECT `id` , `email` FROM `customers` FORCE INDEX ( PRIMARY ) ORDER BY `id`", "a Vitess copy or VDiff scan"),
        (
            "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('#', `id`, `email`))), 0) FROM `customers` WHERE `id` > 5",
            "a pocflow checksum scan",
        ),
        (
            "SELECT `id`, CAST(CONV(SUBSTRING(SHA2(CONCAT_WS('#', `id`), 256), 1, 15), 16, 10) AS UNSIGNED) FROM `t`",
            "a pocflow checksum scan",
        ),
        (
            "SELECT COUNT ( * ) , `COALESCE` ( SUM ( `CRC32` ( `CONCAT_WS` ( ? , `id` ) ) ) , ? ) FROM `t`",
            "a pocflow checksum scan",
        ),
        ("SELECT COUNT(*) FROM `orders`", "a whole-table count or profile (pocflow's validation reads these)"),
        (
            "SELECT COUNT(*), MIN(`id`), MAX(`id`) FROM `orders`",
            "a whole-table count or profile (pocflow's validation reads these)",
        ),
        ("SELECT COUNT(*) FROM orders WHERE customer_id = 3", None),
        ("SELECT id INTO @last FROM orders ORDER BY id DESC LIMIT 1", "SELECT ... INTO writes"),
        ("", "no statement text"),
    ],
)
def test_only_the_customers_reads_are_workload(sql, reason):
    assert skip_reason(sql) == reason


def test_samples_become_named_weighted_deduplicated_queries():
    found = statements(
        [
            digest("SELECT name FROM customers WHERE id = 42", count=5, name="aaaaaaaa11112222"),
            digest("SELECT name FROM customers WHERE id = 7", count=3, name="bbbbbbbb11112222"),  # same fingerprint
            digest("SELECT * FROM orders WHERE customer_id = 9", count=20, name="cccccccc33334444"),
            digest("SHOW TABLES", count=100, name="dddddddd55556666"),
            digest("", text="SELECT `name` FROM `products` WHERE `id` = ?", count=50, name="eeeeeeee77778888"),
        ]
    )
    assert [(s.name, s.sql, s.count, s.runnable) for s in found] == [
        ("digest-cccccccc", "SELECT * FROM orders WHERE customer_id = 9", 20, True),
        ("digest-aaaaaaaa", "SELECT name FROM customers WHERE id = 42", 8, True),
    ]


def test_digest_texts_stand_in_for_the_sharding_plan_but_are_not_runnable():
    mariadb = [
        digest("", text="SELECT `name` FROM `products` WHERE `id` = ?", count=50, name="eeeeeeee77778888"),
        digest("", text="SELECT `id` FROM `orders` WHERE `customer_id` IN (...)", count=4, name="ffff0000"),
    ]
    assert statements(mariadb) == []
    found = statements(mariadb, runnable_only=False)
    assert [(s.name, s.sql, s.runnable) for s in found] == [
        ("digest-eeeeeeee", "SELECT `name` FROM `products` WHERE `id` = ?", False),
        ("digest-ffff0000", "SELECT `id` FROM `orders` WHERE `customer_id` IN (?)", False),
    ]


def test_a_truncated_sample_falls_back_to_its_digest_text_for_the_plan_only():
    cut = digest("SELECT id FROM orders WHERE id IN (1, 2, 3...", text="SELECT `id` FROM `orders` WHERE `id` IN (...)")
    assert statements([cut]) == []
    assert [s.sql for s in statements([cut], runnable_only=False)] == ["SELECT `id` FROM `orders` WHERE `id` IN (?)"]


def test_a_digest_workload_is_weighted_by_count_and_renders_literal_braces():
    w = digest_workload(
        [
            digest("SELECT id FROM docs WHERE body = '{\"a\": 1}'", count=30, name="1234567890"),
            digest("SELECT id FROM orders WHERE id = 1", count=10, name="abcdefabcdef"),
        ],
        concurrency=8,
        duration_seconds=None,
    )
    assert (w.name, w.concurrency, w.duration_seconds) == ("source digests", 8, 10.0)
    assert [(q.name, q.weight) for q in w.queries] == [("digest-12345678", 30.0), ("digest-abcdefab", 10.0)]
    assert w.queries[0].render(random.Random(1)) == "SELECT id FROM docs WHERE body = '{\"a\": 1}'"


def test_no_usable_digest_says_what_to_do():
    with pytest.raises(WorkloadError) as e:
        digest_workload([digest("", text="SELECT `a` FROM `t` WHERE `id` = ?"), digest("SHOW TABLES")])
    message = str(e.value)
    assert "names no workload files" in message and "workload_files" in message
    assert "1 no sample statement (MariaDB keeps none)" in message and "1 not a SELECT (SHOW)" in message


class FakeContext:
    """Just enough of a StageContext to see what the testing stage asks for, and in which order."""

    def __init__(self, digests, workloads=()):
        self.engagement = SimpleNamespace(
            workloads=tuple(workloads),
            target=SimpleNamespace(keyspace="shop"),
            testing=SimpleNamespace(
                duration_seconds=None, concurrency=None, target_rate=None, approve_read_switch=True
            ),
        )
        inv = shop()
        inv.digests = list(digests)
        self.asked, self.logged = [], []
        self._selected = SimpleNamespace(inventory=inv)

    def earlier(self, stage):
        self.asked.append(stage)
        if stage == "select-database":
            return self._selected
        raise AssertionError(f"the stage asked for {stage!r} before its workload was settled")

    def log(self, message):
        self.logged.append(message)


def test_without_files_or_usable_digests_testing_stops_before_anything_is_switched():
    ctx = FakeContext([digest("", text="SELECT `a` FROM `t` WHERE `id` = ?")])
    result = run_testing(ctx)
    assert (result.reads_switched, ctx.asked) == (False, ["select-database"])
    assert "names no workload files" in result.skipped_reason and "workload_files" in result.skipped_reason
    assert result.summary().startswith("testing skipped: the engagement names no workload files")


def test_without_files_testing_takes_the_source_samples_and_says_so():
    ctx = FakeContext([digest("SELECT name FROM customers WHERE id = 42", count=5, name="aaaaaaaa")])
    workload, source = choose_workload(ctx)
    assert source == FROM_DIGESTS and [q.name for q in workload.queries] == ["digest-aaaaaaaa"]
    assert any("names no workload files" in m and "digest-aaaaaaaa" in m for m in ctx.logged)


def test_with_files_testing_uses_them():
    ctx = FakeContext([], workloads=["include/workloads/shop/workload.yaml"])
    workload, source = choose_workload(ctx)
    assert source == FROM_FILES and workload.queries and ctx.asked == []


def test_an_engagement_may_name_no_workload_files():
    e = from_inputs(
        {
            "engagement_name": "acme-poc",
            "customer": "Acme",
            "source_connection_id": "src",
            "source_database": "shop",
            "vtctld_address": "127.0.0.1:15999",
            "vtgate_connection_id": "gate",
            "target_keyspace": "shop",
            "opt_out_date": "2099-01-31",
        }
    )
    assert e.workloads == ()


def test_testing_results_record_where_their_workload_came_from():
    result = StageTestingResult("shop", True, "", workload_source=FROM_DIGESTS)
    assert StageTestingResult.from_dict(result.to_dict()).workload_source == FROM_DIGESTS
    assert "sampled per statement digest" in result.workload_described()
    stored_before = {k: v for k, v in result.to_dict().items() if k != "workload_source"}
    assert StageTestingResult.from_dict(stored_before).workload_source == FROM_FILES
    assert (
        StageTestingResult.from_dict(
            {**stored_before, "reads_switched": False, "skipped_reason": "not approved"}
        ).workload_source
        == ""
    )


def test_without_files_the_sharding_plan_reads_the_source_samples_weighted_by_count():
    from pocflow.stages.sharding_plan import known_queries

    ctx = FakeContext([])
    shapes = known_queries(
        ctx,
        [
            digest("SELECT * FROM orders WHERE customer_id = 9", count=20, name="cccccccc"),
            digest("", text="SELECT `name` FROM `customers` WHERE `email` = ?", count=7, name="eeeeeeee"),
            digest(
                "select /*+ MAX_EXECUTION_TIME(3600000) */ id from orders force index (`PRIMARY`) order by id",
                count=500,
                name="ffffffff",
            ),
        ],
    )
    assert [(s.tables, sorted(s.equality_columns), s.weight) for s in shapes] == [
        (("orders",), [("orders", "customer_id")], 20),
        (("customers",), [("customers", "email")], 7),
    ]
    assert any("1 sampled statements, 1 digest texts" in m for m in ctx.logged)
