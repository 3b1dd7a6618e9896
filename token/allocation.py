"""The genesis allocation: buckets of the fixed supply, some vesting per beneficiary.

A file is refused, with the bucket and the difference named, unless it allocates exactly
10,000,000,000 SAHARA to valid addresses. ``recipient: timelock`` sends a bucket to the DAO treasury.
"""

from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import UNIT, format_tokens, to_base_units, to_seconds
from sahara_dao.token.errors import AllocationError

TOTAL_SUPPLY = 10_000_000_000 * UNIT
TIMELOCK = "timelock"
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class Vesting:
    """Linear vesting with a cliff; ``start`` is a unix time, or None for the deployment time."""

    cliff: int
    duration: int
    start: int | None = None


@dataclass(frozen=True)
class Grant:
    """One line of the genesis mint: a direct transfer, the treasury, or one vesting wallet."""

    bucket: str
    beneficiary: str  # checksummed address, or TIMELOCK
    amount: int  # base units
    vesting: Vesting | None = None

    @property
    def key(self) -> str:
        """A stable name for the deployment record."""
        return f"vesting/{self.bucket}/{self.beneficiary}" if self.vesting else f"grant/{self.bucket}"


@dataclass(frozen=True)
class Genesis:
    grants: tuple[Grant, ...]

    @property
    def buckets(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for grant in self.grants:
            totals[grant.bucket] = totals.get(grant.bucket, 0) + grant.amount
        return totals

    @property
    def treasury(self) -> int:
        return sum(g.amount for g in self.grants if g.beneficiary == TIMELOCK)

    @property
    def circulating_votes(self) -> int:
        """Supply that can ever vote: everything but the treasury (vesting wallets can delegate)."""
        return TOTAL_SUPPLY - self.treasury

    @property
    def vesting_grants(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.vesting)


def _address(value: object, bucket: str) -> str:
    if value == TIMELOCK:
        return TIMELOCK
    text = str(value)
    if not is_hex_address(text):
        raise AllocationError(f"bucket '{bucket}': {text!r} is not an address (0x followed by 40 hex digits)")
    mixed_case = text[2:] != text[2:].lower() and text[2:] != text[2:].upper()
    if mixed_case and not is_checksum_address(text):
        raise AllocationError(f"bucket '{bucket}': {text} has a wrong checksum; check the address")
    if int(text, 16) == 0:
        raise AllocationError(f"bucket '{bucket}': the zero address would burn the allocation")
    return to_checksum_address(text)


def _vesting(spec: dict, bucket: str) -> Vesting:
    unknown = set(spec) - {"cliff", "duration", "start"}
    if unknown or "duration" not in spec:
        raise AllocationError(f"bucket '{bucket}': vesting needs duration (and cliff, start); unknown keys {unknown}")
    cliff = to_seconds(spec.get("cliff", 0), f"bucket '{bucket}' vesting cliff")
    duration = to_seconds(spec["duration"], f"bucket '{bucket}' vesting duration")
    if cliff > duration:
        raise AllocationError(f"bucket '{bucket}': the cliff ({cliff} s) is longer than the vesting ({duration} s)")
    start = spec.get("start")
    if start is not None and (not isinstance(start, int) or start < 0):
        raise AllocationError(f"bucket '{bucket}': vesting start must be a unix time in seconds, or left out")
    return Vesting(cliff=cliff, duration=duration, start=start)


def _bucket(name: str, spec: dict) -> list[Grant]:
    if not isinstance(spec, dict):
        raise AllocationError(f"bucket '{name}': expected a mapping with amount and recipient, or beneficiaries")
    if "beneficiaries" in spec:
        vesting = _vesting(spec.get("vesting") or {}, name) if "vesting" in spec else None
        if vesting is None:
            raise AllocationError(f"bucket '{name}': beneficiaries need a vesting schedule")
        grants = [
            Grant(name, _address(who, name), to_base_units(amount, f"bucket '{name}' beneficiary {who}"), vesting)
            for who, amount in (spec["beneficiaries"] or {}).items()
        ]
        if not grants:
            raise AllocationError(f"bucket '{name}': no beneficiaries")
        if "amount" in spec:
            declared = to_base_units(spec["amount"], f"bucket '{name}' amount")
            listed = sum(g.amount for g in grants)
            if declared != listed:
                raise AllocationError(
                    f"bucket '{name}': beneficiaries sum to {format_tokens(listed)} SAHARA but the bucket "
                    f"declares {format_tokens(declared)}: difference {format_tokens(listed - declared)} SAHARA"
                )
        return grants
    if "recipient" not in spec or "amount" not in spec:
        raise AllocationError(f"bucket '{name}': needs amount and recipient (or vesting beneficiaries)")
    return [Grant(name, _address(spec["recipient"], name), to_base_units(spec["amount"], f"bucket '{name}' amount"))]


def parse_genesis(data: dict) -> Genesis:
    """Validate a genesis mapping (as loaded from YAML)."""
    try:
        return _parse_genesis(data)
    except AllocationError:
        raise
    except ConfigError as exc:
        raise AllocationError(str(exc)) from None


def _parse_genesis(data: dict) -> Genesis:
    buckets = (data or {}).get("buckets")
    if not isinstance(buckets, dict) or not buckets:
        raise AllocationError("the genesis file has no buckets: see token/genesis.yaml for the format")
    grants = tuple(g for name, spec in buckets.items() for g in _bucket(name, spec))
    total = sum(g.amount for g in grants)
    if total != TOTAL_SUPPLY:
        genesis = Genesis(grants)
        lines = ", ".join(f"{name} {format_tokens(amount)}" for name, amount in genesis.buckets.items())
        raise AllocationError(
            f"the buckets sum to {format_tokens(total)} SAHARA, not 10,000,000,000: difference "
            f"{'+' if total > TOTAL_SUPPLY else ''}{format_tokens(total - TOTAL_SUPPLY)} SAHARA ({lines})"
        )
    if not any(g.beneficiary == TIMELOCK for g in grants):
        raise AllocationError("no bucket goes to the treasury: give one bucket `recipient: timelock`")
    return Genesis(grants)


def load_genesis(path: Path) -> Genesis:
    return parse_genesis(read_yaml(path, "genesis", "pass --genesis or set SAHARA_GENESIS_FILE", AllocationError))
