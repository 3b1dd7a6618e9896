"""Amounts and durations from configuration are exact."""

import pytest

from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import UNIT, format_tokens, to_base_units, to_seconds


def test_whole_and_decimal_amounts_convert_exactly():
    """Integers, underscores and decimal strings become exact base units."""
    assert to_base_units(10_000_000_000, "x") == 10_000_000_000 * UNIT
    assert to_base_units("1_000", "x") == 1000 * UNIT
    assert to_base_units("0.1", "x") == 10**17
    assert to_base_units("0.000000000000000001", "x") == 1


@pytest.mark.parametrize("bad", [0.1, True, "1e-19", "-1", "abc", "0.0000000000000000001"])
def test_floats_negatives_and_excess_decimals_are_refused(bad):
    """A float, a negative or a 19th decimal is refused with the field named."""
    with pytest.raises(ConfigError, match="bucket x"):
        to_base_units(bad, "bucket x")


def test_durations_accept_suffixes():
    """7d, 48h, 2w, 1y and plain seconds."""
    assert to_seconds("7d", "d") == 7 * 86400
    assert to_seconds("48h", "d") == 172800
    assert to_seconds("2w", "d") == 14 * 86400
    assert to_seconds("1y", "d") == 365 * 86400
    assert to_seconds(90, "d") == 90
    with pytest.raises(ConfigError, match="voting_period"):
        to_seconds("7 days", "voting_period")
    with pytest.raises(ConfigError):
        to_seconds(-5, "d")


def test_format_tokens_prints_sahara_not_wei():
    """Base units print as SAHARA with separators and only the needed decimals."""
    assert format_tokens(1_999_000_000 * UNIT) == "1,999,000,000"
    assert format_tokens(15 * UNIT // 10) == "1.5"
    assert format_tokens(-UNIT) == "-1"
