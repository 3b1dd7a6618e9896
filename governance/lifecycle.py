"""The on-chain proposal lifecycle: build proposals from intents, propose, vote, queue, execute.

A proposal is kept as its actions and description; its id is computed locally (the same hash as
OpenZeppelin's ``hashProposal``) and checked against the chain when it is proposed.
"""

from dataclasses import dataclass
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak

from sahara_dao.core.units import format_tokens
from sahara_dao.governance.errors import ProposalError


class ProposalState(IntEnum):
    """OpenZeppelin's ``IGovernor.ProposalState``."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class Support(IntEnum):
    """``GovernorCountingSimple`` vote types."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Proposal:
    targets: tuple[str, ...]
    values: tuple[int, ...]
    calldatas: tuple[bytes, ...]
    description: str

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def proposal_id(self) -> int:
        """``keccak256(abi.encode(targets, values, calldatas, descriptionHash))``, as the governor computes it."""
        encoded = encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32"],
            [list(self.targets), list(self.values), list(self.calldatas), self.description_hash],
        )
        return int.from_bytes(keccak(encoded), "big")

    def args(self) -> tuple:
        return list(self.targets), list(self.values), list(self.calldatas)


def treasury_transfer(token, recipient: str, amount: int, description: str) -> Proposal:
    """A proposal that makes the timelock (treasury) send ``amount`` base units of ``token``."""
    if amount <= 0:
        raise ProposalError(f"a treasury transfer needs a positive amount, not {amount}")
    calldata = bytes(token.transfer.encode_input(recipient, amount))
    return Proposal((token.address,), (0,), (calldata,), description)


def propose(governor, proposal: Proposal, sender) -> int:
    """Submit ``proposal``; returns its id after checking it against the ``ProposalCreated`` event."""
    threshold = governor.proposalThreshold()
    votes = governor.getVotes(sender.address, governor.clock() - 1)
    if votes < threshold:
        raise ProposalError(
            f"{sender.address} has {format_tokens(votes)} votes, the proposal threshold is "
            f"{format_tokens(threshold)}: delegate to yourself (`sahara gov delegate`); delegated votes "
            "count from the next second on"
        )
    receipt = governor.propose(*proposal.args(), proposal.description, sender=sender)
    created = receipt.events.filter(governor.ProposalCreated)
    chain_id = created[0].proposalId if created else None
    if chain_id != proposal.proposal_id:
        raise ProposalError(f"the governor created proposal {chain_id}, expected {proposal.proposal_id}")
    return proposal.proposal_id


def cast_vote(governor, proposal_id: int, support: Support, voter, reason: str = ""):
    """Vote For, Against or Abstain (with a reason when given); refuses when voting is not open."""
    state = ProposalState(governor.state(proposal_id))
    if state is not ProposalState.ACTIVE:
        raise ProposalError(
            f"proposal {proposal_id} is {state.name.lower()}, votes are taken only while active"
        )
    if reason:
        return governor.castVoteWithReason(proposal_id, int(support), reason, sender=voter)
    return governor.castVote(proposal_id, int(support), sender=voter)


def queue(governor, proposal: Proposal, sender):
    return governor.queue(*proposal.args(), proposal.description_hash, sender=sender)


def execute(governor, proposal: Proposal, sender):
    return governor.execute(*proposal.args(), proposal.description_hash, sender=sender)


@dataclass(frozen=True)
class ProposalStatus:
    proposal_id: int
    state: ProposalState
    against: int
    for_: int
    abstain: int
    quorum: int
    snapshot: int
    deadline: int
    eta: int

    @property
    def quorum_reached(self) -> bool:
        return self.for_ + self.abstain >= self.quorum


def status(governor, proposal_id: int) -> ProposalStatus:
    """State, tallies, quorum and times (unix seconds) of one proposal, read from the chain."""
    snapshot = governor.proposalSnapshot(proposal_id)
    if snapshot == 0:
        raise ProposalError(f"proposal {proposal_id} does not exist on this governor")
    against, for_, abstain = governor.proposalVotes(proposal_id)
    return ProposalStatus(
        proposal_id=proposal_id,
        state=ProposalState(governor.state(proposal_id)),
        against=against,
        for_=for_,
        abstain=abstain,
        quorum=governor.quorum(min(snapshot, governor.clock() - 1)),
        snapshot=snapshot,
        deadline=governor.proposalDeadline(proposal_id),
        eta=governor.proposalEta(proposal_id),
    )


def delegate(token, delegatee: str, sender):
    """Delegate the sender's votes (eth-ape 0.8.51 shadows ``delegate`` on contracts, hence invoke)."""
    return token.invoke_transaction("delegate", delegatee, sender=sender)
