import pytest

from pocflow.sql import IdentifierError, qualified, quote_identifier


@pytest.mark.parametrize(
    "name, quoted",
    [
        ("orders", "`orders`"),
        ("order lines", "`order lines`"),
        ("we`ird", "`we``ird`"),
        ("``", "``````"),
        ("select", "`select`"),
        ("tàblé_😀", "`tàblé_😀`"),
        ("x" * 64, "`" + "x" * 64 + "`"),
        ("semi;colon", "`semi;colon`"),
        ("quote'd\"", "`quote'd\"`"),
    ],
)
def test_quote_identifier_wraps_in_backticks_and_doubles_backticks(name, quoted):
    assert quote_identifier(name) == quoted


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "non-empty"),
        ("x" * 65, "65 characters"),
        ("nul\x00", "NUL"),
        ("trailing ", "ends with a space"),
    ],
)
def test_quote_identifier_refuses_names_mysql_cannot_hold(bad, message):
    with pytest.raises(IdentifierError, match=message):
        quote_identifier(bad)


def test_qualified_quotes_both_parts():
    assert qualified("shop", "order`lines") == "`shop`.`order``lines`"
