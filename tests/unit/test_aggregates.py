"""Column aggregates: what is measured per column type, shards combined, differences named."""

from decimal import Decimal

from pocflow.quality import aggregates
from pocflow.quality.diff import DiffSettings
from pocflow.source.inventory import Column, Index, Table


def col(name, data_type, nullable=False):
    return Column(name, 1, data_type, data_type, nullable, None, None, "", False, None)


TABLE = Table(
    "t",
    "InnoDB",
    10,
    0,
    0,
    None,
    None,
    [
        col("id", "bigint"),
        col("price", "decimal"),
        col("w", "float", nullable=True),
        col("note", "varchar", nullable=True),
        col("at", "datetime"),
    ],
    [Index("PRIMARY", True, ("id",), True)],
)


class Shards:
    """A side whose every shard answers with one row of aggregates."""

    name = "target"

    def __init__(self, *rows):
        self.answers, self.sql = list(rows), []

    def rows(self, sql, args=()):
        self.sql.append(sql)
        return self.answers


def test_measures_follow_the_column_types():
    names = [(m.name, m.column) for m in aggregates.measures(TABLE, ["id"], DiffSettings())]
    assert ("total", "price") in names and ("total", "w") in names and ("total", "at") not in names
    assert ("minimum", "at") in names and ("minimum", "note") not in names
    assert ("nulls", "w") in names and ("nulls", "id") not in names
    assert names[-1] == ("distinct_keys", None)
    w_sum = next(
        m.sql for m in aggregates.measures(TABLE, ["id"], DiffSettings()) if m.name == "total" and m.column == "w"
    )
    assert "ROUND(`w`, 6)" in w_sum and "DECIMAL" in w_sum  # floats summed after the comparison's normalisation


def read(*rows):
    return aggregates.read(Shards(*rows), TABLE, ["id"], DiffSettings())


# rows, id min/max/sum, price min/max/sum, w nulls/min/max/sum, note nulls, at min/max, distinct ids
ONE = (
    3,
    1,
    3,
    Decimal(6),
    Decimal("1.50"),
    Decimal("9.00"),
    Decimal("12.50"),
    1,
    Decimal("0.5"),
    Decimal("2.5"),
    Decimal("3.0"),
    0,
    "2026-01-01",
    "2026-01-03",
    3,
)
OTHER = (
    2,
    4,
    5,
    Decimal(9),
    Decimal("0.50"),
    Decimal("2.00"),
    Decimal("2.50"),
    0,
    Decimal("1.0"),
    Decimal("1.0"),
    Decimal("2.0"),
    2,
    "2026-01-02",
    "2026-01-09",
    2,
)


def test_shards_are_combined():
    a = read(ONE, OTHER)
    assert (a.rows, a.distinct_keys) == (5, 5)
    assert (a.minimum["id"], a.maximum["id"], a.total["id"]) == ("1", "5", "15")
    assert (a.minimum["price"], a.total["price"]) == ("0.5", "15")
    assert (a.nulls["w"], a.nulls["note"], a.maximum["at"]) == (1, 2, "2026-01-09")


def test_equal_aggregates_have_no_differences():
    assert aggregates.differences(read(ONE, OTHER), read(ONE, OTHER)) == []


def test_a_key_on_two_shards_shows_as_more_distinct_keys_than_the_source():
    source = read(ONE)
    duplicated = list(ONE)
    duplicated[-1] = 4  # four distinct keys over the shards' rows: one key sits on two shards
    assert aggregates.differences(source, read(tuple(duplicated))) == ["distinct keys: source 3, target 4"]


def test_a_changed_value_is_named_by_aggregate_and_column():
    changed = list(ONE)
    changed[6] = Decimal("12.49")
    assert aggregates.differences(read(ONE), read(tuple(changed))) == ["SUM(price): source 12.5, target 12.49"]


def test_a_masked_columns_aggregates_say_only_that_they_differ():
    changed = list(ONE)
    changed[6] = Decimal("12.49")
    assert aggregates.differences(read(ONE), read(tuple(changed)), frozenset({"price"})) == [
        "SUM(price): differs (values masked)"
    ]


def test_round_numbers_print_without_an_exponent():
    assert aggregates._text(Decimal("100")) == "100" and aggregates._text(Decimal("1.50")) == "1.5"


def test_the_source_is_not_asked_for_distinct_keys_its_own_unique_key_guarantees():
    source = Shards(ONE[:-1])
    a = aggregates.read(source, TABLE, ["id"], DiffSettings(), keys_unique=True)
    assert "DISTINCT" not in source.sql[0]
    assert (a.rows, a.distinct_keys) == (3, 3)  # a unique key's distinct values are the rows
    duplicated = list(ONE)
    duplicated[-1] = 4  # the target still counts them: one key on two shards
    assert aggregates.differences(a, read(tuple(duplicated))) == ["distinct keys: source 3, target 4"]
    keyless = aggregates.read(Shards(ONE[:-1]), TABLE, [], DiffSettings(), keys_unique=True)
    assert keyless.distinct_keys is None


def test_a_zero_date_on_one_shard_is_the_minimum_as_in_mysql():
    import datetime as dt

    zero, real = list(ONE), list(OTHER)
    zero[12], zero[13] = "0000-00-00 00:00:00", dt.datetime(2026, 1, 3)  # the driver's text for a zero date
    real[12], real[13] = dt.datetime(2026, 1, 2), dt.datetime(2026, 1, 9, 8, 30)
    a = read(tuple(zero), tuple(real))
    assert (a.minimum["at"], a.maximum["at"]) == ("0000-00-00 00:00:00", "2026-01-09 08:30:00")
    source = read(tuple(zero[:12] + ["0000-00-00 00:00:00", dt.datetime(2026, 1, 9, 8, 30)] + zero[14:]))
    assert (source.minimum["at"], source.maximum["at"]) == (a.minimum["at"], a.maximum["at"])
    partly_zero = list(OTHER)
    partly_zero[12] = "2026-00-00 00:00:00"  # after 2025-12-31, before 2026-01-01, as MySQL orders it
    b = read(tuple(partly_zero), tuple(real[:12] + [dt.datetime(2025, 12, 31), real[13]] + real[14:]))
    assert b.minimum["at"] == "2025-12-31 00:00:00"


def test_long_decimals_are_combined_and_compared_to_the_last_digit():
    wide, rest = list(ONE), list(OTHER)
    wide[6] = Decimal("1.000000000000000000000000000000001")  # 34 significant digits: past Python's default 28
    rest[6] = Decimal("0")
    source = read(tuple(wide))
    assert source.total["price"] == "1.000000000000000000000000000000001"
    assert read(tuple(wide), tuple(rest)).total["price"] == source.total["price"]
    lost = list(ONE)
    lost[6] = Decimal("1.000000000000000000000000000000002")
    assert aggregates.differences(source, read(tuple(lost))) == [
        "SUM(price): source 1.000000000000000000000000000000001, target 1.000000000000000000000000000000002"
    ]
