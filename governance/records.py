"""The read side of on-chain governance, from the indexer's tables (for dashboards and the CLI).

Repository functions are keyword-only and take a ``Session``. Nothing here talks to a chain: what
needs time takes ``now``, the chain's clock (its latest block timestamp, unix seconds).

What is derived, and how (the same rules as OpenZeppelin's ``Governor.state`` with
``GovernorTimelockControl`` and ``GovernorPreventLateQuorum``):

- deadline: the latest ``ProposalExtended`` deadline, else ``voteEnd`` of ``ProposalCreated``;
- tallies: the sums of the ``VoteCast``/``VoteCastWithParams`` weights by support;
- quorum: total supply at the snapshot (mints minus burns up to ``voteStart``) times the quorum
  numerator in force at ``voteStart`` (the last ``QuorumNumeratorUpdated`` at or before it) / 100;
- state: executed or canceled when such an event exists (or the timelock executed its operation); else pending while ``now <= voteStart``,
  active while ``now <= deadline``; then defeated unless the quorum is reached (For + Abstain) and
  For beats Against; then queued when ``ProposalQueued`` exists, else succeeded. When the quorum
  cannot be derived (the governor's first events were not indexed) a closed, unqueued proposal has
  no state (``None``).

A queued operation executed directly on the timelock (anyone may execute there) emits no
``ProposalExecuted``; its ``CallExecuted`` events (matched by the proposal's timelock operation id)
make it executed here too, as the governor reports it.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.governance.lifecycle import (
    Proposal,
    ProposalState,
    Support,
    proposal_of,
    quorum_bps,
    time_left,
)
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

QUORUM_DENOMINATOR = 100


@dataclass(frozen=True)
class Step:
    """One moment of a proposal's life: created, voting starts/ends, queued, extended, executed,
    canceled, executable (the eta)."""

    name: str
    at: int  # unix seconds


@dataclass
class ProposalView:
    """A proposal with its tallies, quorum progress, state and timeline."""

    chain_id: int
    governor: str
    proposal_id: int
    proposer: str
    description: str
    targets: list[str]
    values: list[int]
    calldatas: list[str]
    created_at: int
    vote_start: int
    deadline: int
    eta: int | None
    executed_at: int | None
    canceled_at: int | None
    for_: int = 0
    against: int = 0
    abstain: int = 0
    voters: int = 0
    quorum: int | None = None
    state: ProposalState | None = None
    timeline: list[Step] = field(default_factory=list)
    time_left: tuple[str, int] | None = None

    @property
    def title(self) -> str:
        return self.description.strip().splitlines()[0] if self.description.strip() else ""

    @property
    def quorum_progress_bps(self) -> int | None:
        """For + Abstain in basis points of the quorum (10,000 = reached); None when unknown."""
        return None if self.quorum is None else quorum_bps(self.for_ + self.abstain, self.quorum)


def _latest_setting(session: Session, chain_id: int, setting: str, at: int) -> str | None:
    row = session.exec(
        select(GovSettingChange.new_value)
        .where(GovSettingChange.chain_id == chain_id, GovSettingChange.setting == setting,
               GovSettingChange.occurred_at <= at)
        .order_by(GovSettingChange.block_number.desc(), GovSettingChange.log_index.desc())
        .limit(1)
    ).first()  # fmt: skip
    return row


def quorum_at(*, session: Session, chain_id: int, timepoint: int) -> int | None:
    """The governor's quorum at ``timepoint`` from the indexed supply and quorum numerator, or None
    when no quorum numerator is indexed for that time."""
    numerator = _latest_setting(session, chain_id, "quorum_numerator", timepoint)
    if numerator is None:
        return None
    changes = session.exec(
        select(GovSupplyChange.minted, GovSupplyChange.burned).where(
            GovSupplyChange.chain_id == chain_id, GovSupplyChange.occurred_at <= timepoint
        )
    ).all()
    supply = sum(minted - burned for minted, burned in changes)
    return supply * int(numerator) // QUORUM_DENOMINATOR


def _derive_state(view: ProposalView, now: int) -> ProposalState | None:
    if view.executed_at is not None:
        return ProposalState.EXECUTED
    if view.canceled_at is not None:
        return ProposalState.CANCELED
    if now <= view.vote_start:
        return ProposalState.PENDING
    if now <= view.deadline:
        return ProposalState.ACTIVE
    if view.quorum is None:
        return None
    if view.for_ + view.abstain < view.quorum or view.for_ <= view.against:
        return ProposalState.DEFEATED
    return ProposalState.QUEUED if view.eta is not None else ProposalState.SUCCEEDED


def _views(session: Session, chain_id: int, rows: list[GovProposal], now: int) -> list[ProposalView]:
    ids = [row.proposal_id for row in rows]
    steps: dict[tuple[str, str], list[GovProposalStep]] = defaultdict(list)
    tallies: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    voters: dict[tuple[str, str], int] = defaultdict(int)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for step in session.exec(
            select(GovProposalStep)
            .where(GovProposalStep.chain_id == chain_id, GovProposalStep.proposal_id.in_(chunk))
            .order_by(GovProposalStep.block_number, GovProposalStep.log_index)
        ):
            steps[(step.governor, step.proposal_id)].append(step)
        for governor, proposal_id, support, weight in session.exec(
            select(GovVote.governor, GovVote.proposal_id, GovVote.support, GovVote.weight).where(
                GovVote.chain_id == chain_id, GovVote.proposal_id.in_(chunk)
            )
        ):
            tallies[(governor, proposal_id)][support] += weight
            voters[(governor, proposal_id)] += 1
    views = []
    executed_on_timelock: dict[str, int] = {}
    operations = [row.timelock_operation for row in rows]
    for start in range(0, len(operations), 500):
        for operation, at in session.exec(
            select(GovTimelockExecution.operation, GovTimelockExecution.occurred_at).where(
                GovTimelockExecution.chain_id == chain_id,
                GovTimelockExecution.operation.in_(operations[start : start + 500]),
            )
        ):
            executed_on_timelock[operation] = min(at, executed_on_timelock.get(operation, at))
    for row in rows:
        key = (row.governor, row.proposal_id)
        by_step = {step.step: step for step in steps[key]}  # the last of each kind
        queued, extended = by_step.get("queued"), by_step.get("extended")
        view = ProposalView(
            chain_id=chain_id, governor=row.governor, proposal_id=int(row.proposal_id), proposer=row.proposer,
            description=row.description, targets=list(row.targets), values=[int(v) for v in row.values],
            calldatas=list(row.calldatas), created_at=row.occurred_at, vote_start=row.vote_start,
            deadline=extended.value if extended else row.vote_end, eta=queued.value if queued else None,
            executed_at=by_step["executed"].occurred_at if "executed" in by_step
            else executed_on_timelock.get(row.timelock_operation),
            canceled_at=by_step["canceled"].occurred_at if "canceled" in by_step else None,
            for_=tallies[key][Support.FOR], against=tallies[key][Support.AGAINST],
            abstain=tallies[key][Support.ABSTAIN], voters=voters[key],
            quorum=quorum_at(session=session, chain_id=chain_id, timepoint=row.vote_start),
        )  # fmt: skip
        view.state = _derive_state(view, now)
        view.timeline = _timeline(view, row.vote_end, steps[key])
        if view.state is not None:
            view.time_left = time_left(view.state, now=now, snapshot=view.vote_start, deadline=view.deadline,
                                       eta=view.eta or 0)  # fmt: skip
        views.append(view)
    return views


def _timeline(view: ProposalView, vote_end: int, steps: list[GovProposalStep]) -> list[Step]:
    timeline = [Step("created", view.created_at), Step("voting starts", view.vote_start),
                Step("voting ends", vote_end)]  # fmt: skip
    for step in steps:
        timeline.append(Step(step.step, step.occurred_at))
        if step.step == "extended":
            timeline.append(Step("voting ends (extended)", step.value))
        if step.step == "queued":
            timeline.append(Step("executable", step.value))
    if view.executed_at is not None and all(step.step != "executed" for step in steps):
        timeline.append(Step("executed on the timelock", view.executed_at))
    return sorted(timeline, key=lambda s: s.at)


def list_proposals(
    *, session: Session, chain_id: int, now: int, limit: int | None = None
) -> list[ProposalView]:
    """The chain's proposals, newest first, with tallies, quorum progress, state and timeline."""
    query = (
        select(GovProposal)
        .where(GovProposal.chain_id == chain_id)
        .order_by(GovProposal.block_number.desc(), GovProposal.log_index.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return _views(session, chain_id, list(session.exec(query)), now)


def get_proposal(*, session: Session, chain_id: int, proposal_id: int, now: int) -> ProposalView | None:
    """One proposal by id, or None when the indexer has not seen it."""
    rows = list(session.exec(
        select(GovProposal).where(GovProposal.chain_id == chain_id, GovProposal.proposal_id == str(proposal_id))
    ))  # fmt: skip
    return _views(session, chain_id, rows, now)[0] if rows else None


def proposal_actions(*, session: Session, chain_id: int, governor: str, proposal_id: int) -> Proposal | None:
    """The actions and description of an indexed proposal (what queue, execute and cancel send), or
    None when the indexer has not seen it; checked against its id."""
    row = session.exec(select(GovProposal).where(
        GovProposal.chain_id == chain_id, GovProposal.governor == governor, GovProposal.proposal_id == str(proposal_id)
    )).first()  # fmt: skip
    if row is None:
        return None
    proposal = proposal_of(row.targets, row.values, row.calldatas, row.description)
    return proposal if proposal.proposal_id == proposal_id else None


def proposal_votes(*, session: Session, chain_id: int, proposal_id: int) -> list[GovVote]:
    """The votes of a proposal, heaviest first (ties in the order they were cast)."""
    votes = list(session.exec(
        select(GovVote).where(GovVote.chain_id == chain_id, GovVote.proposal_id == str(proposal_id))
        .order_by(GovVote.block_number, GovVote.log_index)
    ))  # fmt: skip
    return sorted(votes, key=lambda v: -v.weight)


def voter_history(*, session: Session, chain_id: int, voter: str) -> list[GovVote]:
    """Every vote ``voter`` cast on the chain, oldest first."""
    return list(session.exec(
        select(GovVote).where(GovVote.chain_id == chain_id, GovVote.voter == voter)
        .order_by(GovVote.block_number, GovVote.log_index)
    ))  # fmt: skip


def delegation_history(*, session: Session, chain_id: int, delegator: str) -> list[GovDelegation]:
    """Every change of ``delegator``'s delegate, oldest first."""
    return list(session.exec(
        select(GovDelegation).where(GovDelegation.chain_id == chain_id, GovDelegation.delegator == delegator)
        .order_by(GovDelegation.block_number, GovDelegation.log_index)
    ))  # fmt: skip


@dataclass(frozen=True)
class DelegatePower:
    delegate: str
    votes: int  # base units, as of the last indexed DelegateVotesChanged
    delegators: int  # accounts whose current delegate it is (itself included when self-delegated)
    changed_at: int


def _latest(session: Session, model, key, chain_id: int):
    """The last row per ``key`` column (by block and log index) of ``model`` on the chain."""
    rank = func.row_number().over(
        partition_by=key, order_by=(model.block_number.desc(), model.log_index.desc())
    )
    ranked = select(model.id, rank.label("rank")).where(model.chain_id == chain_id).subquery()
    return session.exec(select(model).join(ranked, model.id == ranked.c.id).where(ranked.c.rank == 1)).all()


def top_delegates(*, session: Session, chain_id: int, limit: int = 10) -> list[DelegatePower]:
    """The delegates with the most voting power now (zero-power ones left out)."""
    delegators: dict[str, int] = defaultdict(int)
    for row in _latest(session, GovDelegation, GovDelegation.delegator, chain_id):
        delegators[row.to_delegate] += 1
    powers = [
        DelegatePower(row.delegate, row.new_votes, delegators[row.delegate], row.occurred_at)
        for row in _latest(session, GovDelegateVotes, GovDelegateVotes.delegate, chain_id)
        if row.new_votes > 0
    ]
    return sorted(powers, key=lambda p: (-p.votes, p.delegate))[:limit]
