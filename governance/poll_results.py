"""Results of off-chain polls: tallies and their verification from the stored signed messages.

Tallies. :func:`tally` recomputes every counted vote's power from the index at the proposal's
snapshot blocks (Snapshot's delegation depends on who voted, so power is final only at the tally),
stores it on the votes, scores them with governance/voting.py (snapshot.js's scoring) and stores the
result with its per-strategy and per-chain breakdown, the exact totals in base units and a digest of
its inputs.

Verification. :func:`verify` recomputes a tally from the stored signed messages alone: it verifies
every stored signature again, replays the acceptance and replacement rules on the stored envelopes
in the order received (with the time each was received), and scores the votes it keeps with the
voting power stored on them, then compares with the stored result. The stored power is the input
that the signed messages cannot give (it comes from the chain): it is trusted by default and
published with the result, and ``recompute_power=True`` recomputes it from the index and compares
too (the index must still hold the snapshot blocks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from sahara_dao.governance import voting
from sahara_dao.governance.models import PollProposal, PollResult, PollVote
from sahara_dao.governance.polls import (
    ACCEPTED,
    REJECTED,
    REPLACED,
    PollError,
    clock,
    decode_choice,
    get_proposal,
    judge,
    open_envelope,
    powers_at,
    proposal_settings,
    snapshot_blocks_of,
    store_power,
    votes_of,
)
from sahara_dao.governance.spaces import digest
from sahara_dao.governance.strategies import to_float

# --- tallies ---------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Scores and exact totals of a set of counted votes."""

    scores: list[float]
    scores_by_strategy: list[list[float]]
    scores_by_chain: dict[str, list[float]]
    scores_total: float
    vp_total: int
    vp_by_strategy: list[str]
    vp_by_chain: dict[str, str]
    inputs_digest: str
    votes: int


def compute_tally(proposal: PollProposal, votes: Sequence[PollVote], strategies: int) -> Tally:
    """Score ``votes`` (their signed choices, their stored power) as snapshot.js would."""
    chains = sorted(set(proposal.snapshot_blocks), key=int)
    ballots, by_chain = [], []
    vp_by_strategy, vp_by_chain = [0] * strategies, dict.fromkeys(chains, 0)
    for vote in votes:
        choice = decode_choice(vote.envelope["data"]["message"]["choice"])
        cells = [int(v) for v in vote.vp_by_strategy] or [0] * strategies
        chain_cells = [int(vote.vp_by_chain.get(c, 0)) for c in chains]
        ballots.append(
            {"choice": choice, "balance": to_float(vote.vp), "scores": [to_float(v) for v in cells]}
        )
        by_chain.append(
            {"choice": choice, "balance": to_float(vote.vp), "scores": [to_float(v) for v in chain_cells]}
        )
        vp_by_strategy = [a + b for a, b in zip(vp_by_strategy, cells, strict=True)]
        for chain, value in zip(chains, chain_cells, strict=True):
            vp_by_chain[chain] += value
    n = len(proposal.choices)
    scored = voting.score(proposal.type, n, ballots, strategies)
    per_chain = voting.score(proposal.type, n, by_chain, len(chains)).scores_by_strategy
    inputs = {
        "proposal": proposal.envelope,
        "snapshot_blocks": proposal.snapshot_blocks,
        "votes": sorted([v.envelope["sig"], v.vp_by_strategy, v.vp_by_chain] for v in votes),
    }
    return Tally(
        scores=scored.scores, scores_by_strategy=scored.scores_by_strategy,
        scores_by_chain={chain: [per_choice[i] for per_choice in per_chain] for i, chain in enumerate(chains)},
        scores_total=scored.scores_total, vp_total=sum(v.vp for v in votes),
        vp_by_strategy=[str(v) for v in vp_by_strategy], vp_by_chain={c: str(v) for c, v in vp_by_chain.items()},
        inputs_digest=digest(inputs), votes=len(votes),
    )  # fmt: skip


def tally(session: Session, proposal_id: str, *, now: int | None = None) -> PollResult:
    """Recompute the counted votes' power at the snapshot, score them and store the result."""
    proposal = get_proposal(session, proposal_id)
    space = proposal_settings(proposal)
    votes = votes_of(session, proposal.id, ACCEPTED)
    voters = [v.voter for v in votes]
    powers = powers_at(session, space, snapshot_blocks_of(proposal), voters, voters)
    for vote in votes:
        store_power(vote, powers[vote.voter], len(space.strategies))
        session.add(vote)
    result = compute_tally(proposal, votes, len(space.strategies))
    computed_at = clock(now)
    fields = _fields(result, proposal, computed_at)
    row = session.get(PollResult, proposal.id) or PollResult(proposal_id=proposal.id, **fields)
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def _fields(result: Tally, proposal: PollProposal, computed_at: int) -> dict[str, Any]:
    return {
        "state": "final" if computed_at > proposal.end else "pending", "votes": result.votes,
        "scores": result.scores, "scores_by_strategy": result.scores_by_strategy,
        "scores_by_chain": result.scores_by_chain, "scores_total": result.scores_total,
        "vp_total": result.vp_total, "vp_by_strategy": result.vp_by_strategy, "vp_by_chain": result.vp_by_chain,
        "inputs_digest": result.inputs_digest, "computed_at": computed_at,
    }  # fmt: skip


