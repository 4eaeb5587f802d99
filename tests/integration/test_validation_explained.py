"""Our comparison on a table the sample does not have, imported into two shards from each source flavour:
FLOAT, DOUBLE, TIMESTAMP(6), JSON, values holding the row text's separator, and a composite string key.
What the copy loses is named down to the column and classified; rows broken on one shard are named by
exact key and kind; the column aggregates and the repair script follow."""

import json
import random
import subprocess
import time

import pytest

from pocflow.connections import Endpoint, connect
from pocflow.local.stack.config import SOURCE_KEYSPACE, second_source_keyspace
from pocflow.quality import aggregates
from pocflow.quality.diff import DiffSettings, TableComparison
from pocflow.quality.repair import repair_sql
from pocflow.quality.sides import SourceSide, TargetSide
from pocflow.source.inventory import take
from pocflow.vitess.movetables import MoveTables

pytestmark = pytest.mark.integration

TABLE = "measurements"
SHARDS = ["-80", "80-"]
ROWS = 600
DDL = (
    f"CREATE TABLE {TABLE} (site VARCHAR(24) NOT NULL, code VARCHAR(24) NOT NULL, value_f FLOAT NOT NULL, "
    "value_d DOUBLE NULL, measured_at TIMESTAMP(6) NOT NULL, doc JSON NULL, note VARCHAR(40) NULL, "
    "PRIMARY KEY (site, code)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
)
VSCHEMA = {
    "sharded": True,
    "vindexes": {"xxhash": {"type": "xxhash"}},
    "tables": {TABLE: {"column_vindexes": [{"column": "site", "name": "xxhash"}]}},
}


def rows():
    rng = random.Random(15)
    for i in range(ROWS):
        site, code = f"site-{i % 37:02d}", f"c#{i:05d}"
        yield (
            site,
            code,
            rng.uniform(-1000, 1000) / 7,
            rng.uniform(-1e6, 1e6) / 3,
            f"2026-0{1 + i % 9}-1{i % 10} 0{i % 10}:1{i % 6}:2{i % 10}.{i:06d}",
            json.dumps({"i": i, "tags": ["a", "b"][: i % 3], "v": round(i / 3, 2)}),
            "x#" if i % 2 else "#y",
        )


def keyspace_of(flavor: str) -> str:
    return f"explain_{flavor}"


