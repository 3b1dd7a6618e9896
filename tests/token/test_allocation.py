"""The genesis allocation file is validated before anything is deployed."""

import copy

import pytest
import yaml

from sahara_dao.core.units import UNIT
from sahara_dao.token.allocation import TIMELOCK, TOTAL_SUPPLY, load_genesis, parse_genesis
from sahara_dao.token.errors import AllocationError

ROOT_GENESIS = "token/genesis.yaml"


@pytest.fixture
def data(genesis):
    with open(ROOT_GENESIS) as handle:
        return yaml.safe_load(handle)


def test_default_genesis_allocates_exactly_the_supply(genesis):
    """The shipped file mints exactly 10,000,000,000 SAHARA, with the treasury to the timelock."""
    assert sum(g.amount for g in genesis.grants) == TOTAL_SUPPLY
    assert genesis.buckets["foundation_treasury"] == 2_000_000_000 * UNIT
    assert genesis.treasury == 2_000_000_000 * UNIT
    assert [g.beneficiary for g in genesis.grants if g.bucket == "foundation_treasury"] == [TIMELOCK]
    team = [g for g in genesis.grants if g.bucket == "team"]
    assert len(team) == 2 and all(g.vesting.cliff == 365 * 86400 for g in team)
    assert genesis.circulating_votes == 8_000_000_000 * UNIT


def test_a_short_total_names_the_difference(data):
    """Buckets summing to less than the supply are refused with the difference and the buckets."""
    data["buckets"]["airdrop"]["amount"] = 499_999_999
    with pytest.raises(AllocationError, match=r"difference -1 SAHARA.*airdrop 499,999,999"):
        parse_genesis(data)


def test_an_excess_total_names_the_difference(data):
    """Buckets summing to more than the supply are refused with a positive difference."""
    data["buckets"]["community_ecosystem"]["amount"] = "3500000000.5"
    with pytest.raises(AllocationError, match=r"difference \+0.5 SAHARA"):
        parse_genesis(data)


def test_a_bucket_whose_beneficiaries_differ_from_its_amount_is_named(data):
    """A vesting bucket's declared amount must equal the sum of its beneficiaries."""
    first = next(iter(data["buckets"]["team"]["beneficiaries"]))
    data["buckets"]["team"]["beneficiaries"][first] = 1_100_000_000
    with pytest.raises(AllocationError, match=r"bucket 'team'.*difference -100,000,000 SAHARA"):
        parse_genesis(data)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("0x1234", "is not an address"),
        ("not-an-address", "is not an address"),
        ("0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC", "wrong checksum"),
        ("0x" + "00" * 20, "zero address"),
    ],
)
def test_a_bad_address_names_its_bucket(data, address, message):
    """Malformed, mis-checksummed and zero addresses are refused, naming the bucket."""
    data["buckets"]["airdrop"]["recipient"] = address
    with pytest.raises(AllocationError, match=rf"bucket 'airdrop'.*{message}"):
        parse_genesis(data)


def test_a_lowercase_address_is_accepted_and_checksummed(data):
    """An all-lowercase address carries no checksum and is accepted."""
    data["buckets"]["airdrop"]["recipient"] = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
    grants = parse_genesis(data).grants
    assert [g.beneficiary for g in grants if g.bucket == "airdrop"] == ["0x90F79bf6EB2c4f870365E785982E1f101E93b906"]


def test_a_cliff_longer_than_the_vesting_is_refused(data):
    """The cliff cannot exceed the vesting duration (VestingWalletCliff would revert)."""
    data["buckets"]["investors"]["vesting"] = {"cliff": "4y", "duration": "3y"}
    with pytest.raises(AllocationError, match="bucket 'investors': the cliff"):
        parse_genesis(data)


def test_a_genesis_without_treasury_is_refused(data):
    """One bucket must fund the DAO treasury."""
    changed = copy.deepcopy(data)
    changed["buckets"]["foundation_treasury"]["recipient"] = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
    with pytest.raises(AllocationError, match="recipient: timelock"):
        parse_genesis(changed)


def test_a_float_amount_is_refused(data):
    """YAML floats lose precision, so amounts must be integers or quoted decimals."""
    data["buckets"]["airdrop"]["amount"] = 5e8
    with pytest.raises(AllocationError, match="bucket 'airdrop' amount"):
        parse_genesis(data)


def test_missing_and_invalid_files_say_what_to_do(tmp_path):
    """A missing file points at --genesis; invalid YAML is reported as such."""
    with pytest.raises(AllocationError, match="--genesis"):
        load_genesis(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("buckets: [unclosed")
    with pytest.raises(AllocationError, match="not valid YAML"):
        load_genesis(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(AllocationError, match="no buckets"):
        load_genesis(empty)