def get_result(session: Session, proposal_id: str) -> PollResult:
    proposal = get_proposal(session, proposal_id)
    row = session.get(PollResult, proposal.id)
    if row is None:
        raise PollError(f"proposal {proposal.id} has no tally yet: run `sahara poll tally {proposal.id}`")
    return row


def format_sahara(value: float) -> str:
    """A float SAHARA figure for people: thousands separators, at most 6 decimals."""
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def describe(session: Session, proposal_id: str) -> list[str]:
    """The stored result as text lines: scores per choice, per strategy and per chain, the totals,
    and the votes not counted with their reasons (what `sahara poll show` prints)."""
    proposal = get_proposal(session, proposal_id)
    result = get_result(session, proposal.id)
    space = proposal_settings(proposal)
    quorum = "reached" if result.vp_total >= space.quorum else "not reached"
    chains = sorted(result.scores_by_chain, key=int)
    lines = [
        f"proposal {proposal.id} ({proposal.type}, space {proposal.space}): {proposal.title}",
        f"  {result.state}; {result.votes} votes counted; voting power {format_sahara(to_float(result.vp_total))} "
        f"{space.symbol}; quorum {quorum}",
        f"  {'choice':24} {'score':>16} " + " ".join(f"{s.name:>18}" for s in space.strategies)
        + " " + " ".join(f"{'chain ' + c:>16}" for c in chains),
    ]  # fmt: skip
    for i, choice in enumerate(proposal.choices):
        lines.append(
            f"  {choice[:24]:24} {format_sahara(result.scores[i]):>16} "
            + " ".join(f"{format_sahara(v):>18}" for v in result.scores_by_strategy[i])
            + " " + " ".join(f"{format_sahara(result.scores_by_chain[c][i]):>16}" for c in chains)
        )  # fmt: skip
    lines.append(f"  scores total {format_sahara(result.scores_total)}; inputs digest {result.inputs_digest}")
    for row in votes_of(session, proposal.id):
        if row.status in (REJECTED, REPLACED):
            lines.append(f"  {row.status:8} vote {row.id} of {row.voter or '?'}: {row.reason}")
    return lines


# --- verification -----------------------------------------------------------------------------------------------


@dataclass
class Verification:
    """What :func:`verify` found: an empty ``problems`` list means the stored result is reproduced."""

    proposal_id: str
    votes_checked: int
    counted: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, proposal_id: str, *, recompute_power: bool = False) -> Verification:
    """Recompute the tally of ``proposal_id`` from the stored signed messages (see the module's docstring)."""
    proposal = get_proposal(session, proposal_id)
    stored = get_result(session, proposal.id)
    space = proposal_settings(proposal)
    rows = votes_of(session, proposal.id)
    report = Verification(proposal.id, len(rows), 0)
    try:
        _author, _message, derived = open_envelope(proposal.envelope, "proposal")
        if derived != proposal.id:
            report.problems.append(f"the proposal's envelope hashes to {derived}, not its id {proposal.id}")
    except PollError as exc:
        report.problems.append(f"the proposal's stored envelope no longer verifies: {exc}")
    counted: dict[str, PollVote] = {}
    seen: set[str] = set()
    for row in rows:
        judged = judge(row.envelope, received_at=row.received_at, proposals={proposal.id: proposal},
                        seen_signatures=seen, counted=counted)  # fmt: skip
        if isinstance(row.envelope, Mapping) and isinstance(row.envelope.get("sig"), str):
            seen.add(row.envelope["sig"])
        if (
            judged.status == ACCEPTED
            and row.status == REJECTED
            and row.reason == "no voting power at the snapshot"
        ):
            continue  # decided by the index, not by the message: checked with recompute_power
        if judged.status == ACCEPTED:
            counted[judged.voter] = row
        elif row.status == ACCEPTED:
            report.problems.append(
                f"vote {row.id} is stored as counted but the rules say {judged.status}: {judged.reason}"
            )
    keep = sorted(counted.values(), key=lambda v: v.id)
    stored_counted = {v.id for v in rows if v.status == ACCEPTED}
    for extra in stored_counted - {v.id for v in keep}:
        if not any(f"vote {extra} " in p for p in report.problems):
            report.problems.append(
                f"vote {extra} is stored as counted but a later-signed vote of its voter replaces it"
            )
    for missing in {v.id for v in keep} - stored_counted:
        report.problems.append(
            f"vote {missing} passes every rule but is stored as {session.get(PollVote, missing).status}"
        )
    report.counted = len(keep)
    if recompute_power:
        voters = [v.voter for v in keep]
        powers = powers_at(session, space, snapshot_blocks_of(proposal), voters, voters)
        for vote in keep:
            power = powers[vote.voter]
            if (
                power.total != vote.vp
                or [str(v) for v in power.by_strategy(len(space.strategies))] != vote.vp_by_strategy
            ):
                report.problems.append(
                    f"vote {vote.id} of {vote.voter}: stored power {vote.vp}, the index gives {power.total}"
                )
    result = compute_tally(proposal, keep, len(space.strategies))
    for name in ("votes", "scores", "scores_by_strategy", "scores_by_chain", "scores_total", "vp_total",
                 "vp_by_strategy", "vp_by_chain", "inputs_digest"):  # fmt: skip
        if getattr(result, name) != getattr(stored, name):
            report.problems.append(
                f"{name}: stored {getattr(stored, name)}, recomputed {getattr(result, name)}"
            )
    return report
