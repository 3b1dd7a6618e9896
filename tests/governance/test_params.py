"""DAO parameters are validated, and parameters that freeze governance are refused."""

import pytest
import yaml

from sahara_dao.core.units import UNIT
from sahara_dao.governance.errors import ParamsError
from sahara_dao.governance.params import load_params, parse_params


@pytest.fixture
def data():
    with open("governance/params.yaml") as handle:
        return yaml.safe_load(handle)


def test_default_parameters(params):
    """The shipped parameters are in seconds and base units."""
    assert params.voting_delay == 86400
    assert params.voting_period == 7 * 86400
    assert params.late_quorum_extension == 2 * 86400
    assert params.timelock_delay == 2 * 86400
    assert params.proposal_threshold == 10_000_000 * UNIT
    assert params.quorum_votes == 400_000_000 * UNIT


def test_an_extension_longer_than_the_period_is_refused(data):
    """A late-quorum extension longer than the voting period is refused."""
    data["late_quorum_extension"] = "8d"
    with pytest.raises(ParamsError, match="late_quorum_extension .* longer than voting_period"):
        parse_params(data)


def test_a_quorum_above_the_circulating_votes_is_refused(data, genesis):
    """A quorum larger than everything that can vote (all but the treasury) freezes governance."""
    data["quorum_percent"] = 81
    with pytest.raises(ParamsError, match="only 8,000,000,000 SAHARA can ever vote"):
        parse_params(data).check_against(genesis)
    data["quorum_percent"] = 80
    parse_params(data).check_against(genesis)


def test_a_threshold_above_the_circulating_votes_is_refused(data, genesis):
    """A proposal threshold nobody can reach is refused."""
    data["proposal_threshold"] = 8_000_000_001
    with pytest.raises(ParamsError, match="nobody could propose"):
        parse_params(data).check_against(genesis)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("voting_period", 0, "voting_period must be between"),
        ("quorum_percent", 0, "quorum_percent must be an integer from 1 to 100"),
        ("quorum_percent", 4.5, "quorum_percent must be an integer"),
        ("guardian", "0xnope", "guardian"),
        ("surprise", 1, "unknown governance parameters"),
    ],
)
def test_invalid_values_are_refused(data, key, value, message):
    """Out-of-range and unknown parameters are refused with the parameter named."""
    data[key] = value
    with pytest.raises(ParamsError, match=message):
        parse_params(data)


def test_missing_parameters_are_listed(data):
    """Every missing parameter is named."""
    del data["voting_delay"], data["timelock_delay"]
    with pytest.raises(ParamsError, match="voting_delay, timelock_delay"):
        parse_params(data)


def test_no_guardian_is_allowed(data):
    """Leaving the guardian out deploys without one."""
    del data["guardian"]
    assert parse_params(data).guardian is None


def test_a_missing_file_points_at_the_option(tmp_path):
    with pytest.raises(ParamsError, match="--params"):
        load_params(tmp_path / "absent.yaml")


def test_economy_parameters(params):
    """The economy section: operator, fee and lineage cap in bps, delays in seconds."""
    economy = params.economy
    assert economy.operator == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
    assert (economy.protocol_fee_bps, economy.max_lineage_share_bps) == (500, 5000)
    assert (economy.claim_activation_delay, economy.unstake_cooldown) == (86400, 14 * 86400)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"protocol_fee_bps": 10_001}, "protocol_fee_bps must be basis points"),
        ({"operator": "0x0"}, "economy.operator"),
        ({"unstake_cooldown": "two weeks"}, "economy.unstake_cooldown"),
        ({"surprise": 1}, "unknown economy parameters"),
    ],
)
def test_invalid_economy_parameters_are_refused(data, change, message):
    """Out-of-range, malformed and unknown economy parameters name the parameter."""
    data["economy"] = data["economy"] | change
    with pytest.raises(ParamsError, match=message):
        parse_params(data)


def test_a_missing_economy_section_is_refused(data):
    """Without the economy section the error lists what it needs."""
    del data["economy"]
    with pytest.raises(ParamsError, match="economy section with operator"):
        parse_params(data)
