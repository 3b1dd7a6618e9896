"""The governance contracts for the chain indexer (projector ``governance`` of
``sahara_dao.projectors``), and the tables derived from their events and the token's:

| event (contract)                                   | rows                         |
|----------------------------------------------------|------------------------------|
| ProposalCreated (governor)                         | gov_proposal                 |
| ProposalQueued / Executed / Canceled / Extended    | gov_proposal_step            |
| CallExecuted (timelock)                            | gov_timelock_execution       |
| VoteCast, VoteCastWithParams (governor)            | gov_vote                     |
| DelegateChanged (token)                            | gov_delegation               |
| DelegateVotesChanged (token)                       | gov_delegate_votes           |
| VotingDelaySet, VotingPeriodSet, ProposalThresholdSet, QuorumNumeratorUpdated,            |
| LateQuorumVoteExtensionSet, ProposalGuardianSet (governor); MinDelayChange (timelock)     |
|                                                    | gov_setting_change           |
| Transfer from or to the zero address (token)       | gov_supply_change            |

Each row keeps the id of its event: a reorg that drops the event drops the row. The token's type
comes from the ``token`` projector; this one only reads its stored events. Other events of these
contracts (CallScheduled, RoleGranted, ...) stay in ``chain_event`` only.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import SQLModel

from sahara_dao.core.indexer import Projector, project_by_rules
from sahara_dao.core.models import ChainEvent
from sahara_dao.governance.lifecycle import proposal_of
from sahara_dao.governance.models import (
    GovDelegateVotes,
    GovDelegation,
    GovProposal,
    GovProposalStep,
    GovSettingChange,
    GovSupplyChange,
    GovTimelockExecution,
    GovVote,
)

ZERO_ADDRESS = "0x" + "00" * 20


def _where(event: ChainEvent) -> dict[str, Any]:
    return {"chain_id": event.chain_id, "block_number": event.block_number, "log_index": event.log_index,
            "occurred_at": event.block_timestamp, "event_id": event.id}  # fmt: skip


def _proposal(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    actions = proposal_of(a["targets"], a["values"], a["calldatas"], a["description"])
    return [GovProposal(
        **_where(event), governor=event.address, proposal_id=str(a["proposalId"]), proposer=a["proposer"],
        targets=list(a["targets"]), values=[str(v) for v in a["values"]], calldatas=list(a["calldatas"]),
        signatures=list(a["signatures"]), description=a["description"], vote_start=int(a["voteStart"]),
        vote_end=int(a["voteEnd"]), timelock_operation="0x" + actions.timelock_operation(event.address).hex(),
        tx_hash=event.tx_hash,
    )]  # fmt: skip


def _timelock_execution(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [GovTimelockExecution(**_where(event), operation=a["id"], call_index=int(a["index"]))]


def _step(
    step: str, value_key: str | None = None
) -> Callable[[ChainEvent, Mapping[str, Any]], list[SQLModel]]:
    def rows(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
        value = int(a[value_key]) if value_key else None
        return [GovProposalStep(**_where(event), governor=event.address, proposal_id=str(a["proposalId"]),
                                step=step, value=value)]  # fmt: skip

    return rows


def _vote(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [GovVote(**_where(event), governor=event.address, proposal_id=str(a["proposalId"]), voter=a["voter"],
                    support=int(a["support"]), weight=int(a["weight"]), reason=a["reason"],
                    params=a.get("params"), tx_hash=event.tx_hash)]  # fmt: skip


def _delegation(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [GovDelegation(**_where(event), delegator=a["delegator"], from_delegate=a["fromDelegate"],
                          to_delegate=a["toDelegate"])]  # fmt: skip


def _delegate_votes(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [GovDelegateVotes(**_where(event), delegate=a["delegate"], previous_votes=int(a["previousVotes"]),
                             new_votes=int(a["newVotes"]))]  # fmt: skip


def _setting(setting: str, old: str, new: str) -> Callable[[ChainEvent, Mapping[str, Any]], list[SQLModel]]:
    def rows(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
        return [GovSettingChange(**_where(event), contract=event.contract, setting=setting,
                                 old_value=str(a[old]), new_value=str(a[new]))]  # fmt: skip

    return rows


def _supply(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    minted = int(a["value"]) if a["from"] == ZERO_ADDRESS else 0
    burned = int(a["value"]) if a["to"] == ZERO_ADDRESS else 0
    if not minted and not burned:
        return []
    return [GovSupplyChange(**_where(event), minted=minted, burned=burned)]


Rows = Callable[[ChainEvent, Mapping[str, Any]], list[SQLModel]]
SETTINGS = (GovSettingChange,)

RULES: dict[tuple[str, str], tuple[tuple[type[SQLModel], ...], Rows]] = {
    ("governor", "ProposalCreated"): ((GovProposal,), _proposal),
    ("governor", "ProposalQueued"): ((GovProposalStep,), _step("queued", "etaSeconds")),
    ("governor", "ProposalExecuted"): ((GovProposalStep,), _step("executed")),
    ("governor", "ProposalCanceled"): ((GovProposalStep,), _step("canceled")),
    ("governor", "ProposalExtended"): ((GovProposalStep,), _step("extended", "extendedDeadline")),
    ("timelock", "CallExecuted"): ((GovTimelockExecution,), _timelock_execution),
    ("governor", "VoteCast"): ((GovVote,), _vote),
    ("governor", "VoteCastWithParams"): ((GovVote,), _vote),
    ("governor", "VotingDelaySet"): (SETTINGS, _setting("voting_delay", "oldVotingDelay", "newVotingDelay")),
    ("governor", "VotingPeriodSet"): (SETTINGS, _setting("voting_period", "oldVotingPeriod", "newVotingPeriod")),
    ("governor", "ProposalThresholdSet"): (
        SETTINGS, _setting("proposal_threshold", "oldProposalThreshold", "newProposalThreshold")),
    ("governor", "QuorumNumeratorUpdated"): (
        SETTINGS, _setting("quorum_numerator", "oldQuorumNumerator", "newQuorumNumerator")),
    ("governor", "LateQuorumVoteExtensionSet"): (
        SETTINGS, _setting("late_quorum_extension", "oldVoteExtension", "newVoteExtension")),
    ("governor", "ProposalGuardianSet"): (
        SETTINGS, _setting("proposal_guardian", "oldProposalGuardian", "newProposalGuardian")),
    ("timelock", "MinDelayChange"): (SETTINGS, _setting("timelock_delay", "oldDuration", "newDuration")),
    ("token", "DelegateChanged"): ((GovDelegation,), _delegation),
    ("token", "DelegateVotesChanged"): ((GovDelegateVotes,), _delegate_votes),
    ("token", "Transfer"): ((GovSupplyChange,), _supply),
}  # fmt: skip
"""(deployment name, event) -> (tables written, rows from the event and its decoded arguments)."""

# Multicall3 (the vote relay's batcher) emits no event of its own: it is listed so that every contract
# of a deployment record has a type.
projector = Projector(
    contracts={"timelock": "SaharaTimelock", "governor": "SaharaGovernor", "multicall3": "Multicall3"},
    project=project_by_rules(RULES),
)
