"""Governance projections and the read API, fed with stored events (ChainEvent rows as the indexer
writes them), on SQLite and PostgreSQL: states derived from events and the clock, tallies, quorum
at the snapshot, late-quorum extensions, delegates, idempotent projection, reorg cascade."""

import itertools

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, update
from sqlmodel import select

from sahara_dao.core.cli import cli
from sahara_dao.core.indexer import json_value, record_chain
from sahara_dao.core.models import ChainEvent
from sahara_dao.core.units import UNIT
from sahara_dao.governance import records
from sahara_dao.governance.indexing import projector
from sahara_dao.governance.lifecycle import ProposalState, proposal_of
from sahara_dao.governance.models import GovProposal, GovSettingChange, GovVote

CHAIN = 7
ZERO = "0x" + "00" * 20
GOVERNOR = "0x" + "66" * 20
A, B, C = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
P1, P2, P3, P4 = 10**70 + 1, 2, 3, 4  # P1 beyond 2**53 and 64 bits, as real proposal ids are


class Chain:
    """Stores events like the indexer and projects them."""

    def __init__(self, session):
        self.session = session
        self.block = itertools.count(1)
        record_chain(session, chain_id=CHAIN, ecosystem="ethereum", network="local")

    def emit(self, contract: str, event: str, at: int, **args) -> ChainEvent:
        block = next(self.block)
        row = ChainEvent(
            chain_id=CHAIN, contract=contract, address=GOVERNOR if contract == "governor" else "0x" + "11" * 20,
            event=event, block_number=block, block_hash=f"0x{block:064x}", block_timestamp=at,
            tx_hash=f"0x{block:064x}", log_index=0, args={k: json_value(v) for k, v in args.items()},
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        projector.project(self.session, [row])
        self.session.flush()
        return row

    def created(self, proposal_id: int, at: int, start: int, end: int, description: str) -> ChainEvent:
        return self.emit("governor", "ProposalCreated", at, proposalId=proposal_id, proposer=A, targets=[GOVERNOR],
                         values=[0], signatures=[""], calldatas=["0x"], voteStart=start, voteEnd=end,
                         description=description)  # fmt: skip


@pytest.fixture
def history(session):
    """Supply 10,000 SAHARA, quorum 4% (400); A (6,000) and B (3,000) delegate to A, C (1,000) to
    itself; proposals P1 (voted, extended), P2 (no votes), P3 (canceled)."""
    chain = Chain(session)
    for holder, amount in ((A, 6000), (B, 3000), (C, 1000)):
        chain.emit("token", "Transfer", 100, **{"from": ZERO, "to": holder, "value": amount * UNIT})
    chain.emit("token", "Transfer", 100, **{"from": A, "to": B, "value": 1})  # not a mint: no supply change
    chain.emit("governor", "QuorumNumeratorUpdated", 100, oldQuorumNumerator=0, newQuorumNumerator=4)
    chain.emit("token", "DelegateChanged", 110, delegator=A, fromDelegate=ZERO, toDelegate=A)
    chain.emit("token", "DelegateVotesChanged", 110, delegate=A, previousVotes=0, newVotes=6000 * UNIT)
    chain.emit("token", "DelegateChanged", 120, delegator=B, fromDelegate=ZERO, toDelegate=A)
    chain.emit(
        "token", "DelegateVotesChanged", 120, delegate=A, previousVotes=6000 * UNIT, newVotes=9000 * UNIT
    )
    chain.emit("token", "DelegateChanged", 130, delegator=C, fromDelegate=ZERO, toDelegate=C)
    chain.emit("token", "DelegateVotesChanged", 130, delegate=C, previousVotes=0, newVotes=1000 * UNIT)
    chain.created(P1, 200, 300, 1000, "Grant\n\nbody")
    chain.created(P2, 210, 300, 1000, "Nobody votes")
    chain.created(P3, 220, 300, 1000, "Withdrawn")
    chain.emit("governor", "ProposalCanceled", 230, proposalId=P3)
    chain.emit("governor", "QuorumNumeratorUpdated", 350, oldQuorumNumerator=4, newQuorumNumerator=50)
    chain.emit(
        "governor", "VoteCast", 400, voter=A, proposalId=P1, support=1, weight=9000 * UNIT, reason="yes"
    )
    chain.emit("governor", "VoteCastWithParams", 500, voter=C, proposalId=P1, support=0, weight=1000 * UNIT,
               reason="", params="0x01")  # fmt: skip
    chain.emit("governor", "ProposalExtended", 990, proposalId=P1, extendedDeadline=1200)
    return chain


def view(session, proposal_id, now):
    return records.get_proposal(session=session, chain_id=CHAIN, proposal_id=proposal_id, now=now)


def test_states_follow_the_events_and_the_clock(session, history):
    """Pending up to the snapshot, active up to the (extended) deadline, then succeeded, queued,
    executed; no votes: defeated; a cancel: canceled."""
    assert view(session, P1, 300).state is ProposalState.PENDING
    assert view(session, P1, 300).time_left == ("voting starts", 1)
    assert view(session, P1, 301).state is ProposalState.ACTIVE
    p1 = view(session, P1, 1100)  # past voteEnd, before the extended deadline
    assert p1.state is ProposalState.ACTIVE and p1.deadline == 1200 and p1.time_left == ("voting ends", 101)
    assert view(session, P1, 1201).state is ProposalState.SUCCEEDED
    assert view(session, P2, 1201).state is ProposalState.DEFEATED
    assert view(session, P3, 250).state is ProposalState.CANCELED
    history.emit("governor", "ProposalQueued", 1300, proposalId=P1, etaSeconds=2000)
    p1 = view(session, P1, 1400)
    assert p1.state is ProposalState.QUEUED and p1.eta == 2000 and p1.time_left == ("executable", 600)
    history.emit("governor", "ProposalExecuted", 2100, proposalId=P1)
    p1 = view(session, P1, 2200)
    assert p1.state is ProposalState.EXECUTED and p1.time_left is None and p1.executed_at == 2100
    assert [(s.name, s.at) for s in p1.timeline] == [
        ("created", 200), ("voting starts", 300), ("extended", 990), ("voting ends", 1000),
        ("voting ends (extended)", 1200), ("queued", 1300), ("executable", 2000), ("executed", 2100),
    ]  # fmt: skip


def test_an_operation_executed_on_the_timelock_directly_executes_the_proposal(session, history):
    """Anyone may execute a ready operation on the timelock: its CallExecuted (matched by the
    proposal's operation id) makes the proposal executed, as the governor reports it."""
    history.emit("governor", "ProposalQueued", 1300, proposalId=P1, etaSeconds=2000)
    operation = session.exec(
        select(GovProposal.timelock_operation).where(GovProposal.proposal_id == str(P1))
    ).one()
    history.emit(
        "timelock", "CallExecuted", 2050, id="0x" + "00" * 32, index=0, target=GOVERNOR, value=0, data="0x"
    )
    assert view(session, P1, 2100).state is ProposalState.QUEUED  # another operation
    history.emit("timelock", "CallExecuted", 2060, id=operation, index=0, target=GOVERNOR, value=0, data="0x")
    p1 = view(session, P1, 2100)
    assert p1.state is ProposalState.EXECUTED and p1.executed_at == 2060
    assert p1.timeline[-1] == records.Step("executed on the timelock", 2060)


def test_tallies_and_quorum_at_the_snapshot(session, history):
    """Weights summed by support; the quorum is the supply at the snapshot times the numerator in
    force then (a later change counts only for later proposals)."""
    p1 = view(session, P1, 2000)
    assert (p1.for_, p1.against, p1.abstain, p1.voters) == (9000 * UNIT, 1000 * UNIT, 0, 2)
    assert p1.quorum == 400 * UNIT and p1.quorum_progress_bps == 225_000
    assert p1.proposal_id == P1 and p1.title == "Grant" and p1.values == [0]
    history.created(P4, 360, 400, 500, "After the quorum change")
    p4 = view(session, P4, 600)
    assert p4.quorum == 5000 * UNIT and p4.state is ProposalState.DEFEATED and p4.quorum_progress_bps == 0
    listed = records.list_proposals(session=session, chain_id=CHAIN, now=2000)
    assert [v.proposal_id for v in listed] == [P4, P3, P2, P1]
    assert records.list_proposals(session=session, chain_id=CHAIN + 1, now=2000) == []


def test_without_an_indexed_quorum_a_closed_proposal_has_no_state(session):
    """A governor whose first events were not indexed: no quorum, no Succeeded/Defeated guess."""
    chain = Chain(session)
    chain.created(P2, 200, 300, 400, "Orphan")
    assert view(session, P2, 350).state is ProposalState.ACTIVE
    orphan = view(session, P2, 500)
    assert orphan.state is None and orphan.quorum is None and orphan.quorum_progress_bps is None


def test_the_actions_of_an_indexed_proposal_are_rebuilt_and_checked(session, history):
    """proposal_actions gives what queue/execute send, only when it hashes to the stored id."""
    real = proposal_of([GOVERNOR], [5], ["0x1234"], "Real")
    history.created(real.proposal_id, 240, 300, 1000, "Real")
    session.exec(update(GovProposal).where(GovProposal.proposal_id == str(real.proposal_id))
                 .values(values=["5"], calldatas=["0x1234"]))  # fmt: skip
    found = records.proposal_actions(
        session=session, chain_id=CHAIN, governor=GOVERNOR, proposal_id=real.proposal_id
    )
    assert found == real
    assert (
        records.proposal_actions(session=session, chain_id=CHAIN, governor=GOVERNOR, proposal_id=P1) is None
    )
    assert (
        records.proposal_actions(session=session, chain_id=CHAIN, governor=A, proposal_id=real.proposal_id)
        is None
    )


def test_votes_delegates_and_histories(session, history):
    """Votes heaviest first with reasons and params; top delegates by current power with their
    delegators; a voter's and a delegator's history."""
    votes = records.proposal_votes(session=session, chain_id=CHAIN, proposal_id=P1)
    assert [(v.voter, v.support, v.weight, v.reason, v.params) for v in votes] == [
        (A, 1, 9000 * UNIT, "yes", None), (C, 0, 1000 * UNIT, "", "0x01"),
    ]  # fmt: skip
    top = records.top_delegates(session=session, chain_id=CHAIN)
    assert [(d.delegate, d.votes, d.delegators) for d in top] == [(A, 9000 * UNIT, 2), (C, 1000 * UNIT, 1)]
    history.emit("token", "DelegateChanged", 600, delegator=B, fromDelegate=A, toDelegate=C)
    history.emit(
        "token", "DelegateVotesChanged", 600, delegate=A, previousVotes=9000 * UNIT, newVotes=6000 * UNIT
    )
    history.emit(
        "token", "DelegateVotesChanged", 600, delegate=C, previousVotes=1000 * UNIT, newVotes=4000 * UNIT
    )
    top = records.top_delegates(session=session, chain_id=CHAIN, limit=1)
    assert [(d.delegate, d.votes, d.delegators) for d in top] == [(A, 6000 * UNIT, 1)]
    top = records.top_delegates(session=session, chain_id=CHAIN)
    assert (top[1].delegate, top[1].votes, top[1].delegators) == (C, 4000 * UNIT, 2)
    assert [v.proposal_id for v in records.voter_history(session=session, chain_id=CHAIN, voter=C)] == [
        str(P1)
    ]
    moves = records.delegation_history(session=session, chain_id=CHAIN, delegator=B)
    assert [(m.from_delegate, m.to_delegate) for m in moves] == [(ZERO, A), (A, C)]
    settings = session.exec(select(GovSettingChange.setting, GovSettingChange.new_value)).all()
    assert sorted(settings) == [("quorum_numerator", "4"), ("quorum_numerator", "50")]


def test_projection_is_idempotent_and_follows_reorgs(session, history):
    """Projecting stored events again adds nothing; deleting an event (a reorg) deletes its row."""
    events = session.exec(select(ChainEvent).where(ChainEvent.chain_id == CHAIN)).all()
    assert sum(projector.project(session, events).values()) == 0
    vote = session.exec(select(GovVote).where(GovVote.voter == A)).one()
    session.exec(delete(ChainEvent).where(ChainEvent.id == vote.event_id))
    session.flush()
    session.expire_all()
    p1 = view(session, P1, 2000)
    assert (p1.for_, p1.against, p1.voters) == (0, 1000 * UNIT, 1)
    assert p1.state is ProposalState.DEFEATED


def test_the_read_commands_say_what_to_do_when_nothing_is_indexed(session, history):
    """With --chain-id no chain is needed; an empty chain says to run `sahara index`; votes needs a
    proposal or a voter; indexed rows are printed."""
    runner = CliRunner()
    out = runner.invoke(cli, ["gov", "proposals", "--chain-id", str(CHAIN + 1)], catch_exceptions=False)
    assert (
        out.exit_code == 0 and "no proposals indexed for chain 8: run `sahara index --network" in out.output
    )
    out = runner.invoke(cli, ["gov", "votes", "--chain-id", str(CHAIN)])
    assert out.exit_code == 2 and "give a PROPOSAL_ID or --voter ADDRESS" in out.output
    session.commit()
    out = runner.invoke(cli, ["gov", "votes", str(P1), "--chain-id", str(CHAIN)], catch_exceptions=False)
    assert out.output.splitlines()[0].startswith(f"{A}  for")
    out = runner.invoke(cli, ["gov", "delegates", "--chain-id", str(CHAIN)], catch_exceptions=False)
    assert "1. " + A in out.output and "9,000 votes  2 delegator(s)" in out.output
