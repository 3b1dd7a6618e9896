"""The on-chain proposal lifecycle: propose, vote, queue, execute, cancel, status, delegate.

A proposal is kept as its actions and description (built from intents by
:mod:`sahara_dao.governance.intents`); its id is computed locally (the same hash as OpenZeppelin's
``hashProposal``) and checked against the chain when it is proposed. Every step checks the
proposal's state first and refuses with the reason before a transaction is sent.
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

    def timelock_operation(self, governor: str) -> bytes:
        """The id of this proposal's batch in the timelock (GovernorTimelockControl): ``hashOperationBatch``
        with no predecessor and the salt ``bytes20(governor) ^ descriptionHash``."""
        salt = bytes(
            a ^ b for a, b in zip(bytes.fromhex(governor[2:]) + bytes(12), self.description_hash, strict=True)
        )
        encoded = encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
            [list(self.targets), list(self.values), list(self.calldatas), bytes(32), salt],
        )
        return keccak(encoded)


def proposal_of(targets, values, calldatas, description: str) -> Proposal:
    """A proposal from stored or decoded values: values as integers or decimal strings, calldatas as
    bytes or 0x hex."""
    return Proposal(
        tuple(targets), tuple(int(v) for v in values),
        tuple(bytes.fromhex(c[2:]) if isinstance(c, str) else bytes(c) for c in calldatas), description,
    )  # fmt: skip


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
    if governor.proposalSnapshot(proposal.proposal_id) != 0:
        raise ProposalError(
            f"proposal {proposal.proposal_id} already exists (same actions and description): "
            "change the description to propose the same actions again"
        )
    receipt = governor.propose(*proposal.args(), proposal.description, sender=sender)
    created = receipt.events.filter(governor.ProposalCreated)
    chain_id = created[0].proposalId if created else None
    if chain_id != proposal.proposal_id:
        raise ProposalError(f"the governor created proposal {chain_id}, expected {proposal.proposal_id}")
    return proposal.proposal_id


def cast_vote(governor, proposal_id: int, support: Support, voter, reason: str = ""):
    """Vote For, Against or Abstain (with a reason when given); refuses, before sending, when voting
    is not open, when the voter has voted already, or had no votes at the proposal's snapshot."""
    state = ProposalState(governor.state(proposal_id))
    if state is not ProposalState.ACTIVE:
        raise ProposalError(
            f"proposal {proposal_id} is {state.name.lower()}, votes are taken only while active"
        )
    if governor.hasVoted(proposal_id, voter.address):
        raise ProposalError(
            f"{voter.address} has already voted on proposal {proposal_id}; a vote cannot be changed"
        )
    if governor.getVotes(voter.address, governor.proposalSnapshot(proposal_id)) == 0:
        raise ProposalError(
            f"{voter.address} had no votes at proposal {proposal_id}'s snapshot: votes count from delegations "
            "made before a proposal's voting starts (`sahara gov delegate` for the next ones)"
        )
    if reason:
        return governor.castVoteWithReason(proposal_id, int(support), reason, sender=voter)
    return governor.castVote(proposal_id, int(support), sender=voter)


def _require_state(governor, proposal: Proposal, wanted: set[ProposalState], action: str, hint: str) -> None:
    state = ProposalState(governor.state(proposal.proposal_id))
    if state not in wanted:
        raise ProposalError(f"proposal {proposal.proposal_id} is {state.name.lower()}: {action} {hint}")


def queue(governor, proposal: Proposal, sender):
    """Queue a succeeded proposal in the timelock."""
    _require_state(governor, proposal, {ProposalState.SUCCEEDED}, "only a succeeded proposal can be queued",
                   "(see `sahara gov status ID`)")  # fmt: skip
    return governor.queue(*proposal.args(), proposal.description_hash, sender=sender)


def execute(governor, proposal: Proposal, sender):
    """Execute a queued proposal once its timelock eta has passed."""
    _require_state(governor, proposal, {ProposalState.QUEUED}, "only a queued proposal can be executed",
                   "(queue it first with `sahara gov queue ID`)")  # fmt: skip
    from sahara_dao.core.chain import next_timestamp

    eta, now = governor.proposalEta(proposal.proposal_id), next_timestamp()
    if now < eta:
        raise ProposalError(
            f"proposal {proposal.proposal_id} is executable in {eta - now} s (at {eta}): wait"
        )
    return governor.execute(*proposal.args(), proposal.description_hash, sender=sender)


CANCELABLE = {ProposalState.PENDING, ProposalState.ACTIVE, ProposalState.SUCCEEDED, ProposalState.QUEUED}


def cancel(governor, proposal: Proposal, sender):
    """Cancel through the governor's cancel path (OpenZeppelin 5.3+ GovernorProposalGuardian): the
    guardian may cancel in any cancelable state; without a guardian the proposer may too; otherwise
    the proposer only while the proposal is pending. Refused before sending when ``sender`` may not."""
    proposal_id = proposal.proposal_id
    _require_state(governor, proposal, CANCELABLE, "it can no longer be canceled", "")
    state = ProposalState(governor.state(proposal_id))
    guardian = governor.proposalGuardian()
    proposer = governor.proposalProposer(proposal_id)
    no_guardian = int(guardian, 16) == 0
    allowed = sender.address == guardian or (
        sender.address == proposer and (no_guardian or state is ProposalState.PENDING)
    )
    if not allowed:
        who = (f"only its proposer {proposer} can" if no_guardian else
               f"only the proposal guardian {guardian} can, or its proposer {proposer} while it is pending")  # fmt: skip
        raise ProposalError(
            f"{sender.address} may not cancel proposal {proposal_id} ({state.name.lower()}): {who}"
        )
    return governor.cancel(*proposal.args(), proposal.description_hash, sender=sender)


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
    now: int  # the governor's clock (unix seconds) when read

    @property
    def quorum_reached(self) -> bool:
        return self.for_ + self.abstain >= self.quorum

    @property
    def quorum_progress_bps(self) -> int:
        """For + Abstain in basis points of the quorum (10,000 = reached), rounded down."""
        return quorum_bps(self.for_ + self.abstain, self.quorum)

    @property
    def time_left(self) -> tuple[str, int] | None:
        """What the proposal waits for and the seconds until then: voting to start (pending), to end
        (active) or the timelock's eta (queued); None in the other states."""
        return time_left(
            self.state, now=self.now, snapshot=self.snapshot, deadline=self.deadline, eta=self.eta
        )


def quorum_bps(counted: int, quorum: int) -> int:
    """``counted`` votes (For + Abstain) in basis points of ``quorum``, rounded down."""
    return counted * 10_000 // quorum if quorum else 10_000


def time_left(
    state: ProposalState, *, now: int, snapshot: int, deadline: int, eta: int
) -> tuple[str, int] | None:
    """(what, seconds) until the next step of a proposal in ``state`` (see ProposalStatus.time_left).
    A proposal is pending up to and including its snapshot and active up to and including its deadline."""
    if state is ProposalState.PENDING:
        return "voting starts", max(snapshot + 1 - now, 0)
    if state is ProposalState.ACTIVE:
        return "voting ends", max(deadline + 1 - now, 0)
    if state is ProposalState.QUEUED:
        return "executable", max(eta - now, 0)
    return None


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
        now=governor.clock(),
    )


def delegate(token, delegatee: str, sender):
    """Delegate the sender's votes (eth-ape 0.8.51 shadows ``delegate`` on contracts, hence invoke)."""
    return token.invoke_transaction("delegate", delegatee, sender=sender)
