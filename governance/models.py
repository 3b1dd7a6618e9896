"""Tables of the governance service.

Each part keeps its own section; amounts are :class:`~sahara_dao.core.db.BaseUnits` (``int``).
"""

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field

ADDRESS = 42
HASH = 66
ECDSA_SIGNATURE = 132  # 0x + 65 bytes
SIGNATURE = 200  # 65-byte ECDSA signatures are 132 characters; room for contract-wallet ones


# --- off-chain polls (Snapshot-compatible) -----------------------------------------------------------
#
# Signed envelopes ({address, sig, data}) are stored verbatim: `sahara poll verify` recomputes a
# tally from them. Ids are Snapshot's: the EIP-712 hash of the signed message (0x + 64 hex).
# Voting power is kept per vote in base units with its per-strategy and per-chain cells (decimal
# strings in JSON, since they pass 2**53).


class PollSpace(SQLModel, table=True):
    """A space (Snapshot's word): who may propose, which strategies give voting power, the rules."""

    __tablename__ = "poll_space"
    id: str = Field(primary_key=True, max_length=64)  # e.g. sahara.eth
    name: str
    settings: dict[str, Any] = Field(sa_type=JSON)  # validated settings (governance/spaces.py)
    settings_digest: str = Field(max_length=HASH)  # sha256 of the canonical settings JSON
    created_at: int = bigint_field()


class PollProposal(SQLModel, table=True):
    """A signed off-chain proposal, accepted (proposals that fail validation are refused, not kept)."""

    __tablename__ = "poll_proposal"
    id: str = Field(primary_key=True, max_length=HASH)  # EIP-712 hash of the signed message
    space: str = Field(foreign_key="poll_space.id", max_length=64, index=True)
    author: str = Field(max_length=ADDRESS)
    type: str = Field(max_length=32)  # voting type: single-choice, ranked-choice, ...
    title: str
    choices: list[str] = Field(sa_type=JSON)
    start: int = bigint_field()
    end: int = bigint_field()
    snapshot: int = bigint_field()  # the signed block, on the space's main chain
    snapshot_blocks: dict[str, int] = Field(sa_type=JSON)  # chain id (string) -> snapshot block
    snapshot_time: int | None = bigint_field(default=None)  # when other chains were mapped by time
    author_power: int = amount_field()  # the proposer's power at the snapshot (proposal validation)
    settings: dict[str, Any] = Field(sa_type=JSON)  # the space's settings when proposed: they rule this poll
    signature: str = Field(max_length=SIGNATURE, unique=True)
    envelope: dict[str, Any] = Field(sa_type=JSON)  # the signed envelope, verbatim
    timestamp: int = bigint_field()  # the signed message's timestamp
    received_at: int = bigint_field()
    pushed_at: int | None = bigint_field(default=None)  # sent to the Snapshot hub


