"""Off-chain polls for reading (dashboards): each poll with its latest result, per choice, and its
votes with their choices spelled out for the poll's voting type.

Read-only over ``poll_proposal``, ``poll_result`` and ``poll_vote``. Scores are snapshot.js's
(floats, by design of the voting types); voting power is exact, in base units.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from sahara_dao.governance.choice_strings import choice_string_of
from sahara_dao.governance.errors import VotingError
from sahara_dao.governance.models import PollProposal, PollResult, PollVote


@dataclass(frozen=True)
class PollSummary:
    id: str
    space: str
    title: str
    type: str
    author: str
    choices: list[str]
    start: int
    end: int
    snapshot: int
    state: str  # pending (not started), active, closed
    votes: int  # counted at the last tally (0 when never tallied)
    scores: list[float]
    scores_total: float
    vp_total: int
    result_state: str | None  # the stored result's: pending (voting open) or final; None: never tallied
    computed_at: int | None

    @property
    def leading(self) -> list[str]:
        """The choices with the highest score (several on a tie; none without votes)."""
        if not self.scores or max(self.scores) <= 0:
            return []
        best = max(self.scores)
        return [choice for choice, score in zip(self.choices, self.scores, strict=False) if score == best]


def _state(proposal: PollProposal, now: int) -> str:
    if now < proposal.start:
        return "pending"
    return "active" if now <= proposal.end else "closed"


def list_polls(*, session: Session, now: int, space: str | None = None) -> list[PollSummary]:
    """Every poll (of ``space``, or all), newest first, with its latest stored result."""
    query = select(PollProposal, PollResult).join(PollResult, PollResult.proposal_id == PollProposal.id, isouter=True)
    if space is not None:
        query = query.where(PollProposal.space == space)
    rows = session.exec(query.order_by(PollProposal.start.desc(), PollProposal.id))
    return [
        PollSummary(p.id, p.space, p.title, p.type, p.author, list(p.choices), p.start, p.end, p.snapshot,
                    _state(p, now), r.votes if r else 0, list(r.scores) if r else [0.0] * len(p.choices),
                    r.scores_total if r else 0.0, r.vp_total if r else 0, r.state if r else None,
                    r.computed_at if r else None)
        for p, r in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class PollBallot:
    voter: str | None
    status: str  # accepted, replaced, rejected
    choice: str  # spelled out for the voting type
    vp: int
    reason: str | None  # why it was rejected
    timestamp: int | None


def describe_choice(voting_type: str, choices: list[str], choice: Any) -> str:
    """A vote's choice as snapshot.js's ``getChoiceString`` spells it (``(1st) Agents, (2nd) Models``
    for ranked choice); a choice it cannot spell is shown as it was signed."""
    try:
        words = choice_string_of(voting_type, choices, choice)
    except VotingError:
        words = None
    return str(choice) if words is None else words


def poll_ballots(*, session: Session, proposal_id: str) -> list[PollBallot]:
    """The votes received for a poll, accepted ones first, heaviest first."""
    proposal = session.get(PollProposal, proposal_id)
    if proposal is None:
        return []
    rows = session.exec(select(PollVote).where(PollVote.proposal_id == proposal_id))
    ballots = [PollBallot(v.voter, v.status, describe_choice(proposal.type, list(proposal.choices), v.choice), v.vp,
                          v.reason, v.timestamp) for v in rows]  # fmt: skip
    return sorted(ballots, key=lambda b: (b.status != "accepted", -b.vp, b.voter or ""))
