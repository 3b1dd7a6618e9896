"""Proposals from intents on Ape's in-process chain: each intent kind goes from proposal to execution
and has its effect; invalid intents are refused before anything is sent; the guardian cancels."""

import pytest

from sahara_dao.core.units import UNIT
from sahara_dao.governance import intents, lifecycle
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.errors import IntentError, ProposalError
from sahara_dao.governance.lifecycle import ProposalState, Support

DAY = 86400


@pytest.fixture
def full_dao(accounts, genesis, params, store, chain):
    """The production deployment (governance and economy contracts), with the community holder
    (development account 2, above quorum alone) delegated to itself."""
    record = deploy_dao(
        sender=accounts[0], genesis=genesis, params=params, store=store, network="ethereum:local:test"
    )
    dao = intents.load_dao(record.contracts)
    lifecycle.delegate(dao.token, accounts[2].address, accounts[2])
    chain.mine(deltatime=1)
    return dao


@pytest.fixture
def enact(full_dao, accounts, chain):
    """Propose (community), vote For, queue and execute; returns the proposal id."""

    def _enact(proposal: lifecycle.Proposal) -> int:
        governor = full_dao.governor
        proposal_id = lifecycle.propose(governor, proposal, accounts[2])
        chain.mine(deltatime=governor.votingDelay() + 1)
        lifecycle.cast_vote(governor, proposal_id, Support.FOR, accounts[2], "yes")
        chain.mine(deltatime=governor.proposalDeadline(proposal_id) - chain.pending_timestamp + 1)
        lifecycle.queue(governor, proposal, accounts[5])
        chain.mine(deltatime=full_dao.timelock.getMinDelay() + 1)
        lifecycle.execute(governor, proposal, accounts[5])
        assert ProposalState(governor.state(proposal_id)) is ProposalState.EXECUTED
        return proposal_id

    return _enact


def test_a_token_transfer_arrives(full_dao, enact, accounts):
    """The treasury sends exactly the proposed SAHARA."""
    treasury = full_dao.token.balanceOf(full_dao.timelock)
    enact(
        intents.treasury_transfer(
            full_dao, recipient=accounts[8].address, amount=42 * UNIT, description="Grant"
        )
    )
    assert full_dao.token.balanceOf(accounts[8]) == 42 * UNIT
    assert full_dao.token.balanceOf(full_dao.timelock) == treasury - 42 * UNIT


def test_a_native_transfer_arrives(full_dao, enact, accounts, chain):
    """Native coin sent to the timelock is paid out by a value transfer."""
    accounts[0].transfer(full_dao.timelock.address, 3 * UNIT)
    before = accounts[8].balance
    proposal = intents.treasury_transfer(
        full_dao, recipient=accounts[8].address, amount=2 * UNIT, description="Native grant", native=True
    )
    assert proposal.values == (2 * UNIT,) and proposal.calldatas == (b"",)
    enact(proposal)
    assert accounts[8].balance == before + 2 * UNIT
    assert chain.provider.get_balance(full_dao.timelock.address) == 1 * UNIT


def test_staking_rewards_are_funded_and_paid_to_stakers(full_dao, enact, accounts, chain):
    """The first funding grants the timelock REWARD_DISTRIBUTOR_ROLE, moves the SAHARA and starts the
    emission; a staker earns it; a second funding needs no grant."""
    staking, token = full_dao.contract("staking"), full_dao.token
    staker = accounts[3]
    token.approve(staking.address, 1_000 * UNIT, sender=staker)
    staking.stake(1_000 * UNIT, staker.address, sender=staker)
    treasury = token.balanceOf(full_dao.timelock)
    proposal = intents.fund_staking_rewards(full_dao, amount=100 * UNIT, duration=10 * DAY, description="Rewards")
    assert proposal.targets == (staking.address, token.address, staking.address)
    enact(proposal)
    assert staking.hasRole(staking.REWARD_DISTRIBUTOR_ROLE(), full_dao.timelock.address)
    assert token.balanceOf(full_dao.timelock) == treasury - 100 * UNIT
    assert staking.rewardRateScaled() == 100 * UNIT * 10**18 // (10 * DAY)
    chain.mine(deltatime=11 * DAY)
    assert 99 * UNIT < staking.earned(staker.address) <= 100 * UNIT  # the only staker takes it all
    again = intents.fund_staking_rewards(full_dao, amount=5 * UNIT, duration=DAY, description="More rewards")
    assert again.targets == (token.address, staking.address)


