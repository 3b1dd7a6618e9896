"""SaharaGovernor: the proposal lifecycle through the treasury timelock, votes and signed ballots,
late-quorum protection, the Foundation proposal guardian, and settings changed by governance.

Errors in the ABI that no call can reach, so no test triggers them:
- GovernorProposalQueueingNotRequired: with GovernorTimelockControl every proposal needs queuing.
- GovernorProposalQueueingFailed: a timelock eta (now + delay) is never 0.
- GovernorAlreadyQueuedProposal: raised only by GovernorTimelockCompound, not used here.
- GovernorInvalidVoteParams: GovernorCountingSimple ignores vote params.
- InvalidAccountNonce: the governor never checks a caller-supplied nonce (ballots use the
  current nonce, a mismatch is GovernorInvalidSignature; see the castVoteBySig tests).
- ERC6372InconsistentClock: raised only when the token's CLOCK_MODE() fails and the fallback
  clock is not the block number; both tokens of this project implement CLOCK_MODE().
- CheckpointUnorderedInsertion: the quorum history is keyed by block timestamps, which never decrease.
- StringTooLong / InvalidShortString: the EIP-712 name "SaharaGovernor" and version "1" are constants.
Through governance a voting period of 0 is caught first by SaharaGovernorVotingPeriodBelowVoteExtension
(0 < extension); GovernorInvalidVotingPeriod is reached there only once the extension is 0 (see
test_governance_cannot_set_zero_voting_period).
"""

import pytest
from eth_utils import keccak


def transfer_action(token, recipient, amount):
    return (token, 0, token.transfer.encode_input(recipient, amount))


@pytest.fixture
def treasury_payout(token, recipient, params):
    """The action of a treasury grant: the timelock pays 1,000,000 SAHARA to the recipient."""
    return transfer_action(token, recipient, 1_000_000 * params.E)


@pytest.fixture
def deploy_governor(project, token, timelock, deployer, guardian, params):
    """Deploys another SaharaGovernor with the DAO's settings, overridden by keyword."""

    def _deploy_governor(**overrides):
        settings = dict(
            token=token,
            timelock=timelock,
            voting_delay=params.VOTING_DELAY,
            voting_period=params.VOTING_PERIOD,
            threshold=params.PROPOSAL_THRESHOLD,
            quorum=params.QUORUM_NUMERATOR,
            extension=params.VOTE_EXTENSION,
            guardian=guardian,
        )
        settings.update(overrides)
        return project.SaharaGovernor.deploy(*settings.values(), sender=deployer)

    return _deploy_governor


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------


def test_governor_is_configured_from_deployment(governor, token, timelock, guardian, params):
    """The governor reports the settings, token, timelock and guardian it was deployed with."""
    assert governor.name() == "SaharaGovernor"
    assert governor.version() == "1"
    assert governor.token() == token.address
    assert governor.timelock() == timelock.address
    assert governor.votingDelay() == params.VOTING_DELAY
    assert governor.votingPeriod() == params.VOTING_PERIOD
    assert governor.proposalThreshold() == params.PROPOSAL_THRESHOLD
    assert governor.quorumNumerator() == params.QUORUM_NUMERATOR
    assert governor.quorumDenominator() == 100
    assert governor.lateQuorumVoteExtension() == params.VOTE_EXTENSION
    assert governor.proposalGuardian() == guardian.address
    assert governor.COUNTING_MODE() == "support=bravo&quorum=for,abstain"


def test_governor_clock_is_the_token_timestamp_clock(governor, token, chain):
    """The governor reports the token's timestamp clock and the same CLOCK_MODE."""
    assert governor.CLOCK_MODE() == token.CLOCK_MODE() == "mode=timestamp"
    assert governor.clock() == token.clock() == chain.blocks.head.timestamp


def test_governor_on_block_clock_token_reports_block_number_mode(
    project, deploy_governor, chain, deployer, params
):
    """A governor on the block-number BlockClockVotes fixture reports that token's clock, not timestamps."""
    block_token = project.BlockClockVotes.deploy(deployer, params.E, sender=deployer)
    block_governor = deploy_governor(token=block_token)
    assert block_governor.CLOCK_MODE() == "mode=blocknumber&from=default"
    assert block_governor.clock() == block_token.clock() == chain.blocks.head.number


def test_quorum_is_four_percent_of_past_supply(governor, token, chain, params, reverts):
    """The quorum is 4% of the total supply at a past timestamp; the present cannot be looked up."""
    now = chain.blocks.head.timestamp
    assert governor.quorum(now - 1) == params.QUORUM == 400_000_000 * params.E
    with reverts(token.ERC5805FutureLookup, timepoint=now, clock=now):
        governor.quorum(now)
    with reverts(token.ERC5805FutureLookup, timepoint=now + 1, clock=now):
        governor.getVotes(params.ZERO_ADDRESS, now + 1)


def test_constructor_rejects_zero_voting_period(project, deploy_governor, reverts):
    """Deploying with a voting period of 0 reverts with GovernorInvalidVotingPeriod."""
    with reverts(project.SaharaGovernor.GovernorInvalidVotingPeriod, votingPeriod=0):
        deploy_governor(voting_period=0, extension=0)