class PollVote(SQLModel, table=True):
    """A signed vote as received: accepted, replaced by a later vote of the same voter, or rejected
    with its reason. Only accepted votes are counted."""

    __tablename__ = "poll_vote"
    __table_args__ = (
        Index("ix_poll_vote_proposal", "proposal_id", "status"),
        Index("ix_poll_vote_signature", "signature"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)
    vote_id: str | None = Field(default=None, max_length=HASH)  # EIP-712 hash, when the message has one
    proposal_id: str | None = Field(default=None, max_length=HASH)  # as signed (unknown ones too)
    space: str | None = Field(default=None, max_length=64)
    voter: str | None = Field(default=None, max_length=ADDRESS)  # as claimed by the envelope
    choice: Any = Field(default=None, sa_type=JSON)
    timestamp: int | None = bigint_field(default=None)  # the signed message's timestamp
    received_at: int = bigint_field()
    signature: str | None = Field(default=None, max_length=SIGNATURE)
    envelope: Any = Field(sa_type=JSON)  # what was submitted, verbatim
    status: str = Field(max_length=16)  # accepted, replaced, rejected
    reason: str | None = None
    vp: int = amount_field(default=0)  # base units, at the last tally (at acceptance before it)
    vp_by_strategy: list[str] = Field(default_factory=list, sa_type=JSON)
    vp_by_chain: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    pushed_at: int | None = bigint_field(default=None)


class PollResult(SQLModel, table=True):
    """The latest tally of a proposal: snapshot.js-equal scores with their breakdowns."""

    __tablename__ = "poll_result"
    proposal_id: str = Field(primary_key=True, foreign_key="poll_proposal.id", max_length=HASH)
    state: str = Field(max_length=16)  # pending (voting open) or final
    votes: int  # counted (accepted) votes
    scores: list[float] = Field(sa_type=JSON)  # per choice, as snapshot.js computes them
    scores_by_strategy: list[list[float]] = Field(sa_type=JSON)  # per choice, per strategy
    scores_by_chain: dict[str, list[float]] = Field(sa_type=JSON)  # chain id -> per choice
    scores_total: float
    vp_total: int = amount_field()  # exact sum of the counted votes' power, base units
    vp_by_strategy: list[str] = Field(sa_type=JSON)  # exact, base units
    vp_by_chain: dict[str, str] = Field(sa_type=JSON)  # exact, base units
    inputs_digest: str = Field(max_length=HASH)  # sha256 over the proposal and the counted votes
    computed_at: int = bigint_field()


# --- relayed ballots and delegations (governance/relay.py) -----------------------------------------


class RelayKind(StrEnum):
    VOTE = "vote"  # castVoteBySig / castVoteWithReasonAndParamsBySig on the governor
    DELEGATION = "delegation"  # delegateBySig on the token


class RelayStatus(StrEnum):
    PENDING = "pending"  # verified off-chain, waiting for a batch
    SENDING = "sending"  # in a signed batch transaction whose hash is recorded; outcome not yet known
    CAST = "cast"  # the batch transaction carried it out (tx_hash)
    FAILED = "failed"  # the chain refused it (simulated or in the batch): code and detail say why
    REJECTED = "rejected"  # refused before any gas was spent: code and detail say why


class RelayedSignature(SQLModel, table=True):
    """One signed ballot or delegation handed to the relay, exactly once per signature and chain."""

    __tablename__ = "relay_ballot"
    __table_args__ = (
        UniqueConstraint("chain_id", "signature", name="uq_relay_ballot_signature"),
        Index("ix_relay_ballot_status", "chain_id", "status"),
        Index("ix_relay_ballot_signer", "chain_id", "signer", "kind"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field()
    kind: str = Field(max_length=16)  # RelayKind
    target: str = Field(max_length=ADDRESS)  # the governor (votes) or the token (delegations)
    signer: str = Field(max_length=ADDRESS)  # the voter, or the delegator
    proposal_id: int | None = amount_field(default=None)
    support: int | None = None  # 0 against, 1 for, 2 abstain
    reason: str | None = Field(default=None, sa_type=Text)  # None: a plain Ballot; else an ExtendedBallot
    params: str | None = Field(default=None, sa_type=Text)  # 0x-hex params of an ExtendedBallot
    delegatee: str | None = Field(default=None, max_length=ADDRESS)
    expiry: int | None = bigint_field(default=None)
    nonce: int = amount_field()
    signature: str = Field(max_length=ECDSA_SIGNATURE)  # 0x-hex r || s || v
    digest: str = Field(max_length=HASH)  # the EIP-712 digest that was signed
    weight: int | None = amount_field(default=None)  # votes at the snapshot, or the delegator's balance
    status: str = Field(max_length=16)  # RelayStatus
    code: str | None = Field(default=None, max_length=32)  # short reason of a rejection or failure
    detail: str | None = Field(default=None, sa_type=Text)  # the reason in words, with what to do next
    tx_hash: str | None = Field(default=None, max_length=HASH)
    submitted_at: int = bigint_field()
    updated_at: int = bigint_field()