@pytest.mark.parametrize(
    "amount, duration, refusal",
    [(0, 86400, "positive amount"), (UNIT, 0, "reward period lasts 1 to"),
     (UNIT, 5 * 365 * 86400 + 1, "reward period lasts 1 to"), (10**40, 86400, "ask for less")],
)  # fmt: skip
def test_staking_rewards_out_of_range_are_refused(full_dao, amount, duration, refusal):
    with pytest.raises(IntentError, match=refusal):
        intents.fund_staking_rewards(full_dao, amount=amount, duration=duration, description="Rewards")


def test_governor_settings_change(full_dao, enact):
    """Voting period, quorum numerator and the late-quorum extension change through governance."""
    governor = full_dao.governor
    enact(
        intents.set_governor_setting(
            full_dao, setting="voting_period", value=5 * DAY, description="Shorter vote"
        )
    )
    assert governor.votingPeriod() == 5 * DAY
    enact(
        intents.set_governor_setting(full_dao, setting="quorum_numerator", value=10, description="Quorum 10%")
    )
    assert governor.quorumNumerator() == 10
    enact(
        intents.set_governor_setting(full_dao, setting="late_quorum_extension", value=DAY, description="1d")
    )
    assert governor.lateQuorumVoteExtension() == DAY


def test_protocol_parameters_change(full_dao, enact):
    """The protocol fee, the lineage share cap, the claim activation delay and the timelock's delay change."""
    enact(intents.set_parameter(full_dao, parameter="protocol_fee_bps", value=250, description="Fee 2.5%"))
    assert full_dao.contract("vault").protocolFeeBps() == 250
    enact(intents.set_parameter(full_dao, parameter="lineage_share_cap", value=3000, description="Cap 30%"))
    assert full_dao.contract("registry").maxLineageShareBps() == 3000
    enact(
        intents.set_parameter(full_dao, parameter="claim_activation_delay", value=2 * DAY, description="2d")
    )
    assert full_dao.contract("vault").activationDelay() == 2 * DAY
    enact(
        intents.set_parameter(full_dao, parameter="timelock_delay", value=3 * DAY, description="Timelock 3d")
    )
    assert full_dao.timelock.getMinDelay() == 3 * DAY


def test_a_role_is_granted_then_revoked(full_dao, enact, accounts):
    """SETTLER_ROLE on the vault, by name, to a new settler and back."""
    vault = full_dao.contract("vault")
    settler = vault.SETTLER_ROLE()
    enact(intents.grant_role(full_dao, contract="vault", role="SETTLER_ROLE", account=accounts[7].address,
                             description="New settler"))  # fmt: skip
    assert vault.hasRole(settler, accounts[7])
    enact(intents.revoke_role(full_dao, contract="vault", role="SETTLER_ROLE", account=accounts[7].address,
                              description="Settler retired"))  # fmt: skip
    assert not vault.hasRole(settler, accounts[7])