def test_constructor_rejects_vote_extension_above_voting_period(project, deploy_governor, params, reverts):
    """Deploying with a late-quorum extension longer than the voting period reverts."""
    with reverts(
        project.SaharaGovernor.GovernorPreventLateQuorumVoteExtensionTooLarge,
        newVoteExtension=params.VOTING_PERIOD + 1,
        maxVoteExtension=params.VOTING_PERIOD,
    ):
        deploy_governor(extension=params.VOTING_PERIOD + 1)


def test_constructor_rejects_quorum_fraction_above_denominator(project, deploy_governor, reverts):
    """Deploying with a quorum numerator above 100 reverts with GovernorInvalidQuorumFraction."""
    with reverts(
        project.SaharaGovernor.GovernorInvalidQuorumFraction, quorumNumerator=101, quorumDenominator=100
    ):
        deploy_governor(quorum=101)


def test_sending_ether_to_governor_reverts(governor, other, reverts):
    """The governor refuses ETH (the timelock holds the treasury) with GovernorDisabledDeposit."""
    with reverts(governor.GovernorDisabledDeposit):
        other.transfer(governor, 1)
    assert governor.balance == 0


# --------------------------------------------------------------------------------------------------
# Proposing
# --------------------------------------------------------------------------------------------------


def test_propose_creates_pending_proposal(
    governor, propose, treasury_payout, proposer, params, proposal_state
):
    """Proposing emits ProposalCreated and opens voting one day later, for seven days."""
    proposal = propose([treasury_payout], "Grant 1M SAHARA to the recipient")
    proposed_at = proposal.receipt.timestamp
    [created] = proposal.receipt.events.filter(governor.ProposalCreated)
    assert created.proposalId == proposal.id
    assert created.proposer == proposer.address
    assert created.targets == proposal.targets
    assert [bytes(c) for c in created.calldatas] == proposal.calldatas
    assert created.voteStart == proposed_at + params.VOTING_DELAY
    assert created.voteEnd == proposed_at + params.VOTING_DELAY + params.VOTING_PERIOD
    assert created.description == proposal.description
    assert governor.state(proposal.id) == proposal_state.PENDING
    assert governor.proposalProposer(proposal.id) == proposer.address
    assert governor.proposalSnapshot(proposal.id) == created.voteStart
    assert governor.proposalDeadline(proposal.id) == created.voteEnd
    assert governor.proposalNeedsQueuing(proposal.id)


def test_propose_below_threshold_reverts(governor, propose, treasury_payout, other, params, reverts):
    """An account with fewer votes than the threshold cannot propose."""
    with reverts(
        governor.GovernorInsufficientProposerVotes,
        proposer=other,
        votes=0,
        threshold=params.PROPOSAL_THRESHOLD,
    ):
        propose([treasury_payout], "Grant", sender=other)


def test_propose_threshold_counts_delegated_votes_only(
    governor, token, propose, treasury_payout, other, voter, params, reverts
):
    """Holding the threshold is not enough to propose: the tokens must be delegated first."""
    token.transfer(other, params.PROPOSAL_THRESHOLD, sender=voter)
    with reverts(governor.GovernorInsufficientProposerVotes, proposer=other, votes=0):
        propose([treasury_payout], "Grant", sender=other)
    delegated = token.invoke_transaction("delegate", other, sender=other)
    proposal = propose([treasury_payout], "Grant", sender=other)
    assert proposal.receipt.timestamp > delegated.timestamp  # votes are read at clock() - 1
    assert governor.proposalProposer(proposal.id) == other.address


def test_propose_with_inconsistent_actions_reverts(governor, proposer, token, reverts):
    """A proposal whose targets, values and calldatas differ in length, or are empty, reverts."""
    with reverts(governor.GovernorInvalidProposalLength, targets=1, calldatas=0, values=1):
        governor.propose([token], [0], [], "Broken", sender=proposer)
    with reverts(governor.GovernorInvalidProposalLength, targets=0, calldatas=0, values=0):
        governor.propose([], [], [], "Empty", sender=proposer)


def test_propose_twice_reverts(governor, propose, treasury_payout, reverts, proposal_state):
    """Proposing the same actions with the same description again reverts: the proposal exists."""
    proposal = propose([treasury_payout], "Grant")
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.PENDING,
        expectedStates=b"\x00" * 32,
    ):
        propose([treasury_payout], "Grant")


def test_description_restricted_to_another_proposer_reverts(
    governor, propose, treasury_payout, proposer, voter, reverts
):
    """A description ending in #proposer=<address> can be proposed only by that address."""
    description = f"Grant for the voter #proposer={voter.address}"
    with reverts(governor.GovernorRestrictedProposer, proposer=proposer):
        propose([treasury_payout], description, sender=proposer)
    proposal = propose([treasury_payout], description, sender=voter)
    assert governor.proposalProposer(proposal.id) == voter.address


