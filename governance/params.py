"""DAO parameters (voting delay and period, threshold, quorum, late-quorum extension, timelock delay,
guardian), and the checks that refuse parameters which would freeze governance."""

from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import format_tokens, to_base_units, to_seconds
from sahara_dao.governance.errors import ParamsError
from sahara_dao.token.allocation import TOTAL_SUPPLY, Genesis
from sahara_dao.token.economy import EconomyParams, parse_economy

UINT32_MAX = 2**32 - 1
UINT48_MAX = 2**48 - 1


@dataclass(frozen=True)
class GovernanceParams:
    voting_delay: int  # seconds
    voting_period: int  # seconds
    proposal_threshold: int  # base units
    quorum_percent: int
    late_quorum_extension: int  # seconds
    timelock_delay: int  # seconds
    guardian: str | None
    economy: EconomyParams

    @property
    def quorum_votes(self) -> int:
        return TOTAL_SUPPLY * self.quorum_percent // 100

    def check_against(self, genesis: Genesis) -> None:
        """Refuse parameters under which no proposal could ever pass with this genesis."""
        votes = genesis.circulating_votes
        if self.quorum_votes > votes:
            raise ParamsError(
                f"quorum {self.quorum_percent}% needs {format_tokens(self.quorum_votes)} votes but only "
                f"{format_tokens(votes)} SAHARA can ever vote (the treasury cannot): lower quorum_percent"
            )
        if self.proposal_threshold > votes:
            raise ParamsError(
                f"proposal_threshold {format_tokens(self.proposal_threshold)} exceeds the "
                f"{format_tokens(votes)} SAHARA that can vote: nobody could propose"
            )


def parse_params(data: dict) -> GovernanceParams:
    """Validate a parameters mapping (as loaded from YAML)."""
    try:
        return _parse_params(dict(data or {}))
    except ParamsError:
        raise
    except ConfigError as exc:
        raise ParamsError(str(exc)) from None


def _parse_params(data: dict) -> GovernanceParams:
    required = ["voting_delay", "voting_period", "proposal_threshold", "quorum_percent",
                "late_quorum_extension", "timelock_delay"]  # fmt: skip
    if missing := [key for key in required if key not in data]:
        raise ParamsError(f"governance parameters miss {', '.join(missing)}: see governance/params.yaml")
    if unknown := set(data) - set(required) - {"guardian", "economy"}:
        raise ParamsError(f"unknown governance parameters {sorted(unknown)}: see governance/params.yaml")
    guardian = data.get("guardian")
    if guardian is not None:
        guardian = _address(guardian, "guardian", "leave it out for no guardian")
    quorum = data["quorum_percent"]
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= 100:
        raise ParamsError(f"quorum_percent must be an integer from 1 to 100, not {quorum!r}")
    params = GovernanceParams(
        voting_delay=to_seconds(data["voting_delay"], "voting_delay"),
        voting_period=to_seconds(data["voting_period"], "voting_period"),
        proposal_threshold=to_base_units(data["proposal_threshold"], "proposal_threshold"),
        quorum_percent=quorum,
        late_quorum_extension=to_seconds(data["late_quorum_extension"], "late_quorum_extension"),
        timelock_delay=to_seconds(data["timelock_delay"], "timelock_delay"),
        guardian=guardian,
        economy=parse_economy(data.get("economy")),
    )
    if not 0 < params.voting_period <= UINT32_MAX:
        raise ParamsError(f"voting_period must be between 1 s and {UINT32_MAX} s, not {params.voting_period}")
    if params.voting_delay > UINT48_MAX:
        raise ParamsError(f"voting_delay {params.voting_delay} s does not fit the governor's uint48")
    if params.late_quorum_extension > params.voting_period:
        raise ParamsError(
            f"late_quorum_extension ({params.late_quorum_extension} s) is longer than voting_period "
            f"({params.voting_period} s): a late vote would more than double the vote; shorten it"
        )
    return params


def _address(value: object, name: str, hint: str) -> str:
    if not is_address(str(value)) or int(str(value), 16) == 0:
        raise ParamsError(f"{name} {value!r} is not a valid address; {hint}")
    return to_checksum_address(str(value))


def load_params(path: Path) -> GovernanceParams:
    return parse_params(
        read_yaml(path, "governance", "pass --params or set SAHARA_GOVERNANCE_FILE", ParamsError)
    )