def test_the_guardian_is_removed(full_dao, enact, accounts):
    """setProposalGuardian(0) ends the guardian; removing it again is refused."""
    assert full_dao.governor.proposalGuardian() == accounts[1].address
    enact(intents.remove_guardian(full_dao, description="The DAO stands on its own"))
    assert int(full_dao.governor.proposalGuardian(), 16) == 0
    with pytest.raises(IntentError, match="no proposal guardian"):
        intents.remove_guardian(full_dao, description="again")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda d, a: intents.treasury_transfer(d, recipient=a[8].address, amount=-1, description="x"), "positive"),
        (lambda d, a: intents.treasury_transfer(d, recipient="0x12", amount=1, description="x"), "not an address"),
        (lambda d, a: intents.treasury_transfer(d, recipient=a[8].address, amount=10**40, description="x"),
         "holds 2,000,000,000 SAHARA"),
        (lambda d, a: intents.treasury_transfer(d, recipient=a[8].address, amount=1, description="x", native=True),
         "holds 0 wei of native coin"),
        (lambda d, a: intents.treasury_transfer(d, recipient=a[8].address, amount=1, description=" "), "description"),
        (lambda d, a: intents.set_governor_setting(d, setting="quorum_numerator", value=0, description="x"),
         "from 1 to 100"),
        (lambda d, a: intents.set_governor_setting(d, setting="quorum_numerator", value=101, description="x"),
         "from 1 to 100"),
        (lambda d, a: intents.set_governor_setting(d, setting="voting_period", value=DAY, description="x"),
         "shorter than the late-quorum extension"),
        (lambda d, a: intents.set_governor_setting(d, setting="late_quorum_extension", value=8 * DAY,
                                                   description="x"), "voting period"),
        (lambda d, a: intents.set_governor_setting(d, setting="proposal_threshold", value=10**40, description="x"),
         "total supply"),
        (lambda d, a: intents.set_governor_setting(d, setting="voting_delay", value=DAY, description="x"),
         "already 86400"),
        (lambda d, a: intents.set_governor_setting(d, setting="quorum", value=5, description="x"),
         "unknown governor setting 'quorum': choose one of voting_delay"),
        (lambda d, a: intents.set_governor_setting(d, setting="voting_delay", value="1d", description="x"),
         "integer number of seconds"),
        (lambda d, a: intents.set_parameter(d, parameter="protocol_fee_bps", value=10_001, description="x"),
         "from 0 to 10000 basis points"),
        (lambda d, a: intents.set_parameter(d, parameter="protocol_fee_bps", value=500, description="x"),
         "already 500 bps"),
        (lambda d, a: intents.set_parameter(d, parameter="lineage_share_cap", value=10_001, description="x"),
         "from 0 to 10000"),
        (lambda d, a: intents.set_parameter(d, parameter="unstake_cooldown", value=91 * DAY, description="x"),
         "MAX_COOLDOWN"),
        (lambda d, a: intents.set_parameter(d, parameter="revenue_vault", value=a[8].address, description="x"),
         "no contract code"),
        (lambda d, a: intents.grant_role(d, contract="oracle", role="SETTLER_ROLE", account=a[7].address,
                                         description="x"), "no deployed contract named 'oracle'"),
        (lambda d, a: intents.grant_role(d, contract="vault", role="MINTER_ROLE", account=a[7].address,
                                         description="x"), "its roles: DEFAULT_ADMIN_ROLE, GUARDIAN_ROLE"),
        (lambda d, a: intents.grant_role(d, contract="token", role="SETTLER_ROLE", account=a[7].address,
                                         description="x"), "token has no roles"),
        (lambda d, a: intents.grant_role(d, contract="vault", role="SETTLER_ROLE",
                                         account="0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", description="x"),
         "already holds SETTLER_ROLE"),
        (lambda d, a: intents.revoke_role(d, contract="payouts", role="PAYER_ROLE", account=a[7].address,
                                          description="x"), "does not hold PAYER_ROLE"),
        (lambda d, a: intents.revoke_role(d, contract="vault", role="DEFAULT_ADMIN_ROLE",
                                          account=d.timelock.address, description="x"), "without an admin"),
    ],
)  # fmt: skip
def test_invalid_intents_are_refused_with_the_reason(full_dao, accounts, build, message):
    """Each bad input gets an IntentError that names it, before any transaction."""
    nonce = accounts[2].nonce
    with pytest.raises(IntentError, match=message):
        build(full_dao, accounts)
    assert accounts[2].nonce == nonce


@pytest.fixture
def proposed(full_dao, accounts):
    """``proposed(description)``: a 1 SAHARA grant proposed by the community; (proposal, id)."""

    def _proposed(description: str) -> tuple[lifecycle.Proposal, int]:
        proposal = intents.treasury_transfer(
            full_dao, recipient=accounts[8].address, amount=UNIT, description=description
        )
        return proposal, lifecycle.propose(full_dao.governor, proposal, accounts[2])

    return _proposed


