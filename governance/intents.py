"""Proposals from intents, not raw calldata.

Each intent checks its inputs against the deployed contracts before anything is sent (a known
contract, a positive amount the treasury holds, a setting in range, a role that exists on that
contract and that the timelock may grant, ...), then encodes the call the timelock will make:

| intent                          | the timelock calls                                             |
|---------------------------------|----------------------------------------------------------------|
| :func:`treasury_transfer`       | ``token.transfer(to, amount)``, or sends native value to ``to`` |
| :func:`set_governor_setting`    | ``governor.setVotingDelay / setVotingPeriod / ...``            |
| :func:`set_parameter`           | ``vault.setProtocolFeeBps``, ``registry.setMaxLineageShareBps``, ... |
| :func:`grant_role`, :func:`revoke_role` | ``contract.grantRole / revokeRole(role, account)``     |
| :func:`remove_guardian`         | ``governor.setProposalGuardian(address(0))``                   |
| :func:`fund_staking_rewards`    | ``staking.grantRole(REWARD_DISTRIBUTOR_ROLE, timelock)`` (once), ``token.transfer(staking, amount)``, ``staking.notifyRewardAmount(amount, duration)`` |

The protocol fee lives on the revenue vault (``protocolFeeBps``, set at deployment from
``economy.protocol_fee_bps`` of the parameters file); settlement reads it there, so a passed
proposal changes the fee of the epochs settled after it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from sahara_dao.core.units import format_tokens
from sahara_dao.governance.errors import IntentError
from sahara_dao.governance.lifecycle import Proposal

ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
QUORUM_DENOMINATOR = 100  # GovernorVotesQuorumFraction's default
UINT32_MAX, UINT48_MAX, UINT64_MAX = 2**32 - 1, 2**48 - 1, 2**64 - 1
BPS = 10_000

# Deployment names (governance/deploy.py) and their contract types.
CONTRACT_TYPES = {
    "token": "SaharaToken",
    "timelock": "SaharaTimelock",
    "governor": "SaharaGovernor",
    "vault": "RevenueVault",
    "registry": "AssetRegistry",
    "licenses": "LicenseManager",
    "payouts": "PayoutBatcher",
    "staking": "SaharaStaking",
}


@dataclass(frozen=True)
class Dao:
    """The DAO's deployed contracts on the connected chain, by deployment name."""

    contracts: Mapping[str, Any]

    @property
    def token(self):
        return self.contract("token")

    @property
    def governor(self):
        return self.contract("governor")

    @property
    def timelock(self):
        return self.contract("timelock")

    def contract(self, name: str):
        if name not in self.contracts:
            raise IntentError(
                f"no deployed contract named '{name}': choose one of {', '.join(sorted(self.contracts))}"
            )
        return self.contracts[name]


def load_dao(addresses: Mapping[str, str]) -> Dao:
    """The contracts of a deployment record (``record.contracts``) that intents can target."""
    from sahara_dao.core.contracts import project

    contracts = project()
    return Dao({name: getattr(contracts, CONTRACT_TYPES[name]).at(address)
                for name, address in addresses.items() if name in CONTRACT_TYPES})  # fmt: skip


def _proposal(target, value: int, calldata: bytes, description: str) -> Proposal:
    return _actions([(target, value, calldata)], description)


def _actions(calls: list[tuple[Any, int, bytes]], description: str) -> Proposal:
    """A proposal of several calls ``(target, value, calldata)``, executed in order."""
    if not description.strip():
        raise IntentError("a proposal needs a description (its first line is the title voters see)")
    return Proposal(tuple(to_checksum_address(getattr(target, "address", target)) for target, _, _ in calls),
                    tuple(value for _, value, _ in calls), tuple(bytes(data) for _, _, data in calls), description)  # fmt: skip


