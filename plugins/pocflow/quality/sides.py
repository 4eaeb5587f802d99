"""The two sides a comparison reads: the source directly, the target through vtgate.

Before traffic is switched, vtgate routes a moved table to the source; the target's own copy is
read with shard targeting (``keyspace:shard@replica``), a connection per shard, all shards at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pocflow.connections import Endpoint, connect
from pocflow.sql import quote_identifier
from pocflow.vitess.vtctldclient import Vtctld


def keyspace_shards(vtctld: Vtctld, keyspace: str) -> list[str]:
    data = vtctld.run_json("FindAllShardsInKeyspace", keyspace)
    return sorted((data.get("shards") or {}).keys())


# Both sides read temporal keys, chunk boundaries and values in one time zone, whatever each
# server's default: TIMESTAMP keys compare and bound chunks alike on both.
SESSION_TIME_ZONE = "SET SESSION time_zone = '+00:00'"
OLAP = "SET workload = 'olap'"
"""Vitess's streaming mode for a session: a vttablet ends any other query after 30 s (its query timeout)."""


class SourceSide:
    name = "source"

    def __init__(self, endpoint: Endpoint):
        self.conn = connect(endpoint)
        with self.conn.cursor() as cur:
            cur.execute(SESSION_TIME_ZONE)

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, list(args) or None)
            return list(cur.fetchall())

    def close(self) -> None:
        self.conn.close()


class TargetSide:
    name = "target"

    def __init__(
        self, vtgate: Endpoint, keyspace: str, shards: list[str], tablet_type: str = "replica", *, olap: bool = False
    ):
        """``olap``: the sessions stream (Vitess's OLAP workload), so a query over a whole large table is not
        ended by the tablet's 30 s limit for a query."""
        self.keyspace, self.shards = keyspace, shards
        self.conns = []
        for shard in shards:
            conn = connect(vtgate.with_database(None))
            with conn.cursor() as cur:
                cur.execute(f"USE {quote_identifier(f'{keyspace}:{shard}@{tablet_type}')}")
                cur.execute(SESSION_TIME_ZONE)
                if olap:
                    cur.execute(OLAP)
            self.conns.append(conn)
        self._pool = ThreadPoolExecutor(len(shards), thread_name_prefix="target-shard") if len(shards) > 1 else None

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        """Every shard's rows, in shard order (the shards answer at once)."""

        def shard_rows(conn) -> list[tuple]:
            with conn.cursor() as cur:
                cur.execute(sql, list(args) or None)
                return list(cur.fetchall())

        if self._pool is None:
            return [row for conn in self.conns for row in shard_rows(conn)]
        return [row for rows in self._pool.map(shard_rows, self.conns) for row in rows]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        for conn in self.conns:
            conn.close()