def test_the_guardian_cancels_an_active_proposal(full_dao, accounts, chain, proposed):
    """Only the guardian (or the proposer while pending) cancels; others are refused before sending."""
    governor = full_dao.governor
    proposal, proposal_id = proposed("Cancel me")
    chain.mine(deltatime=governor.votingDelay() + 1)
    with pytest.raises(ProposalError, match="only the proposal guardian"):
        lifecycle.cancel(governor, proposal, accounts[2])  # the proposer, but no longer pending
    with pytest.raises(ProposalError, match="may not cancel"):
        lifecycle.cancel(governor, proposal, accounts[6])
    lifecycle.cancel(governor, proposal, accounts[1])
    assert ProposalState(governor.state(proposal_id)) is ProposalState.CANCELED
    with pytest.raises(ProposalError, match="is canceled: it can no longer be canceled"):
        lifecycle.cancel(governor, proposal, accounts[1])


def test_steps_out_of_order_and_duplicates_are_refused(full_dao, accounts, chain, proposed):
    """Queue before success, execute before queue or before the eta, the same proposal twice."""
    governor = full_dao.governor
    proposal, proposal_id = proposed("Once")
    with pytest.raises(ProposalError, match="already exists"):
        lifecycle.propose(governor, proposal, accounts[2])
    with pytest.raises(ProposalError, match="is pending: only a succeeded proposal can be queued"):
        lifecycle.queue(governor, proposal, accounts[5])
    chain.mine(deltatime=governor.votingDelay() + 1)
    lifecycle.cast_vote(governor, proposal_id, Support.FOR, accounts[2])
    chain.mine(deltatime=governor.proposalDeadline(proposal_id) - chain.pending_timestamp + 1)
    with pytest.raises(ProposalError, match="is succeeded: only a queued proposal can be executed"):
        lifecycle.execute(governor, proposal, accounts[5])
    lifecycle.queue(governor, proposal, accounts[5])
    with pytest.raises(ProposalError, match="executable in"):
        lifecycle.execute(governor, proposal, accounts[5])


def test_a_second_vote_and_a_vote_without_power_are_refused(full_dao, accounts, chain, proposed):
    """Voting twice, or with no votes at the snapshot, is refused before a transaction is sent."""
    governor = full_dao.governor
    _, proposal_id = proposed("Votes")
    chain.mine(deltatime=governor.votingDelay() + 1)
    lifecycle.cast_vote(governor, proposal_id, Support.FOR, accounts[2])
    with pytest.raises(ProposalError, match="has already voted"):
        lifecycle.cast_vote(governor, proposal_id, Support.AGAINST, accounts[2])
    lifecycle.delegate(full_dao.token, accounts[3].address, accounts[3])  # too late for this proposal
    nonce = accounts[3].nonce
    with pytest.raises(ProposalError, match="had no votes at proposal .* snapshot"):
        lifecycle.cast_vote(governor, proposal_id, Support.AGAINST, accounts[3])
    assert accounts[3].nonce == nonce


def test_status_shows_time_left_and_quorum_progress(full_dao, accounts, chain, proposed):
    """Pending: time to the vote; active: time to the deadline and quorum progress in basis points."""
    governor = full_dao.governor
    proposal, proposal_id = proposed("Status")
    status = lifecycle.status(governor, proposal_id)
    assert status.time_left == ("voting starts", status.snapshot + 1 - status.now)
    assert status.quorum_progress_bps == 0
    chain.mine(deltatime=governor.votingDelay() + 1)
    lifecycle.delegate(full_dao.token, accounts[3].address, accounts[3])  # after the snapshot: no weight here
    lifecycle.cast_vote(governor, proposal_id, Support.ABSTAIN, accounts[2])
    status = lifecycle.status(governor, proposal_id)
    assert status.time_left[0] == "voting ends" and status.time_left[1] == status.deadline + 1 - status.now
    assert (
        status.quorum == 400_000_000 * UNIT
        and status.quorum_progress_bps == 3_500_000_000 * 10_000 // 400_000_000
    )