def test_state_of_unknown_proposal_reverts(governor, reverts):
    """Asking the state of a proposal that was never made reverts with GovernorNonexistentProposal."""
    with reverts(governor.GovernorNonexistentProposal, proposalId=12345):
        governor.state(12345)


# --------------------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------------------


def test_full_lifecycle_pays_recipient_from_treasury(
    governor,
    token,
    timelock,
    chain,
    propose,
    start_voting,
    end_voting,
    treasury_payout,
    voter,
    holder,
    abstainer,
    recipient,
    other,
    params,
    proposal_state,
    vote,
):
    """A grant is proposed, voted For/Against/Abstain, queued, and executed from the treasury."""
    amount = 1_000_000 * params.E
    proposal = propose([treasury_payout], "Grant 1M SAHARA to the recipient")
    start_voting(proposal)
    assert governor.state(proposal.id) == proposal_state.ACTIVE

    governor.castVote(proposal.id, vote.FOR, sender=voter)
    governor.castVote(proposal.id, vote.AGAINST, sender=holder)
    governor.castVote(proposal.id, vote.ABSTAIN, sender=abstainer)
    assert governor.proposalVotes(proposal.id) == (params.HOLDER, params.VOTER, params.ABSTAINER)
    assert governor.hasVoted(proposal.id, voter) and not governor.hasVoted(proposal.id, other)

    end_voting(proposal)
    assert governor.state(proposal.id) == proposal_state.SUCCEEDED

    queued = governor.queue(*proposal.args, sender=other)
    eta = queued.timestamp + params.MIN_DELAY
    [event] = queued.events.filter(governor.ProposalQueued)
    assert (event.proposalId, event.etaSeconds) == (proposal.id, eta)
    assert governor.proposalEta(proposal.id) == eta
    assert governor.state(proposal.id) == proposal_state.QUEUED

    chain.mine(timestamp=eta)
    treasury_before = token.balanceOf(timelock)
    assert token.balanceOf(recipient) == 0
    executed = governor.execute(*proposal.args, sender=other)
    assert [e.proposalId for e in executed.events.filter(governor.ProposalExecuted)] == [proposal.id]
    [transfer] = executed.events.filter(token.Transfer)
    assert (transfer.event_arguments["from"], transfer.to, transfer.value) == (
        timelock.address,
        recipient.address,
        amount,
    )
    assert token.balanceOf(timelock) == treasury_before - amount == params.TREASURY - amount
    assert token.balanceOf(recipient) == amount
    assert governor.state(proposal.id) == proposal_state.EXECUTED


def test_queued_proposal_never_expires(
    governor,
    token,
    chain,
    propose,
    pass_proposal,
    queue_proposal,
    treasury_payout,
    recipient,
    other,
    params,
    proposal_state,
):
    """A queued proposal has no grace period: a year past its eta it is still Queued and executes."""
    proposal = propose([treasury_payout], "Grant")
    pass_proposal(proposal)
    queue_proposal(proposal)
    chain.mine(deltatime=365 * params.DAY)
    assert governor.state(proposal.id) == proposal_state.QUEUED
    governor.execute(*proposal.args, sender=other)
    assert governor.state(proposal.id) == proposal_state.EXECUTED
    assert token.balanceOf(recipient) == 1_000_000 * params.E


def test_execute_before_eta_reverts_in_timelock(
    governor, timelock, propose, pass_proposal, treasury_payout, other, reverts, bitmap, proposal_state
):
    """Executing a queued proposal before its eta reverts with the timelock's TimelockUnexpectedOperationState."""
    proposal = propose([treasury_payout], "Grant")
    pass_proposal(proposal)
    governor.queue(*proposal.args, sender=other)
    salt = (int(governor.address, 16) << 96) ^ int.from_bytes(proposal.description_hash, "big")
    operation_id = timelock.hashOperationBatch(*proposal.args[:3], b"\x00" * 32, salt.to_bytes(32, "big"))
    assert timelock.isOperationPending(operation_id)
    with reverts(
        timelock.TimelockUnexpectedOperationState, operationId=operation_id, expectedStates=bitmap(2)
    ):
        governor.execute(*proposal.args, sender=other)
    assert governor.state(proposal.id) == proposal_state.QUEUED


def test_vote_before_voting_starts_reverts(
    governor, propose, treasury_payout, voter, reverts, bitmap, proposal_state, vote
):
    """Voting on a Pending proposal reverts: votes are accepted only while Active."""
    proposal = propose([treasury_payout], "Grant")
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.PENDING,
        expectedStates=bitmap(proposal_state.ACTIVE),
    ):
        governor.castVote(proposal.id, vote.FOR, sender=voter)


def test_vote_after_deadline_reverts(
    governor, propose, pass_proposal, treasury_payout, holder, reverts, bitmap, proposal_state, vote
):
    """Voting after the deadline reverts with the proposal's final state."""
    proposal = propose([treasury_payout], "Grant")
    pass_proposal(proposal)
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.SUCCEEDED,
        expectedStates=bitmap(proposal_state.ACTIVE),
    ):
        governor.castVote(proposal.id, vote.AGAINST, sender=holder)


