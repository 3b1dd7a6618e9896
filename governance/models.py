"""Tables of the governance service. Several parts of governance/ add tables here, each in its own
section: keep a section's classes together under its header.

Rows derived from an event carry ``event_id`` (deleted with the event when a reorg drops it).
Amounts (votes, supply) are :class:`~sahara_dao.core.db.BaseUnits`; times are unix seconds (block
timestamps); on-chain uint256 ids (proposal ids) are decimal strings.
"""

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field
from sahara_dao.core.models import event_fk

ADDRESS = 42
HASH = 66
UINT256_DIGITS = 78


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