def shard_sql(stack, keyspace: str, shard: str, sql: str) -> None:
    """Straight into a target shard primary's MySQL, bypassing Vitess, as a stray process would."""
    tablet = next(t for t in stack.config.target_tablets if (t.keyspace, t.shard, t.primary) == (keyspace, shard, True))
    socket = stack.config.vtdataroot / f"vt_{tablet.uid:010d}" / "mysql.sock"
    subprocess.run(
        [
            str(stack.config.mysql_bin / "mysql"),
            "--no-defaults",
            f"--socket={socket}",
            "--user=vt_dba",
            f"vt_{keyspace}",
            "-e",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def compare(source: Endpoint, table, vtgate, keyspace):
    s, t = SourceSide(source), TargetSide(vtgate, keyspace, SHARDS)
    try:
        comparison = TableComparison(
            table, s, t, DiffSettings(chunk_rows=100, max_reported=2 * ROWS, masked_columns=frozenset({"note"}))
        )
        result = comparison.run()
        sums = aggregates.differences(
            aggregates.read(s, table, comparison.keys, DiffSettings()),
            aggregates.read(t, table, comparison.keys, DiffSettings()),
        )
        return result, sums, comparison
    finally:
        s.close()
        t.close()


@pytest.fixture(scope="module", params=["mysql", "mariadb"])
def imported(request, stack, env, vtctld, vtgate):
    """``measurements`` in the sample database of the source of one flavour, imported into two shards."""
    flavor = request.param
    prefix = f"POCFLOW_SOURCE_{flavor.upper()}"
    admin = Endpoint.from_dsn(env[f"{prefix}_ADMIN_DSN"])
    readonly = Endpoint.from_dsn(env[f"{prefix}_READONLY_DSN"])
    source_keyspace = SOURCE_KEYSPACE if flavor == stack.config.source_flavor else second_source_keyspace(flavor)
    keyspace = keyspace_of(flavor)
    workflow = MoveTables(vtctld, f"explain_{flavor}", keyspace)
    workflow.cancel(approved=True)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(DDL)
        cur.execute("SET SESSION time_zone = '+00:00'")
        cur.executemany(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s)", list(rows()))
    stack.add_keyspace(keyspace, SHARDS)
    vtctld.run("ApplyVSchema", "--vschema", json.dumps(VSCHEMA), keyspace)
    workflow.create(source_keyspace=source_keyspace, tables=[TABLE])
    workflow.wait_for_copy(timeout=300)
    with connect(readonly) as conn:
        table = take(conn, readonly.database).table(TABLE)
    clean = compare(readonly, table, vtgate, keyspace)
    # a row deleted on its own shard, and a row copied onto the other shard (its key now on two shards)
    deleted, doubled, changed = ("site-03", "c#00003"), ("site-05", "c#00005"), ("site-07", "c#00007")
    found = {
        key: next(s for s in SHARDS if key in shard_keys(vtgate, keyspace, s)) for key in (deleted, doubled, changed)
    }
    other = next(s for s in SHARDS if s != found[doubled])
    with connect(vtgate.with_database(f"{keyspace}:{found[doubled]}@replica")) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {TABLE} WHERE site = %s AND code = %s", doubled)
        row = cur.fetchone()
    values = ", ".join("NULL" if v is None else repr(str(v)) for v in row)
    shard_sql(
        stack, keyspace, found[deleted], f"DELETE FROM {TABLE} WHERE site = '{deleted[0]}' AND code = '{deleted[1]}'"
    )
    shard_sql(stack, keyspace, other, f"INSERT INTO {TABLE} VALUES ({values})")
    shard_sql(
        stack,
        keyspace,
        found[changed],
        f"UPDATE {TABLE} SET note = 'secret-value' WHERE site = '{changed[0]}' AND code = '{changed[1]}'",
    )
    time.sleep(2)  # the shards' replicas, which the comparison reads, apply the stray writes too
    drifted = compare(readonly, table, vtgate, keyspace)
    yield flavor, table, clean, drifted, (deleted, doubled, changed)
    workflow.cancel(approved=True)
    with connect(admin) as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")


def shard_keys(vtgate, keyspace, shard) -> set[tuple]:
    with connect(vtgate.with_database(f"{keyspace}:{shard}@replica")) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT site, code FROM {TABLE}")
        return {tuple(r) for r in cur.fetchall()}


def test_what_the_copy_changed_is_named_down_to_the_column_and_classified(imported):
    flavor, table, (result, sums, comparison), _, _ = imported
    assert result.rows_source == result.rows_target == ROWS
    columns = [c for d in result.differences for c in (d.columns or [])]
    classes = {c.cls for c in columns}
    # every difference the copy made is explained; none is a separator or time zone artefact
    assert "unexplained" not in classes and "time_zone" not in classes, columns[:5]
    assert all(c.column in ("value_f", "value_d", "doc") for c in columns), columns[:5]
    for c in columns:
        if c.column == "value_f":
            assert c.cls == "float_precision" and c.source != c.target
    if result.differences_total:
        assert result.status == "mismatch" and result.column_classes
        assert comparison.repairable and "UPDATE" in repair_sql(
            comparison.table, comparison.repairable, comparison.source_rows, run="test", key=comparison.keys
        )


def test_a_key_on_two_shards_and_a_row_gone_from_one_are_named_by_key_and_kind(imported):
    _, _, (clean, clean_sums, _), (result, sums, comparison), (deleted, doubled, changed) = imported
    found = {(d.kind, tuple(d.key.values())) for d in result.differences}
    assert ("missing_on_target", deleted) in found and ("duplicate_on_target", doubled) in found
    assert ("different", changed) in found
    assert result.differences_total >= 3 and result.status == "mismatch"
    # row count and distinct keys add up again (one row gone, one key twice), the sums do not
    assert set(sums) - set(clean_sums), (sums, clean_sums)
    script = repair_sql(
        comparison.table, comparison.repairable, comparison.source_rows, run="test", key=comparison.keys
    )
    assert f"'{deleted[1]}'" in script and f"'{doubled[1]}'" in script


def test_a_sensitive_column_is_named_and_classified_but_its_values_never_appear(imported):
    _, _, _, (result, _, _), (_, _, changed) = imported
    row = next(d for d in result.differences if tuple(d.key.values()) == changed)
    assert [c.column for c in row.columns if c.column == "note"] == ["note"]
    text = json.dumps(result.to_dict())
    assert "secret-value" not in text and '"x#"' not in text and '"#y"' not in text


def test_the_validation_summary_leads_with_the_classes_and_what_to_do(imported):
    from pocflow.stages.validation import ValidationResult

    _, _, (result, _, _), _, _ = imported
    if not result.column_classes:
        pytest.skip("this copy changed no value")  # both flavours' copies do change FLOATs today
    validation = ValidationResult([result], {}, {}, [])
    first = validation.explained()[0]
    assert first[0] == "float_precision" and "DOUBLE or DECIMAL" in first[4]
    summary = validation.summary()
    assert summary.index("differences explained") < summary.index("rows src")
    assert "value_f" in summary and "float_precision" in summary
