"""Tables of the governance service.

Families follow SQLModel's habit (``XBase`` shared fields, ``X`` the table). Amounts and uint256
values (proposal ids, keyed nonces, voting power) are :class:`~sahara_dao.core.db.BaseUnits`;
times are unix seconds.
"""

from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field

ADDRESS = 42
HASH = 66
SIGNATURE = 132  # 0x + 65 bytes


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
    signature: str = Field(max_length=SIGNATURE)  # 0x-hex r || s || v
    digest: str = Field(max_length=HASH)  # the EIP-712 digest that was signed
    weight: int | None = amount_field(default=None)  # votes at the snapshot, or the delegator's balance
    status: str = Field(max_length=16)  # RelayStatus
    code: str | None = Field(default=None, max_length=32)  # short reason of a rejection or failure
    detail: str | None = Field(default=None, sa_type=Text)  # the reason in words, with what to do next
    tx_hash: str | None = Field(default=None, max_length=HASH)
    submitted_at: int = bigint_field()
    updated_at: int = bigint_field()