def test_voting_twice_reverts(governor, propose, start_voting, treasury_payout, voter, reverts, vote):
    """A second vote by the same account reverts with GovernorAlreadyCastVote."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    governor.castVote(proposal.id, vote.FOR, sender=voter)
    with reverts(governor.GovernorAlreadyCastVote, voter=voter):
        governor.castVote(proposal.id, vote.AGAINST, sender=voter)


def test_unknown_vote_type_reverts(governor, propose, start_voting, treasury_payout, voter, reverts):
    """A support value other than Against/For/Abstain reverts with GovernorInvalidVoteType."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    with reverts(governor.GovernorInvalidVoteType):
        governor.castVote(proposal.id, 3, sender=voter)
    assert not governor.hasVoted(proposal.id, voter)


def test_cast_vote_with_reason_records_the_reason(
    governor, propose, start_voting, treasury_payout, holder, params, vote
):
    """castVoteWithReason emits VoteCast with the voter's weight and reason."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    receipt = governor.castVoteWithReason(proposal.id, vote.AGAINST, "treasury too thin", sender=holder)
    [cast] = receipt.events.filter(governor.VoteCast)
    assert (cast.voter, cast.proposalId, cast.support, cast.weight, cast.reason) == (
        holder.address,
        proposal.id,
        vote.AGAINST,
        params.HOLDER,
        "treasury too thin",
    )
    assert governor.proposalVotes(proposal.id) == (params.HOLDER, 0, 0)


def test_vote_weight_is_fixed_at_the_snapshot(
    governor, token, propose, start_voting, treasury_payout, holder, other, params, vote
):
    """Tokens moved after the snapshot do not change a vote's weight."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    token.transfer(other, params.HOLDER, sender=holder)
    assert token.getVotes(holder) == 0
    governor.castVote(proposal.id, vote.FOR, sender=holder)
    assert governor.proposalVotes(proposal.id) == (0, params.HOLDER, 0)


def test_proposal_below_quorum_is_defeated(
    governor,
    propose,
    start_voting,
    end_voting,
    treasury_payout,
    holder,
    other,
    reverts,
    bitmap,
    proposal_state,
    vote,
):
    """A unanimous For below the 4% quorum is Defeated and cannot be queued."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    governor.castVote(proposal.id, vote.FOR, sender=holder)  # 3% of the supply
    end_voting(proposal)
    assert governor.state(proposal.id) == proposal_state.DEFEATED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.DEFEATED,
        expectedStates=bitmap(proposal_state.SUCCEEDED),
    ):
        governor.queue(*proposal.args, sender=other)


def test_proposal_with_against_majority_is_defeated(
    governor,
    propose,
    start_voting,
    end_voting,
    treasury_payout,
    voter,
    holder,
    abstainer,
    params,
    proposal_state,
    vote,
):
    """Quorum reached with For and Abstain still Defeats a proposal when Against outweighs For."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    governor.castVote(proposal.id, vote.FOR, sender=holder)
    governor.castVote(proposal.id, vote.ABSTAIN, sender=abstainer)
    governor.castVote(proposal.id, vote.AGAINST, sender=voter)
    assert params.HOLDER + params.ABSTAINER >= params.QUORUM  # quorum is met
    end_voting(proposal)
    assert governor.state(proposal.id) == proposal_state.DEFEATED


def test_succeeded_proposal_never_queued_stays_succeeded(
    governor, chain, propose, pass_proposal, treasury_payout, other, params, reverts, bitmap, proposal_state
):
    """A Succeeded proposal that nobody queues never expires and cannot be executed unqueued."""
    proposal = propose([treasury_payout], "Grant")
    pass_proposal(proposal)
    chain.mine(deltatime=365 * params.DAY)
    assert governor.state(proposal.id) == proposal_state.SUCCEEDED
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.SUCCEEDED,
        expectedStates=bitmap(proposal_state.QUEUED),
    ):
        governor.execute(*proposal.args, sender=other)


def test_failing_action_reverts_execute_with_failed_call(
    governor, token, propose, pass_proposal, queue_proposal, other, reverts, proposal_state
):
    """A queued action that reverts without data makes execute revert with FailedCall."""
    proposal = propose([(token, 0, bytes.fromhex("deadbeef"))], "Call a function the token lacks")
    pass_proposal(proposal)
    queue_proposal(proposal)
    with reverts(governor.FailedCall):
        governor.execute(*proposal.args, sender=other)
    assert governor.state(proposal.id) == proposal_state.QUEUED


def test_grant_above_treasury_balance_reverts_execute(
    governor, token, timelock, propose, pass_proposal, queue_proposal, recipient, other, params, reverts
):
    """A grant larger than the treasury fails at execution with the token's ERC20InsufficientBalance."""
    too_much = params.TREASURY + 1
    proposal = propose([transfer_action(token, recipient, too_much)], "Grant more than the treasury")
    pass_proposal(proposal)
    queue_proposal(proposal)
    with reverts(token.ERC20InsufficientBalance, sender=timelock, balance=params.TREASURY, needed=too_much):
        governor.execute(*proposal.args, sender=other)


