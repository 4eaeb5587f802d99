"""Both sides of the comparison read time in UTC, whatever each server's default time zone: a customer's
source and target servers seldom share one, and TIMESTAMP keys, chunk boundaries and values would
otherwise be read in two zones."""

from pocflow.connections import Endpoint
from pocflow.quality import sides


class Recorder:
    """A connection that keeps the statements run on it."""

    def __init__(self, log):
        self.log = log

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args=None):
        self.log.append(sql)

    def close(self):
        pass


def test_every_side_and_shard_session_is_set_to_utc(monkeypatch):
    sessions: list[list[str]] = []

    def connect(endpoint, **kwargs):
        sessions.append([])
        return Recorder(sessions[-1])

    monkeypatch.setattr(sides, "connect", connect)
    sides.SourceSide(Endpoint("127.0.0.1", 3306, "ro"))
    sides.TargetSide(Endpoint("127.0.0.1", 15306, "root"), "shop", ["-80", "80-"])
    assert len(sessions) == 3
    assert all("SET SESSION time_zone = '+00:00'" in statements for statements in sessions), sessions
