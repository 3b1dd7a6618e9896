"""Off-chain polls, compatible with Snapshot: spaces, signed proposals and signed votes.

Messages are snapshot.js's signed envelopes ``{address, sig, data: {domain, types, message}}``
(governance/messages.py verifies them). Ids are Snapshot's: the EIP-712 hash of the signed message.

Proposals. :func:`submit_proposal` verifies the signature, the space's rules (type, voting delay and
period, members), resolves the snapshot block on every chain of the space (refusing blocks the
indexer has not reached) and checks the proposer's voting power against the space's ``minScore``
(proposal validation ``basic``). A refused proposal raises :class:`PollError` with the reason and is
not stored; submitting the same envelope again returns the stored proposal.

Votes. :func:`submit_vote` stores every envelope it receives, verbatim, as one ``poll_vote`` row:
``accepted``, ``replaced`` or ``rejected`` with its reason. Rejected: a malformed envelope, a bad
signature or a wrong EIP-712 domain, an unknown space or proposal, a proposal of another space, a
signature already received (the first is kept; a resubmitted duplicate is recorded once), a vote
outside the voting window (by its signed timestamp and by the time it was received), a choice
invalid for the proposal's type, no voting power at the snapshot. One vote per address: a vote
signed later (a greater signed timestamp) replaces the voter's counted one; a vote signed at the
same time or earlier than the counted one is recorded as ``replaced`` at once.

Tallies and their verification are in governance/poll_results.py; the hub in governance/hub.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from sahara_dao.governance import messages, voting
from sahara_dao.governance.errors import EnvelopeError, GovernanceError
from sahara_dao.governance.models import ADDRESS, SIGNATURE, PollProposal, PollResult, PollSpace, PollVote
from sahara_dao.governance.spaces import SpaceSettings
from sahara_dao.governance.strategies import (
    VotingPower,
    checksum,
    resolve_snapshot,
    snapshot_states,
    to_float,
    voting_power,
)
from sahara_dao.governance.voting import VOTING_TYPES

ACCEPTED, REPLACED, REJECTED = "accepted", "replaced", "rejected"
FUTURE_GRACE = 30  # seconds a signed timestamp may run ahead of the receiving clock (Snapshot's hub: 30)


class PollError(GovernanceError, ValueError):
    """A space or proposal is refused, or a poll cannot be found or tallied; the message says why."""


# --- spaces ---------------------------------------------------------------------------------------------


def create_space(
    session: Session, settings: SpaceSettings, *, now: int | None = None
) -> tuple[PollSpace, bool]:
    """Store a space; returns it and whether it changed. Rerunning with the same settings changes
    nothing; new settings replace the old ones (proposals keep the snapshot blocks they resolved)."""
    row = session.get(PollSpace, settings.id)
    if row is not None and row.settings_digest == settings.digest:
        return row, False
    row = row or PollSpace(id=settings.id, name=settings.name, settings={}, settings_digest="", created_at=0)
    row.name, row.settings, row.settings_digest = settings.name, dict(settings.raw), settings.digest
    row.created_at = row.created_at or clock(now)
    session.add(row)
    session.flush()
    return row, True


def space_settings(session: Session, space_id: str) -> SpaceSettings:
    row = session.get(PollSpace, space_id)
    if row is None:
        raise PollError(f"unknown space {space_id!r}: create it first with `sahara poll space create CONFIG`")
    return SpaceSettings.parse(row.settings, f"space {space_id}")


# --- envelopes --------------------------------------------------------------------------------------------


def clock(now: int | None) -> int:
    """``now`` if given (tests, replays), else the current unix time."""
    return int(time.time()) if now is None else now


VOTE_TYPE_SETS = ("vote", "vote-array", "vote-string")


def open_envelope(envelope: Any, kind: str) -> tuple[str, dict[str, Any], str]:
    """(signer, message, id) of a validly signed envelope of ``kind`` (proposal or vote); raises
    :class:`PollError` with the reason (messages.py's code and detail) otherwise."""
    try:
        signed = messages.check_envelope(envelope)
    except EnvelopeError as exc:
        raise PollError(f"{exc.reason}: {exc.detail}") from None
    if (signed.type == "proposal") != (kind == "proposal") or (
        kind == "vote" and signed.type not in VOTE_TYPE_SETS
    ):
        raise PollError(f"not a {kind}: the envelope is a signed {signed.type} message")
    return checksum(signed.signer), signed.message, "0x" + signed.digest.hex()


def decode_choice(choice: Any) -> Any:
    """The choice as snapshot.js's voting classes take it (weighted and quadratic votes sign JSON text)."""
    if isinstance(choice, str):
        try:
            return json.loads(choice)
        except ValueError:
            return choice
    return choice


# --- proposals ---------------------------------------------------------------------------------------------


def submit_proposal(
    session: Session, envelope: Mapping[str, Any], *, snapshot_blocks: Mapping[int, int] | None = None,
    now: int | None = None,
) -> PollProposal:  # fmt: skip
    """Verify and store a signed proposal (see the module's docstring); returns the stored row."""
    author, message, proposal_id = open_envelope(envelope, "proposal")
    existing = session.get(PollProposal, proposal_id)
    if existing is not None:
        return existing
    space = space_settings(session, str(message.get("space")))
    kind = message.get("type")
    if kind not in VOTING_TYPES:
        raise PollError(f"proposal type {kind!r} is not one of {', '.join(VOTING_TYPES)}")
    if space.voting_type and kind != space.voting_type:
        raise PollError(f"space {space.id} only takes {space.voting_type} proposals, not {kind}")
    if message.get("privacy"):
        raise PollError(
            f"privacy {message['privacy']!r} (encrypted votes) is not supported: propose with privacy ''"
        )
    choices = message.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
        raise PollError("choices must be a non-empty list of non-empty strings")
    start, end, timestamp = int(message["start"]), int(message["end"]), int(message["timestamp"])
    received = clock(now)
    if timestamp > received + FUTURE_GRACE:
        raise PollError(
            f"the proposal is signed at {timestamp}, in the future (now {received}): check the clock"
        )
    if end <= start:
        raise PollError(f"the voting window ends ({end}) before it starts ({start})")
    if start < timestamp + space.voting_delay:
        raise PollError(
            f"voting must start at least {space.voting_delay} s after the proposal ({timestamp}), not at {start}"
        )
    if space.voting_period is not None and end - start != space.voting_period:
        raise PollError(
            f"space {space.id} votes for exactly {space.voting_period} s, not {end - start} s (end - start)"
        )
    if space.only_members and author not in space.admins | space.members:
        raise PollError(f"only members of space {space.id} may propose; {author} is not one")
    blocks, moment = resolve_snapshot(
        session, network=space.network, block=int(message["snapshot"]), chains=space.chains,
        sources=space.sources, explicit=snapshot_blocks,
    )  # fmt: skip
    power = powers_at(session, space, blocks, [author], [author])[author]
    if space.min_score is not None and power.total < space.min_score and author not in space.admins:
        raise PollError(
            f"proposal validation: {author} has {to_float(power.total)} {space.symbol} of voting power at the "
            f"snapshot, under the space's minimum of {to_float(space.min_score)}"
        )
    row = PollProposal(
        id=proposal_id, space=space.id, author=author, type=kind, title=str(message.get("title", "")),
        choices=choices, start=start, end=end, snapshot=int(message["snapshot"]),
        snapshot_blocks={str(c): b for c, b in blocks.items()}, snapshot_time=moment, author_power=power.total,
        settings=dict(space.raw),
        signature=envelope["sig"], envelope=json.loads(json.dumps(envelope)), timestamp=timestamp, received_at=received,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def proposal_settings(proposal: PollProposal) -> SpaceSettings:
    """The space's settings as they were when ``proposal`` was accepted (as on Snapshot, a proposal
    keeps its strategies and rules when the space changes later)."""
    return SpaceSettings.parse(proposal.settings, f"space {proposal.space} (as of proposal {proposal.id})")


def get_proposal(session: Session, proposal_id: str) -> PollProposal:
    row = session.get(PollProposal, proposal_id.lower())
    if row is None:
        raise PollError(f"unknown proposal {proposal_id}: `sahara poll propose ENVELOPE.json` stores one")
    return row


def snapshot_blocks_of(proposal: PollProposal) -> dict[int, int]:
    """The proposal's snapshot block per chain id."""
    return {int(c): b for c, b in proposal.snapshot_blocks.items()}


def powers_at(session, space: SpaceSettings, blocks, addresses, voters) -> dict[str, VotingPower]:
    """The voting power of ``addresses`` at ``blocks`` under the space's strategies (see strategies.py)."""
    states = snapshot_states(session, blocks, space.strategies)
    return voting_power(states, space.strategies, addresses, voters)


# --- votes ---------------------------------------------------------------------------------------------------


@dataclass
class Judgement:
    """What the rules say about one received vote."""

    status: str
    reason: str | None = None
    voter: str | None = None
    message: Mapping[str, Any] = field(default_factory=dict)
    vote_id: str | None = None


def judge(
    envelope: Any, *, received_at: int, proposals: Mapping[str, PollProposal], seen_signatures: set[str],
    counted: Mapping[str, PollVote],
) -> Judgement:  # fmt: skip
    """Apply every rule that the signed message and the receiving time decide (power aside)."""
    try:
        voter, message, vote_id = open_envelope(envelope, "vote")
    except PollError as exc:
        claimed = envelope.get("address") if isinstance(envelope, Mapping) else None
        return Judgement(REJECTED, str(exc), voter=claimed if isinstance(claimed, str) else None)
    judged = Judgement(ACCEPTED, None, voter, message, vote_id)
    proposal = proposals.get(str(message.get("proposal", "")).lower())
    if envelope["sig"] in seen_signatures:
        return _reject(judged, "duplicate signature: this vote was already received")
    if proposal is None:
        return _reject(judged, f"unknown proposal {message.get('proposal')}")
    if message.get("space") != proposal.space:
        return _reject(
            judged, f"unknown space {message.get('space')!r} for this proposal (it is in {proposal.space})"
        )
    timestamp = int(message.get("timestamp", 0))
    if timestamp > received_at + FUTURE_GRACE:
        return _reject(judged, f"signed at {timestamp}, in the future (received at {received_at})")
    if timestamp < proposal.start or received_at < proposal.start:
        return _reject(judged, f"outside the voting window: voting starts at {proposal.start}")
    if timestamp > proposal.end or received_at > proposal.end:
        return _reject(judged, f"outside the voting window: voting ended at {proposal.end}")
    problem = voting.choice_problem(
        proposal.type, decode_choice(message.get("choice")), len(proposal.choices)
    )
    if problem:
        return _reject(
            judged,
            f"invalid choice for a {proposal.type} proposal of {len(proposal.choices)} choices: {problem}",
        )
    current = counted.get(voter)
    if current is not None and timestamp <= (current.timestamp or 0):
        judged.status, judged.reason = (
            REPLACED,
            f"an earlier-signed vote than the one counted (signed at {current.timestamp})",
        )
    return judged


def _reject(judged: Judgement, reason: str) -> Judgement:
    judged.status, judged.reason = REJECTED, reason
    return judged


def submit_vote(session: Session, envelope: Any, *, now: int | None = None) -> PollVote:
    """Judge a signed vote and record it (accepted, replaced or rejected with the reason)."""
    received = clock(now)
    signature = envelope.get("sig") if isinstance(envelope, Mapping) else None
    signature = signature if isinstance(signature, str) and len(signature) <= SIGNATURE else None
    if isinstance(signature, str):
        duplicate = session.exec(
            select(PollVote).where(PollVote.signature == signature, PollVote.status == REJECTED,
                                   PollVote.reason.startswith("duplicate signature"))
        ).first()  # fmt: skip
        if duplicate is not None:
            return duplicate  # a resubmitted duplicate is recorded once
    data = envelope.get("data") if isinstance(envelope, Mapping) else None
    message = data.get("message") if isinstance(data, Mapping) else None
    message = message if isinstance(message, Mapping) else {}
    proposal_id = str(message.get("proposal", "")).lower()[:66]
    proposal = session.get(PollProposal, proposal_id) if proposal_id else None
    counted = {}
    if proposal is not None:
        counted = {v.voter: v for v in votes_of(session, proposal.id, ACCEPTED)}
    seen = (
        set(session.exec(select(PollVote.signature).where(PollVote.signature == signature)).all())
        if signature
        else set()
    )
    judged = judge(envelope, received_at=received, proposals={proposal.id: proposal} if proposal else {},
                    seen_signatures=seen, counted=counted)  # fmt: skip
    voter = judged.voter if judged.voter and len(judged.voter) <= ADDRESS else None
    row = PollVote(
        vote_id=judged.vote_id, proposal_id=proposal_id or None, space=_text(message, "space"), voter=voter,
        choice=message.get("choice"), timestamp=_int(message, "timestamp"), received_at=received,
        signature=signature, envelope=json.loads(json.dumps(envelope, default=str)), status=judged.status,
        reason=judged.reason,
    )  # fmt: skip
    if judged.status == ACCEPTED:
        space = proposal_settings(proposal)
        power = powers_at(
            session, space, snapshot_blocks_of(proposal), [judged.voter], set(counted) | {judged.voter}
        )[judged.voter]
        if power.total == 0:
            row.status, row.reason = REJECTED, "no voting power at the snapshot"
        else:
            store_power(row, power, len(space.strategies))
            if (previous := counted.get(judged.voter)) is not None:
                previous.status, previous.reason = (
                    REPLACED,
                    "replaced by a later-signed vote of the same voter",
                )
                session.add(previous)
    session.add(row)
    session.flush()
    return row


def _text(message: Any, key: str) -> str | None:
    value = message.get(key) if isinstance(message, Mapping) else None
    return value[:64] if isinstance(value, str) else None


def _int(message: Any, key: str) -> int | None:
    value = message.get(key) if isinstance(message, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63 else None


def store_power(row: PollVote, power: VotingPower, strategies: int) -> None:
    """Keep a vote's power with its cells (decimal strings: they pass 2**53)."""
    row.vp = power.total
    row.vp_by_strategy = [str(v) for v in power.by_strategy(strategies)]
    row.vp_by_chain = {str(c): str(v) for c, v in power.by_chain().items()}


def votes_of(session: Session, proposal_id: str, status: str | None = None) -> list[PollVote]:
    """The votes received for a proposal (of one status if given), in the order received."""
    query = select(PollVote).where(PollVote.proposal_id == proposal_id)
    if status is not None:
        query = query.where(PollVote.status == status)
    return list(session.exec(query.order_by(PollVote.id)))


# --- one poll from start to finish (the demo) ----------------------------------------------------------------


def latest_indexed_blocks(session: Session, settings: SpaceSettings) -> dict[int, int]:
    """Every chain's last block indexed for all the deployments the space's strategies read."""
    from sahara_dao.core.models import IndexerCheckpoint
    from sahara_dao.governance.strategies import check_indexed

    blocks = {}
    for chain_id in settings.chains:
        rows = [session.get(IndexerCheckpoint, (chain_id, contract)) for contract in sorted(settings.sources)]
        if any(row is None for row in rows):
            check_indexed(session, chain_id, 0, settings.sources)  # raises with the hint
        blocks[chain_id] = min(row.block_number for row in rows)
    return blocks


def run_poll(
    session: Session, settings: SpaceSettings, *, proposer_key: str, title: str, choices: Sequence[str],
    ballots: Sequence[tuple[str, Any]], voting_type: str = "ranked-choice", period: int = 3600,
    now: int | None = None,
) -> tuple[PollProposal, PollResult, list[PollVote]]:  # fmt: skip
    """A whole off-chain poll: store the space, sign and submit a proposal whose snapshot is the last
    indexed block of every chain, sign and submit ``ballots`` (private key, choice), and tally as the
    window closes. Returns the proposal, the stored result and the vote rows (rejected ones too).

    Signing here stands for the voters' wallets (snapshot.js would sign the same messages); the chains
    must be indexed (`sahara index`) after the balances, stakes and receipts that should count.
    """
    create_space(session, settings, now=now)
    now = clock(now)
    blocks = latest_indexed_blocks(session, settings)
    message = {
        "space": settings.id, "timestamp": now, "type": voting_type, "title": title, "body": "", "discussion": "",
        "choices": list(choices), "labels": [], "start": now + settings.voting_delay,
        "end": now + settings.voting_delay + (settings.voting_period or period), "snapshot": blocks[settings.network],
        "plugins": "{}", "privacy": "", "app": "sahara-dao",
    }  # fmt: skip
    proposal = submit_proposal(
        session, messages.sign_envelope("proposal", message, proposer_key), snapshot_blocks=blocks, now=now
    )
    votes = []
    for offset, (key, choice) in enumerate(ballots):
        at = proposal.start + offset
        vote = {"space": settings.id, "timestamp": at, "proposal": proposal.id, "type": proposal.type, "choice": choice, "reason": "",
                "app": "sahara-dao", "metadata": "{}"}  # fmt: skip
        votes.append(submit_vote(session, messages.sign_envelope("vote", vote, key), now=at))
    from sahara_dao.governance.poll_results import tally  # poll_results builds on this module

    return proposal, tally(session, proposal.id, now=proposal.end + 1), votes