# --------------------------------------------------------------------------------------------------
# Signed ballots (GovernorNoncesKeyed)
# --------------------------------------------------------------------------------------------------


def key_of(proposal_id):
    """The NoncesKeyed key of a proposal: uint192(proposalId)."""
    return proposal_id % 2**192


def test_cast_vote_by_sig_with_keyed_nonce(
    governor, propose, start_voting, treasury_payout, voter, other, sign_ballot, params, vote
):
    """A ballot signed with the proposal's keyed nonce is counted and advances only that key."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    keyed = governor.nonces(voter, key_of(proposal.id))
    assert keyed == key_of(proposal.id) << 64
    signature = sign_ballot(voter, proposal.id, vote.FOR, keyed)
    receipt = governor.castVoteBySig(proposal.id, vote.FOR, voter, signature, sender=other)
    [cast] = receipt.events.filter(governor.VoteCast)
    assert (cast.voter, cast.support, cast.weight) == (voter.address, vote.FOR, params.VOTER)
    assert governor.nonces(voter, key_of(proposal.id)) == keyed + 1
    assert governor.nonces(voter) == 0


def test_cast_vote_by_sig_with_plain_nonce(
    governor, propose, start_voting, treasury_payout, holder, other, sign_ballot, params, vote
):
    """A ballot signed with the plain account nonce is still accepted and advances that nonce."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    signature = sign_ballot(holder, proposal.id, vote.AGAINST, governor.nonces(holder))
    governor.castVoteBySig(proposal.id, vote.AGAINST, holder, signature, sender=other)
    assert governor.proposalVotes(proposal.id) == (params.HOLDER, 0, 0)
    assert governor.nonces(holder) == 1
    assert governor.nonces(holder, key_of(proposal.id)) == key_of(proposal.id) << 64


def test_keyed_ballots_for_two_proposals_are_both_accepted(
    governor,
    propose,
    start_voting,
    treasury_payout,
    token,
    recipient,
    voter,
    other,
    sign_ballot,
    params,
    vote,
):
    """Ballots signed up front with keyed nonce 0 for two proposals are both accepted, in any order."""
    first = propose([treasury_payout], "Grant one")
    second = propose([transfer_action(token, recipient, 2 * params.E)], "Grant two")
    ballots = {
        p.id: sign_ballot(voter, p.id, vote.FOR, governor.nonces(voter, key_of(p.id)))
        for p in (first, second)
    }
    start_voting(second)
    governor.castVoteBySig(second.id, vote.FOR, voter, ballots[second.id], sender=other)
    governor.castVoteBySig(first.id, vote.FOR, voter, ballots[first.id], sender=other)
    assert governor.hasVoted(first.id, voter) and governor.hasVoted(second.id, voter)
    assert governor.proposalVotes(first.id) == governor.proposalVotes(second.id) == (0, params.VOTER, 0)


def test_plain_nonce_ballots_for_two_proposals_conflict(
    governor,
    propose,
    start_voting,
    treasury_payout,
    token,
    recipient,
    voter,
    other,
    sign_ballot,
    params,
    reverts,
    vote,
):
    """Two ballots signed with the same plain nonce cannot both count: the second is an invalid signature."""
    first = propose([treasury_payout], "Grant one")
    second = propose([transfer_action(token, recipient, 2 * params.E)], "Grant two")
    ballots = {p.id: sign_ballot(voter, p.id, vote.FOR, 0) for p in (first, second)}
    start_voting(second)
    governor.castVoteBySig(second.id, vote.FOR, voter, ballots[second.id], sender=other)
    with reverts(governor.GovernorInvalidSignature, voter=voter):
        governor.castVoteBySig(first.id, vote.FOR, voter, ballots[first.id], sender=other)
    assert not governor.hasVoted(first.id, voter)


def test_replayed_ballot_reverts(
    governor, propose, start_voting, treasury_payout, voter, other, sign_ballot, reverts, vote
):
    """Submitting the same signed ballot twice reverts with GovernorInvalidSignature."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    signature = sign_ballot(voter, proposal.id, vote.FOR, governor.nonces(voter, key_of(proposal.id)))
    governor.castVoteBySig(proposal.id, vote.FOR, voter, signature, sender=other)
    with reverts(governor.GovernorInvalidSignature, voter=voter):
        governor.castVoteBySig(proposal.id, vote.FOR, voter, signature, sender=other)


def test_ballot_signed_by_another_key_reverts(
    governor, propose, start_voting, treasury_payout, voter, other, sign_ballot, reverts, vote
):
    """A ballot for the voter signed with another account's key reverts with GovernorInvalidSignature."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    signature = sign_ballot(
        voter, proposal.id, vote.FOR, governor.nonces(voter, key_of(proposal.id)), signer=other
    )
    with reverts(governor.GovernorInvalidSignature, voter=voter):
        governor.castVoteBySig(proposal.id, vote.FOR, voter, signature, sender=other)
    assert not governor.hasVoted(proposal.id, voter)


