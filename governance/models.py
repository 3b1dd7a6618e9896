"""Tables of the governance service. Several parts of governance/ add tables here, each in its own
section: keep a section's classes together under its header.

Rows derived from an event carry ``event_id`` (deleted with the event when a reorg drops it).
Amounts (votes, supply) are :class:`~sahara_dao.core.db.BaseUnits`; times are unix seconds (block
timestamps); on-chain uint256 ids (proposal ids) are decimal strings.
"""

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field
from sahara_dao.core.models import event_fk

ADDRESS = 42
HASH = 66
UINT256_DIGITS = 78
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


# --- on-chain lifecycle: projections of governor, timelock and token events --------------------------
# (governance/indexing.py derives them; governance/records.py reads them)


class GovEventRow(SQLModel):
    """Where a derived row's event sits on its chain (each table adds ``event_id``, its own column)."""

    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    block_number: int = bigint_field()
    log_index: int
    occurred_at: int = bigint_field()  # block timestamp


class GovProposal(GovEventRow, table=True):
    """A proposal as created on the governor (ProposalCreated)."""

    __tablename__ = "gov_proposal"
    __table_args__ = (UniqueConstraint("chain_id", "governor", "proposal_id", name="uq_gov_proposal"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    governor: str = Field(max_length=ADDRESS)
    proposal_id: str = Field(max_length=UINT256_DIGITS)
    proposer: str = Field(max_length=ADDRESS, index=True)
    targets: list[str] = Field(sa_type=JSON)
    values: list[str] = Field(sa_type=JSON)  # wei, decimal strings
    calldatas: list[str] = Field(sa_type=JSON)  # 0x hex
    signatures: list[str] = Field(sa_type=JSON)
    description: str
    vote_start: int = bigint_field()  # the snapshot: pending up to and including it
    vote_end: int = bigint_field()  # the deadline before any late-quorum extension
    timelock_operation: str = Field(max_length=HASH, index=True)  # its batch id in the timelock, 0x hex
    tx_hash: str = Field(max_length=HASH)


PROPOSAL_STEPS = ("queued", "executed", "canceled", "extended")


class GovProposalStep(GovEventRow, table=True):
    """A later step of a proposal: queued (with its eta), executed, canceled, or its deadline
    extended by a late quorum (with the new deadline)."""

    __tablename__ = "gov_proposal_step"
    __table_args__ = (Index("ix_gov_proposal_step_proposal", "chain_id", "proposal_id"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    governor: str = Field(max_length=ADDRESS)
    proposal_id: str = Field(max_length=UINT256_DIGITS)
    step: str = Field(max_length=16)  # one of PROPOSAL_STEPS
    value: int | None = bigint_field(default=None)  # eta (queued) or new deadline (extended)


class GovTimelockExecution(GovEventRow, table=True):
    """A call of a timelock operation executed (the timelock's CallExecuted): anyone may execute a
    ready operation on the timelock directly, which the governor reports as Executed without a
    ProposalExecuted event."""

    __tablename__ = "gov_timelock_execution"
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    operation: str = Field(max_length=HASH, index=True)
    call_index: int


class GovVote(GovEventRow, table=True):
    """A vote (VoteCast or VoteCastWithParams)."""

    __tablename__ = "gov_vote"
    __table_args__ = (
        Index("ix_gov_vote_proposal", "chain_id", "proposal_id"),
        Index("ix_gov_vote_voter", "chain_id", "voter"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    governor: str = Field(max_length=ADDRESS)
    proposal_id: str = Field(max_length=UINT256_DIGITS)
    voter: str = Field(max_length=ADDRESS)
    support: int  # 0 against, 1 for, 2 abstain
    weight: int = amount_field()
    reason: str
    params: str | None = None  # 0x hex, VoteCastWithParams only
    tx_hash: str = Field(max_length=HASH)


class GovDelegation(GovEventRow, table=True):
    """A holder's delegate changed (the token's DelegateChanged)."""

    __tablename__ = "gov_delegation"
    __table_args__ = (Index("ix_gov_delegation_delegator", "chain_id", "delegator"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    delegator: str = Field(max_length=ADDRESS)
    from_delegate: str = Field(max_length=ADDRESS)
    to_delegate: str = Field(max_length=ADDRESS)


class GovDelegateVotes(GovEventRow, table=True):
    """A delegate's voting power changed (the token's DelegateVotesChanged)."""

    __tablename__ = "gov_delegate_votes"
    __table_args__ = (Index("ix_gov_delegate_votes_delegate", "chain_id", "delegate"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    delegate: str = Field(max_length=ADDRESS)
    previous_votes: int = amount_field()
    new_votes: int = amount_field()


class GovSettingChange(GovEventRow, table=True):
    """A governor or timelock setting changed: voting_delay, voting_period, proposal_threshold,
    quorum_numerator, late_quorum_extension, proposal_guardian, timelock_delay. Values as text
    (numbers in decimal, addresses checksummed)."""

    __tablename__ = "gov_setting_change"
    __table_args__ = (Index("ix_gov_setting_change_setting", "chain_id", "setting"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    contract: str = Field(max_length=64)  # deployment name: governor, timelock
    setting: str = Field(max_length=32)
    old_value: str = Field(max_length=UINT256_DIGITS)
    new_value: str = Field(max_length=UINT256_DIGITS)


class GovSupplyChange(GovEventRow, table=True):
    """Tokens minted or burned (a Transfer from or to the zero address): the total supply at a
    proposal's snapshot, which its quorum is a fraction of."""

    __tablename__ = "gov_supply_change"
    id: int | None = bigint_field(default=None, primary_key=True)
    event_id: int = event_fk()
    minted: int = amount_field()
    burned: int = amount_field()
