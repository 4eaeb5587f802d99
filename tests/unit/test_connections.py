import pytest

from pocflow.connections import Endpoint, redact


def test_dsn_parses_user_password_host_port_database():
    e = Endpoint.from_dsn("mysql://app:s%40cret@db.example:3307/shop")
    assert (e.user, e.password, e.host, e.port, e.database) == ("app", "s@cret", "db.example", 3307, "shop")


def test_dsn_defaults_port_3306_and_no_database():
    e = Endpoint.from_dsn("mysql://root@127.0.0.1")
    assert (e.port, e.database, e.password) == (3306, None, "")


def test_dsn_round_trips_through_dsn():
    e = Endpoint("h", 1234, "u s", "p@ss:w/rd", "db")
    assert Endpoint.from_dsn(e.dsn()) == e


def test_endpoint_text_never_shows_the_password():
    e = Endpoint("h", 1, "u", "hunter2", "db")
    assert "hunter2" not in repr(e) and "hunter2" not in str(e) and "hunter2" not in f"{e}"


@pytest.mark.parametrize("bad", ["postgres://u:p@h/db", "mysql:///db", "mysql://h/db"])
def test_bad_dsn_is_refused_without_echoing_the_password(bad):
    with pytest.raises(ValueError) as err:
        Endpoint.from_dsn(bad)
    assert ":p@" not in str(err.value)


def test_redact_hides_only_the_password():
    assert redact("mysql://app:topsecret@h:1/db") == "mysql://app:***@h:1/db"
    assert redact("mysql://app@h:1/db") == "mysql://app@h:1/db"