def test_ballot_with_altered_support_reverts(
    governor, propose, start_voting, treasury_payout, voter, other, sign_ballot, reverts, vote
):
    """A relayer cannot flip a signed For ballot into Against."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    signature = sign_ballot(voter, proposal.id, vote.FOR, governor.nonces(voter, key_of(proposal.id)))
    with reverts(governor.GovernorInvalidSignature, voter=voter):
        governor.castVoteBySig(proposal.id, vote.AGAINST, voter, signature, sender=other)


def test_extended_ballot_with_keyed_nonce_records_reason(
    governor, propose, start_voting, treasury_payout, abstainer, other, sign_ballot, params, vote
):
    """A signed ExtendedBallot with the keyed nonce is counted with its reason."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    keyed = governor.nonces(abstainer, key_of(proposal.id))
    signature = sign_ballot(abstainer, proposal.id, vote.ABSTAIN, keyed, reason="no view")
    receipt = governor.castVoteWithReasonAndParamsBySig(
        proposal.id, vote.ABSTAIN, abstainer, "no view", b"", signature, sender=other
    )
    [cast] = receipt.events.filter(governor.VoteCast)
    assert (cast.voter, cast.support, cast.weight, cast.reason) == (
        abstainer.address,
        vote.ABSTAIN,
        params.ABSTAINER,
        "no view",
    )
    assert governor.nonces(abstainer, key_of(proposal.id)) == keyed + 1


# --------------------------------------------------------------------------------------------------
# Late quorum
# --------------------------------------------------------------------------------------------------


def test_late_quorum_extends_the_deadline(
    governor, chain, propose, start_voting, treasury_payout, voter, params, proposal_state, vote
):
    """Quorum reached an hour before the deadline keeps voting open two more days (ProposalExtended)."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    original_deadline = governor.proposalDeadline(proposal.id)
    chain.mine(timestamp=original_deadline - 3600)
    receipt = governor.castVote(proposal.id, vote.FOR, sender=voter)
    extended = receipt.timestamp + params.VOTE_EXTENSION
    [event] = receipt.events.filter(governor.ProposalExtended)
    assert (event.proposalId, event.extendedDeadline) == (proposal.id, extended)
    assert governor.proposalDeadline(proposal.id) == extended > original_deadline

    chain.mine(timestamp=original_deadline + 1)
    assert governor.state(proposal.id) == proposal_state.ACTIVE
    chain.mine(timestamp=extended + 1)
    assert governor.state(proposal.id) == proposal_state.SUCCEEDED


def test_early_quorum_keeps_the_deadline(
    governor, propose, start_voting, treasury_payout, voter, proposal_state, vote
):
    """Quorum reached early in the voting period does not move the deadline."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    deadline = governor.proposalDeadline(proposal.id)
    receipt = governor.castVote(proposal.id, vote.FOR, sender=voter)
    assert list(receipt.events.filter(governor.ProposalExtended)) == []
    assert governor.proposalDeadline(proposal.id) == deadline


# --------------------------------------------------------------------------------------------------
# Cancelling and the proposal guardian
# --------------------------------------------------------------------------------------------------


def test_guardian_cancels_pending_proposal(
    governor, propose, treasury_payout, guardian, voter, reverts, bitmap, proposal_state, vote, start_voting
):
    """The guardian cancels a Pending proposal, which then cannot be voted on."""
    proposal = propose([treasury_payout], "Grant")
    receipt = governor.cancel(*proposal.args, sender=guardian)
    assert [e.proposalId for e in receipt.events.filter(governor.ProposalCanceled)] == [proposal.id]
    assert governor.state(proposal.id) == proposal_state.CANCELED
    start_voting(proposal)
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.CANCELED,
        expectedStates=bitmap(proposal_state.ACTIVE),
    ):
        governor.castVote(proposal.id, vote.FOR, sender=voter)


def test_guardian_cancels_active_proposal(
    governor, propose, start_voting, treasury_payout, guardian, voter, proposal_state, vote
):
    """The guardian cancels an Active proposal even after votes were cast."""
    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    governor.castVote(proposal.id, vote.FOR, sender=voter)
    governor.cancel(*proposal.args, sender=guardian)
    assert governor.state(proposal.id) == proposal_state.CANCELED


def test_guardian_cancels_queued_proposal_in_the_timelock(
    governor,
    timelock,
    token,
    chain,
    propose,
    pass_proposal,
    treasury_payout,
    guardian,
    other,
    params,
    reverts,
    proposal_state,
):
    """Cancelling a Queued proposal also cancels its timelock operation, so it never executes."""
    proposal = propose([treasury_payout], "Grant")
    pass_proposal(proposal)
    governor.queue(*proposal.args, sender=other)
    receipt = governor.cancel(*proposal.args, sender=guardian)
    assert len(list(receipt.events.filter(timelock.Cancelled))) == 1
    assert governor.state(proposal.id) == proposal_state.CANCELED
    chain.mine(deltatime=params.MIN_DELAY)
    with reverts(
        governor.GovernorUnexpectedProposalState, proposalId=proposal.id, current=proposal_state.CANCELED
    ):
        governor.execute(*proposal.args, sender=other)
    assert token.balanceOf(timelock) == params.TREASURY