def _address(value: str, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise IntentError(f"{what} {value!r} is not an address (0x followed by 40 hex digits)")
    if int(value, 16) == 0:
        raise IntentError(f"{what} is the zero address: name a real account")
    return to_checksum_address(value)


# --- treasury --------------------------------------------------------------------------------------


def treasury_transfer(
    dao: Dao, *, recipient: str, amount: int, description: str, native: bool = False
) -> Proposal:
    """Send ``amount`` base units from the treasury (the timelock): SAHARA, or the chain's native
    coin when ``native``. Refused when the treasury does not hold that much now."""
    from ape import chain

    recipient = _address(recipient, "recipient")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise IntentError(f"a treasury transfer needs a positive amount of base units, not {amount!r}")
    timelock = dao.timelock
    if recipient == timelock.address:
        raise IntentError("the recipient is the treasury itself: name another account")
    if native:
        held = chain.provider.get_balance(timelock.address)
        if amount > held:
            raise IntentError(
                f"the treasury {timelock.address} holds {held} wei of native coin, less than {amount}: "
                "fund it first or ask for less"
            )
        return _proposal(recipient, amount, b"", description)
    held = dao.token.balanceOf(timelock.address)
    if amount > held:
        raise IntentError(
            f"the treasury {timelock.address} holds {format_tokens(held)} SAHARA, less than "
            f"{format_tokens(amount)}: ask for less"
        )
    return _proposal(dao.token, 0, dao.token.transfer.encode_input(recipient, amount), description)


def fund_staking_rewards(dao: Dao, *, amount: int, duration: int, description: str) -> Proposal:
    """Pay ``amount`` base units of the treasury's SAHARA to stakers over ``duration`` seconds: the
    timelock takes SaharaStaking's REWARD_DISTRIBUTOR_ROLE if it lacks it, sends the SAHARA to the
    staking contract and notifies the reward (which also re-spreads what the running period has not
    emitted yet over the new duration)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise IntentError(f"staking rewards need a positive amount of base units, not {amount!r}")
    staking, token, timelock = dao.contract("staking"), dao.token, dao.timelock.address
    longest = staking.MAX_REWARD_DURATION()
    if isinstance(duration, bool) or not isinstance(duration, int) or not 0 < duration <= longest:
        raise IntentError(f"a reward period lasts 1 to {longest} seconds ({longest // 86400} days), not {duration!r}")
    held = token.balanceOf(timelock)
    if amount > held:
        raise IntentError(f"the treasury {timelock} holds {format_tokens(held)} SAHARA, less than {format_tokens(amount)}: "
                          "ask for less")  # fmt: skip
    calls = []
    role = bytes(staking.REWARD_DISTRIBUTOR_ROLE())
    if not staking.hasRole(role, timelock):
        if not staking.hasRole(bytes(staking.getRoleAdmin(role)), timelock):
            raise IntentError(f"the treasury timelock {timelock} cannot grant itself REWARD_DISTRIBUTOR_ROLE on "
                              f"staking {staking.address}: it does not administer that role")  # fmt: skip
        calls.append((staking, 0, staking.grantRole.encode_input(role, timelock)))
    calls.append((token, 0, token.transfer.encode_input(staking.address, amount)))
    calls.append((staking, 0, staking.notifyRewardAmount.encode_input(amount, duration)))
    return _actions(calls, description)


# --- governor settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A setting the DAO changes through a call its executor (the timelock) makes."""

    contract: str  # deployment name
    setter: str
    getter: str
    unit: str  # seconds, base units, percent, bps, address
    check: Callable[[Dao, Any], str | None]  # the reason a value is refused, or None


def _range(low: int, high: int, unit: str) -> Callable[[Dao, Any], str | None]:
    def check(_dao: Dao, value: Any) -> str | None:
        if not low <= value <= high:
            return f"must be from {low} to {high} {unit}"
        return None

    return check


def _voting_period(dao: Dao, value: int) -> str | None:
    extension = dao.governor.lateQuorumVoteExtension()
    if not 0 < value <= UINT32_MAX:
        return f"must be from 1 to {UINT32_MAX} seconds"
    if value < extension:
        return (f"is shorter than the late-quorum extension ({extension} s); shorten late_quorum_extension "
                "first (the governor refuses this with SaharaGovernorVotingPeriodBelowVoteExtension)")  # fmt: skip
    return None


def _vote_extension(dao: Dao, value: int) -> str | None:
    period = dao.governor.votingPeriod()
    if not 0 <= value <= period:
        return (
            f"must be from 0 to the voting period ({period} s): one late vote would more than double the vote"
        )
    return None


def _threshold(dao: Dao, value: int) -> str | None:
    supply = dao.token.totalSupply()
    if not 0 <= value <= supply:
        return f"must be from 0 to the total supply ({format_tokens(supply)} SAHARA), or nobody could propose"
    return None


def _constant_max(contract: str, constant: str) -> Callable[[Dao, Any], str | None]:
    def check(dao: Dao, value: int) -> str | None:
        high = getattr(dao.contract(contract), constant)()
        return None if 0 <= value <= high else f"must be from 0 to {high} seconds ({contract}.{constant})"

    return check


def _vault_address(dao: Dao, value: str) -> str | None:
    from sahara_dao.core.contracts import code_exists

    return (
        None
        if code_exists(value)
        else "has no contract code on this chain: deploy the new RevenueVault first"
    )


GOVERNOR_SETTINGS = {
    "voting_delay": Setting("governor", "setVotingDelay", "votingDelay", "seconds", _range(0, UINT48_MAX, "seconds")),
    "voting_period": Setting("governor", "setVotingPeriod", "votingPeriod", "seconds", _voting_period),
    "proposal_threshold": Setting("governor", "setProposalThreshold", "proposalThreshold", "base units", _threshold),
    "quorum_numerator": Setting("governor", "updateQuorumNumerator", "quorumNumerator", "percent",
                                _range(1, QUORUM_DENOMINATOR, "percent of the supply")),
    "late_quorum_extension": Setting("governor", "setLateQuorumVoteExtension", "lateQuorumVoteExtension", "seconds",
                                     _vote_extension),
}  # fmt: skip
"""Governor settings by name (GovernorSettings, QuorumFraction, PreventLateQuorum)."""

PARAMETERS = {
    "protocol_fee_bps": Setting("vault", "setProtocolFeeBps", "protocolFeeBps", "bps", _range(0, BPS, "basis points")),
    "lineage_share_cap": Setting("registry", "setMaxLineageShareBps", "maxLineageShareBps", "bps",
                                 _range(0, BPS, "basis points")),
    "claim_activation_delay": Setting("vault", "setActivationDelay", "activationDelay", "seconds",
                                      _constant_max("vault", "MAX_ACTIVATION_DELAY")),
    "unstake_cooldown": Setting("staking", "setCooldown", "cooldown", "seconds",
                                _constant_max("staking", "MAX_COOLDOWN")),
    "timelock_delay": Setting("timelock", "updateDelay", "getMinDelay", "seconds", _range(0, UINT64_MAX, "seconds")),
    "revenue_vault": Setting("licenses", "setRevenueVault", "revenueVault", "address", _vault_address),
}  # fmt: skip
"""Protocol parameters by name: every setter of the economy contracts (and the timelock's delay)
that only the DAO's timelock may call."""


def _set(
    dao: Dao, table: Mapping[str, Setting], kind: str, name: str, value: Any, description: str
) -> Proposal:
    key = name.replace("-", "_")
    if key not in table:
        raise IntentError(f"unknown {kind} '{name}': choose one of {', '.join(table)}")
    setting = table[key]
    if setting.unit == "address":
        value = _address(value, name)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise IntentError(f"{name} takes an integer number of {setting.unit}, not {value!r}")
    if (reason := setting.check(dao, value)) is not None:
        raise IntentError(f"{name} {value} {reason}")
    contract = dao.contract(setting.contract)
    current = getattr(contract, setting.getter)()
    if current == value:
        raise IntentError(f"{name} is already {value} {setting.unit}: nothing to change")
    return _proposal(contract, 0, getattr(contract, setting.setter).encode_input(value), description)


def set_governor_setting(dao: Dao, *, setting: str, value: int, description: str) -> Proposal:
    """Change one of :data:`GOVERNOR_SETTINGS` (seconds, base units, or percent for the quorum)."""
    return _set(dao, GOVERNOR_SETTINGS, "governor setting", setting, value, description)


def set_parameter(dao: Dao, *, parameter: str, value: int | str, description: str) -> Proposal:
    """Change one of :data:`PARAMETERS` of the economy contracts."""
    return _set(dao, PARAMETERS, "protocol parameter", parameter, value, description)


# --- roles and the guardian --------------------------------------------------------------------------


def role_names(contract) -> list[str]:
    """The roles a contract declares: its ``*_ROLE`` getters that take no argument."""
    return sorted(abi.name for abi in contract.contract_type.view_methods
                  if abi.name.endswith("_ROLE") and not abi.inputs)  # fmt: skip


def resolve_role(dao: Dao, contract_name: str, role: str) -> tuple[Any, bytes]:
    """The contract and the bytes32 of ``role`` (a name such as SETTLER_ROLE) on it."""
    contract = dao.contract(contract_name)
    if "grantRole" not in {abi.name for abi in contract.contract_type.mutable_methods}:
        with_roles = [name for name, c in dao.contracts.items()
                      if "grantRole" in {abi.name for abi in c.contract_type.mutable_methods}]  # fmt: skip
        raise IntentError(
            f"{contract_name} has no roles; contracts with roles: {', '.join(sorted(with_roles))}"
        )
    names = role_names(contract)
    if role not in names:
        raise IntentError(f"{contract_name} has no role {role!r}; its roles: {', '.join(names)}")
    return contract, bytes(getattr(contract, role)())


def _role_change(
    dao: Dao, contract_name: str, role: str, account: str, description: str, grant: bool
) -> Proposal:
    account = _address(account, "account")
    contract, role_id = resolve_role(dao, contract_name, role)
    admin = bytes(contract.getRoleAdmin(role_id))
    timelock = dao.timelock.address
    if not contract.hasRole(admin, timelock):
        admin_name = next(
            (n for n in role_names(contract) if bytes(getattr(contract, n)()) == admin), admin.hex()
        )
        raise IntentError(
            f"the treasury timelock {timelock} does not hold {admin_name} on {contract_name}, which administers "
            f"{role}: the DAO cannot {'grant' if grant else 'revoke'} it there"
        )
    holds = contract.hasRole(role_id, account)
    if grant and holds:
        raise IntentError(f"{account} already holds {role} on {contract_name}: nothing to grant")
    if not grant and not holds:
        raise IntentError(f"{account} does not hold {role} on {contract_name}: nothing to revoke")
    if not grant and role == DEFAULT_ADMIN_ROLE and account == timelock:
        raise IntentError(
            f"revoking the timelock's own {role} on {contract_name} would leave it without an admin"
        )
    method = contract.grantRole if grant else contract.revokeRole
    return _proposal(contract, 0, method.encode_input(role_id, account), description)


def grant_role(dao: Dao, *, contract: str, role: str, account: str, description: str) -> Proposal:
    """Grant ``role`` (by name) on the deployed ``contract`` to ``account``."""
    return _role_change(dao, contract, role, account, description, grant=True)


def revoke_role(dao: Dao, *, contract: str, role: str, account: str, description: str) -> Proposal:
    """Revoke ``role`` (by name) on the deployed ``contract`` from ``account``."""
    return _role_change(dao, contract, role, account, description, grant=False)


def remove_guardian(dao: Dao, *, description: str) -> Proposal:
    """End the Foundation's proposal guardian: ``setProposalGuardian(address(0))``; afterwards the
    proposer can cancel its own proposals in any cancelable state (GovernorProposalGuardian)."""
    governor = dao.governor
    if int(governor.proposalGuardian(), 16) == 0:
        raise IntentError(f"governor {governor.address} has no proposal guardian: nothing to remove")
    return _proposal(governor, 0, governor.setProposalGuardian.encode_input(ZERO_ADDRESS), description)
