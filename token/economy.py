"""Parameters of the AI-asset economy (the ``economy`` section of the DAO parameters file): the
operator, the protocol fee, the lineage cap, the claim activation delay and the unstake cooldown.

They belong to the token economy; the DAO governs them, so they live in ``governance/params.yaml``
beside the governor's settings, and :mod:`sahara_dao.governance.params` reads them through here.
"""

from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import to_seconds

KEYS = ("operator", "protocol_fee_bps", "max_lineage_share_bps", "claim_activation_delay", "unstake_cooldown")


@dataclass(frozen=True)
class EconomyParams:
    """Parameters of the AI-asset economy contracts, also governed by the DAO."""

    operator: str  # the Foundation's operations account: settles roots, meters API calls, pays labelers
    protocol_fee_bps: int  # share of revenue that goes to the treasury
    max_lineage_share_bps: int  # cap on the sum of an asset's upstream royalty shares
    claim_activation_delay: int  # seconds before a published root pays out (revocable meanwhile)
    unstake_cooldown: int  # seconds between an unstake request and the withdrawal


def parse_economy(data: object) -> EconomyParams:
    """Validate an ``economy`` mapping; a :class:`ConfigError` names the bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"governance parameters need an economy section with {', '.join(KEYS)}")
    if missing := [key for key in KEYS if key not in data]:
        raise ConfigError(f"economy parameters miss {', '.join(missing)}: see governance/params.yaml")
    if unknown := set(data) - set(KEYS):
        raise ConfigError(f"unknown economy parameters {sorted(unknown)}: see governance/params.yaml")
    operator = str(data["operator"])
    if not is_address(operator) or int(operator, 16) == 0:
        raise ConfigError(f"economy.operator {operator!r} is not a valid address; it settles, meters and pays labelers")
    return EconomyParams(
        operator=to_checksum_address(operator),
        protocol_fee_bps=_bps(data["protocol_fee_bps"], "protocol_fee_bps"),
        max_lineage_share_bps=_bps(data["max_lineage_share_bps"], "max_lineage_share_bps"),
        claim_activation_delay=to_seconds(data["claim_activation_delay"], "economy.claim_activation_delay"),
        unstake_cooldown=to_seconds(data["unstake_cooldown"], "economy.unstake_cooldown"),
    )


def _bps(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
        raise ConfigError(f"economy.{name} must be basis points from 0 to 10000, not {value!r}")
    return value


def load_economy(path: Path) -> EconomyParams:
    """The ``economy`` section of the DAO parameters file at ``path``."""
    data = read_yaml(path, "governance", "pass --params or set SAHARA_GOVERNANCE_FILE", ConfigError)
    return parse_economy((data or {}).get("economy"))
