"""Tables of chain access: chains, deployed contracts, raw events and the indexer's checkpoints.

Every event of a deployed contract is stored once, keyed by ``(chain_id, tx_hash, log_index)``.
Domain tables built from events (assets, licenses, roots, ...) reference the event's row with
``ON DELETE CASCADE``: when the indexer drops an event that a reorg removed, everything derived from
it goes too.
"""

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import INT64, amount_field, bigint_field


class Chain(SQLModel, table=True):
    """A chain the service works on (one deployment of the contract set each)."""

    __tablename__ = "chain"
    chain_id: int = bigint_field(primary_key=True)
    ecosystem: str  # ethereum, bsc
    network: str  # local, mainnet, sepolia, ...


class Deployment(SQLModel, table=True):
    """A deployed contract, mirrored from the deployment record ``<data_dir>/deployments/<id>.json``."""

    __tablename__ = "deployment"
    chain_id: int = bigint_field(primary_key=True, foreign_key="chain.chain_id")
    contract: str = Field(primary_key=True)  # the record's name: token, governor, vault, ...
    address: str = Field(index=True)


class ChainEventBase(SQLModel):
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    contract: str  # deployment name of the emitting contract
    address: str
    event: str  # event name, e.g. LicensePurchased
    block_number: int = bigint_field()
    block_hash: str
    block_timestamp: int = bigint_field()
    tx_hash: str
    log_index: int
    args: dict[str, Any] = Field(sa_type=JSON)  # integers beyond 2**53 as decimal strings


class ChainEvent(ChainEventBase, table=True):
    """One log of a deployed contract, exactly once."""

    __tablename__ = "chain_event"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_chain_event_log"),
        Index("ix_chain_event_block", "chain_id", "block_number"),
        Index("ix_chain_event_name", "chain_id", "event"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)


class IndexerCheckpoint(SQLModel, table=True):
    """The last block indexed for one contract on one chain, with its hash to detect reorgs."""

    __tablename__ = "indexer_checkpoint"
    chain_id: int = bigint_field(primary_key=True, foreign_key="chain.chain_id")
    contract: str = Field(primary_key=True)
    block_number: int = bigint_field()
    block_hash: str


class NativeBalance(SQLModel, table=True):
    """The native coin (ETH, BNB; in wei) that one of the DAO's accounts held at a block. Native
    transfers emit no log, so the indexer reads ``eth_getBalance`` at the last block of each run and
    stores a row when the balance changed (a reorg drops the rows of blocks that changed)."""

    __tablename__ = "native_balance"
    __table_args__ = (UniqueConstraint("chain_id", "address", "block_number", name="uq_native_balance"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    contract: str = Field(max_length=64)  # deployment name: timelock, vault
    address: str = Field(max_length=42)
    block_number: int = bigint_field()
    block_hash: str = Field(max_length=66)
    block_timestamp: int = bigint_field()
    balance: int = amount_field()


def event_fk() -> Any:
    """The column that ties a derived row to the event it came from (deleted with it)."""
    return Field(sa_column=Column(INT64, ForeignKey("chain_event.id", ondelete="CASCADE"), nullable=False, unique=True))


class Alert(SQLModel, table=True):
    """Something an operator must look at (a missed deadline, a failed pipeline task), raised once:
    its ``key`` names the occurrence, so a rerun or a retry finds it and raises nothing new."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("key", name="uq_alert_key"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    key: str = Field(max_length=255)  # e.g. settlement-deadline:31337:47:publish
    source: str = Field(max_length=64, index=True)  # the pipeline or module that raised it
    subject: str  # one line for lists and notifications
    message: str  # what happened and what to do
    chain_id: int | None = bigint_field(default=None)
    raised_at: int = bigint_field()  # unix seconds of the observation (chain time where there is one)
    notified: bool = False  # the configured notifier accepted it