def test_random_account_cannot_cancel(governor, propose, treasury_payout, other, reverts, proposal_state):
    """An account that is neither guardian nor (while Pending) proposer cannot cancel."""
    proposal = propose([treasury_payout], "Grant")
    with reverts(governor.GovernorUnableToCancel, proposalId=proposal.id, account=other):
        governor.cancel(*proposal.args, sender=other)
    assert governor.state(proposal.id) == proposal_state.PENDING


def test_proposer_cancels_only_while_pending(
    governor,
    propose,
    start_voting,
    treasury_payout,
    token,
    recipient,
    proposer,
    params,
    reverts,
    proposal_state,
):
    """With a guardian in place the proposer may cancel its own proposal only before voting starts."""
    pending = propose([treasury_payout], "Grant one")
    active = propose([transfer_action(token, recipient, params.E)], "Grant two")
    governor.cancel(*pending.args, sender=proposer)
    assert governor.state(pending.id) == proposal_state.CANCELED
    start_voting(active)
    with reverts(governor.GovernorUnableToCancel, proposalId=active.id, account=proposer):
        governor.cancel(*active.args, sender=proposer)


def test_executed_proposal_cannot_be_cancelled(
    governor, enact, treasury_payout, guardian, reverts, bitmap, proposal_state
):
    """Even the guardian cannot cancel a proposal that has been executed."""
    proposal, _ = enact([treasury_payout], "Grant")
    allowed = bitmap(
        *(
            s
            for s in range(8)
            if s not in (proposal_state.CANCELED, proposal_state.EXPIRED, proposal_state.EXECUTED)
        )
    )
    with reverts(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal.id,
        current=proposal_state.EXECUTED,
        expectedStates=allowed,
    ):
        governor.cancel(*proposal.args, sender=guardian)


def test_dao_removes_the_guardian(
    governor,
    enact,
    propose,
    start_voting,
    treasury_payout,
    guardian,
    proposer,
    params,
    reverts,
    proposal_state,
):
    """The DAO removes the guardian by proposal; the old guardian then cannot cancel, the proposer can."""
    action = (governor, 0, governor.setProposalGuardian.encode_input(params.ZERO_ADDRESS))
    _, receipt = enact([action], "Remove the Foundation guardian")
    [event] = receipt.events.filter(governor.ProposalGuardianSet)
    assert (event.oldProposalGuardian, event.newProposalGuardian) == (guardian.address, params.ZERO_ADDRESS)
    assert governor.proposalGuardian() == params.ZERO_ADDRESS

    proposal = propose([treasury_payout], "Grant")
    start_voting(proposal)
    with reverts(governor.GovernorUnableToCancel, proposalId=proposal.id, account=guardian):
        governor.cancel(*proposal.args, sender=guardian)
    governor.cancel(*proposal.args, sender=proposer)  # without a guardian, the proposer may cancel
    assert governor.state(proposal.id) == proposal_state.CANCELED


def test_governor_without_guardian_lets_proposer_cancel(
    deploy_governor, token, proposer, other, chain, params, reverts, proposal_state
):
    """A governor deployed without a guardian lets only the proposer cancel, also while Active."""
    no_guardian = deploy_governor(guardian=params.ZERO_ADDRESS)
    assert no_guardian.proposalGuardian() == params.ZERO_ADDRESS
    action = ([token.address], [0], [token.transfer.encode_input(other, 1)])
    no_guardian.propose(*action, "Grant", sender=proposer)
    args = (*action, keccak(text="Grant"))
    proposal_id = no_guardian.hashProposal(*args)
    chain.mine(timestamp=no_guardian.proposalSnapshot(proposal_id) + 1)
    with reverts(no_guardian.GovernorUnableToCancel, proposalId=proposal_id, account=other):
        no_guardian.cancel(*args, sender=other)
    no_guardian.cancel(*args, sender=proposer)
    assert no_guardian.state(proposal_id) == proposal_state.CANCELED


# --------------------------------------------------------------------------------------------------
# Settings changed by governance
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, args",
    [
        ("setVotingDelay", (3600,)),
        ("setVotingPeriod", (3 * 24 * 3600,)),
        ("setProposalThreshold", (0,)),
        ("updateQuorumNumerator", (10,)),
        ("setLateQuorumVoteExtension", (0,)),
        ("setProposalGuardian", ("0x0000000000000000000000000000000000000000",)),
        ("updateTimelock", ("0x0000000000000000000000000000000000000001",)),
        ("relay", ("0x0000000000000000000000000000000000000001", 0, b"")),
    ],
)
def test_direct_settings_calls_revert(governor, deployer, reverts, method, args):
    """Settings changes and relays called directly, not through the timelock, revert with GovernorOnlyExecutor."""
    with reverts(governor.GovernorOnlyExecutor, account=deployer):
        getattr(governor, method)(*args, sender=deployer)


