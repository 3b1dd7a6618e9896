"""The proposal lifecycle through sahara_dao.governance.lifecycle on Ape's in-process chain."""

import pytest

from sahara_dao.core.units import UNIT
from sahara_dao.governance import intents, lifecycle
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.errors import ProposalError
from sahara_dao.governance.lifecycle import ProposalState, Support


@pytest.fixture
def dao(accounts, project, genesis, params, store, chain):
    record = deploy_dao(
        sender=accounts[0], genesis=genesis, params=params, store=store, network="ethereum:local:test"
    )
    token = project.SaharaToken.at(record.address("token"))
    governor = project.SaharaGovernor.at(record.address("governor"))
    community, airdrop = accounts[2], accounts[3]
    lifecycle.delegate(token, community.address, community)
    lifecycle.delegate(token, airdrop.address, airdrop)
    chain.mine(deltatime=1)
    return token, governor, record.address("timelock"), intents.load_dao(record.contracts)


@pytest.fixture
def grant(dao, accounts):
    return intents.treasury_transfer(
        dao[3], recipient=accounts[8].address, amount=5 * UNIT, description="Grant: 5 SAHARA to a labeler"
    )


def test_proposal_id_computed_locally_matches_the_governor(dao, grant, accounts):
    """The id hashed in Python equals hashProposal and the ProposalCreated event."""
    governor = dao[1]
    assert governor.hashProposal(*grant.args(), grant.description_hash) == grant.proposal_id
    assert lifecycle.propose(governor, grant, accounts[2]) == grant.proposal_id


def test_a_treasury_grant_runs_from_proposal_to_execution(dao, grant, accounts, chain, params):
    """Propose, vote, queue and execute move exactly the granted amount out of the treasury."""
    token, governor, timelock, _ = dao
    treasury = token.balanceOf(timelock)
    proposal_id = lifecycle.propose(governor, grant, accounts[2])
    assert lifecycle.status(governor, proposal_id).state is ProposalState.PENDING
    chain.mine(deltatime=params.voting_delay + 1)
    lifecycle.cast_vote(governor, proposal_id, Support.FOR, accounts[2], "for the data supply")
    lifecycle.cast_vote(governor, proposal_id, Support.AGAINST, accounts[3])
    status = lifecycle.status(governor, proposal_id)
    assert (status.for_, status.against, status.abstain) == (3_500_000_000 * UNIT, 500_000_000 * UNIT, 0)
    assert status.quorum_reached and status.quorum == 400_000_000 * UNIT
    chain.mine(deltatime=status.deadline - chain.pending_timestamp + 1)
    assert lifecycle.status(governor, proposal_id).state is ProposalState.SUCCEEDED
    lifecycle.queue(governor, grant, accounts[5])
    assert lifecycle.status(governor, proposal_id).eta > 0
    operation = grant.timelock_operation(governor.address)  # what the indexer matches CallExecuted with
    assert dao[3].timelock.isOperationPending(operation)
    chain.mine(deltatime=params.timelock_delay + 1)
    lifecycle.execute(governor, grant, accounts[5])
    assert lifecycle.status(governor, proposal_id).state is ProposalState.EXECUTED
    assert token.balanceOf(timelock) == treasury - 5 * UNIT
    assert token.balanceOf(accounts[8]) == 5 * UNIT


def test_voting_before_the_delay_is_refused_with_the_state(dao, grant, accounts):
    """A vote on a pending proposal is refused before any transaction is sent."""
    governor = dao[1]
    proposal_id = lifecycle.propose(governor, grant, accounts[2])
    nonce = accounts[2].nonce
    with pytest.raises(ProposalError, match="is pending"):
        lifecycle.cast_vote(governor, proposal_id, Support.FOR, accounts[2])
    assert accounts[2].nonce == nonce


def test_status_of_an_unknown_proposal_is_an_error(dao):
    """Asking for a proposal that does not exist names it."""
    governor = dao[1]
    with pytest.raises(ProposalError, match="does not exist"):
        lifecycle.status(governor, 12345)


def test_a_zero_transfer_is_refused(dao, accounts):
    """A treasury transfer needs a positive amount."""
    with pytest.raises(ProposalError, match="positive amount"):
        intents.treasury_transfer(dao[3], recipient=accounts[8].address, amount=0, description="nothing")
