"""The validation benchmark waits for VDiff with one long-lived loop over the sidecar table, and falls
back to VDiff.wait (saying so) when that table cannot be read."""

import pymysql

from bench.validation import VDiffRuns


class Cursor:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args):
        self.conn.queries += 1
        if self.conn.broken:
            raise pymysql.err.OperationalError(2013, "lost connection")

    def fetchone(self):
        return (self.conn.states.pop(0),) if self.conn.states else None


class Conn:
    def __init__(self, states, broken=False):
        self.states, self.broken, self.queries = list(states), broken, 0

    def cursor(self):
        return Cursor(self)


class FakeVDiff:
    def __init__(self):
        self.waited = []

    def wait(self, uuid, *, interval, timeout):
        self.waited.append((uuid, interval))


def runs(conns) -> VDiffRuns:
    v = VDiffRuns.__new__(VDiffRuns)  # no stack: only the waiting loop is under test
    v._conns, v.v, v.uuids = conns, FakeVDiff(), []
    v.POLL = 0.0
    return v


def test_waits_on_every_primarys_sidecar_state_over_the_same_connections():
    conns = [Conn(["pending", "started", "completed"]), Conn(["started", "completed", "completed"])]
    v = runs(conns)
    assert v._wait("u1").startswith("sidecar vdiff state")
    assert [c.queries for c in conns] == [3, 3] and v.v.waited == []


def test_falls_back_to_vdiff_wait_and_says_so():
    v = runs([Conn([], broken=True)])
    assert v._wait("u1").startswith("vtctldclient VDiff show every 1 s")
    assert v.v.waited == [("u1", 1.0)]
    v = runs([])
    assert v._wait("u2").startswith("vtctldclient") and v.v.waited == [("u2", 1.0)]