def test_governance_changes_the_voting_period(governor, enact, propose, treasury_payout, params):
    """A proposal executed through the timelock shortens the voting period for later proposals."""
    new_period = 3 * params.DAY
    action = (governor, 0, governor.setVotingPeriod.encode_input(new_period))
    _, receipt = enact([action], "Three-day votes")
    [event] = receipt.events.filter(governor.VotingPeriodSet)
    assert (event.oldVotingPeriod, event.newVotingPeriod) == (params.VOTING_PERIOD, new_period)
    assert governor.votingPeriod() == new_period
    later = propose([treasury_payout], "Grant")
    assert governor.proposalDeadline(later.id) == governor.proposalSnapshot(later.id) + new_period


def test_governance_cannot_set_voting_period_below_vote_extension(
    governor, propose, pass_proposal, queue_proposal, other, params, reverts, proposal_state
):
    """A proposal setting the voting period below the late-quorum extension fails at execution."""
    action = (governor, 0, governor.setVotingPeriod.encode_input(params.DAY))
    proposal = propose([action], "One-day votes")
    pass_proposal(proposal)
    queue_proposal(proposal)
    with reverts(
        governor.SaharaGovernorVotingPeriodBelowVoteExtension,
        votingPeriod=params.DAY,
        voteExtension=params.VOTE_EXTENSION,
    ):
        governor.execute(*proposal.args, sender=other)
    assert governor.votingPeriod() == params.VOTING_PERIOD
    assert governor.state(proposal.id) == proposal_state.QUEUED


def test_governance_cannot_set_zero_voting_period(
    governor, propose, pass_proposal, queue_proposal, other, params, reverts
):
    """With the vote extension first set to 0, a zero voting period still fails with GovernorInvalidVotingPeriod."""
    actions = [
        (governor, 0, governor.setLateQuorumVoteExtension.encode_input(0)),
        (governor, 0, governor.setVotingPeriod.encode_input(0)),
    ]
    proposal = propose(actions, "No extension, no voting period")
    pass_proposal(proposal)
    queue_proposal(proposal)
    with reverts(governor.GovernorInvalidVotingPeriod, votingPeriod=0):
        governor.execute(*proposal.args, sender=other)
    assert governor.lateQuorumVoteExtension() == params.VOTE_EXTENSION  # the whole batch reverted
    assert governor.votingPeriod() == params.VOTING_PERIOD


def test_governance_cannot_set_vote_extension_above_voting_period(
    governor, propose, pass_proposal, queue_proposal, other, params, reverts
):
    """A proposal setting the late-quorum extension above the voting period fails at execution."""
    action = (governor, 0, governor.setLateQuorumVoteExtension.encode_input(params.VOTING_PERIOD + 1))
    proposal = propose([action], "Eight-day extension")
    pass_proposal(proposal)
    queue_proposal(proposal)
    with reverts(
        governor.GovernorPreventLateQuorumVoteExtensionTooLarge,
        newVoteExtension=params.VOTING_PERIOD + 1,
        maxVoteExtension=params.VOTING_PERIOD,
    ):
        governor.execute(*proposal.args, sender=other)
    assert governor.lateQuorumVoteExtension() == params.VOTE_EXTENSION


def test_governance_can_lower_threshold_and_raise_quorum(
    governor, enact, propose, treasury_payout, chain, other, params
):
    """One proposal can change several settings at once; a zero threshold lets anyone propose."""
    actions = [
        (governor, 0, governor.setProposalThreshold.encode_input(0)),
        (governor, 0, governor.updateQuorumNumerator.encode_input(10)),
    ]
    _, receipt = enact(actions, "Open proposing, 10% quorum")
    [threshold] = receipt.events.filter(governor.ProposalThresholdSet)
    assert (threshold.oldProposalThreshold, threshold.newProposalThreshold) == (params.PROPOSAL_THRESHOLD, 0)
    [quorum] = receipt.events.filter(governor.QuorumNumeratorUpdated)
    assert (quorum.oldQuorumNumerator, quorum.newQuorumNumerator) == (params.QUORUM_NUMERATOR, 10)
    proposal = propose([treasury_payout], "Anyone may propose", sender=other)
    assert governor.proposalProposer(proposal.id) == other.address
    chain.mine(deltatime=1)
    assert governor.quorum(receipt.timestamp) == params.TOTAL_SUPPLY // 10


def test_voting_delay_beyond_the_clock_range_blocks_proposals(
    governor, enact, propose, treasury_payout, chain, reverts
):
    """A voting delay set by governance so large the snapshot overflows uint48 makes proposing revert."""
    huge_delay = 2**48 - 1
    enact([(governor, 0, governor.setVotingDelay.encode_input(huge_delay))], "Freeze proposals")
    assert governor.votingDelay() == huge_delay
    with reverts(governor.SafeCastOverflowedUintDowncast, bits=48) as info:
        propose([treasury_payout], "Grant")
    assert info.inputs["value"] > 2**48 - 1
