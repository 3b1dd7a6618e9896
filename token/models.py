"""Tables of the token economy: what the indexer derives from events, what intake receives, and what
settlement and payouts compute and send.

Rows derived from an event carry ``event_id`` (deleted with the event when a reorg drops it).
Amounts are :class:`~sahara_dao.core.db.BaseUnits` (``int`` in Python, exact in the database).
Times are unix seconds: block timestamps for on-chain facts, the meter's clock for usage.
Families follow SQLModel's habit: ``XBase`` (shared fields), ``X`` (the table), ``XCreate``
(validated input).
"""

from enum import StrEnum
from typing import Any

from eth_utils import is_address, to_checksum_address
from pydantic import field_validator
from sqlalchemy import JSON, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field
from sahara_dao.core.models import event_fk

ADDRESS = 42
HASH = 66


def _checksummed(value: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError(f"{value!r} is not an address (0x and 40 hex digits, EIP-55 checksum if mixed case)")
    return to_checksum_address(value)


# --- registry --------------------------------------------------------------------------------------


class Asset(SQLModel, table=True):
    """An asset registered on one chain (AssetRegistered)."""

    __tablename__ = "asset"
    __table_args__ = (UniqueConstraint("chain_id", "asset_id", name="uq_asset"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    asset_id: int = bigint_field()
    kind: str  # dataset, model, agent
    owner: str = Field(max_length=ADDRESS)
    content_hash: str = Field(max_length=HASH)
    metadata_uri: str
    registered_at: int = bigint_field()
    event_id: int = event_fk()


class Receipt(SQLModel, table=True):
    """A contributor's soulbound receipt on an asset, with its share of the asset's revenue."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("chain_id", "asset_id", "contributor", name="uq_receipt"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    asset_id: int = bigint_field()
    contributor: str = Field(max_length=ADDRESS, index=True)
    receipt_id: int = bigint_field()
    share_bps: int
    role: str
    event_id: int = event_fk()


class LineageEdge(SQLModel, table=True):
    """``asset_id`` derives from ``upstream_id`` and pays it ``share_bps`` of its revenue."""

    __tablename__ = "lineage_edge"
    __table_args__ = (UniqueConstraint("chain_id", "asset_id", "upstream_id", name="uq_lineage_edge"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    asset_id: int = bigint_field()
    upstream_id: int = bigint_field()
    kind: str  # trained_on, finetuned_from, uses, ...
    share_bps: int
    added_at: int = bigint_field()
    event_id: int = event_fk()


# --- licenses and revenue ----------------------------------------------------------------------------


class LicenseOffer(SQLModel, table=True):
    """An offer published by an asset's owner (OfferPublished)."""

    __tablename__ = "license_offer"
    __table_args__ = (UniqueConstraint("chain_id", "offer_id", name="uq_license_offer"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    offer_id: int = bigint_field()
    asset_id: int = bigint_field()
    kind: str  # duration, perpetual, api
    duration: int = bigint_field()  # seconds, duration licenses
    quota: int = bigint_field()  # calls, api licenses
    price: int = amount_field()
    transferable: bool
    published_at: int = bigint_field()
    event_id: int = event_fk()


class License(SQLModel, table=True):
    """A license bought from an offer (LicensePurchased)."""

    __tablename__ = "license"
    __table_args__ = (UniqueConstraint("chain_id", "license_id", name="uq_license"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    license_id: int = bigint_field()
    offer_id: int = bigint_field()
    asset_id: int = bigint_field()
    holder: str = Field(max_length=ADDRESS, index=True)
    amount: int = amount_field()
    purchased_at: int = bigint_field()
    event_id: int = event_fk()


class QuotaUse(SQLModel, table=True):
    """API calls consumed on a license (QuotaConsumed)."""

    __tablename__ = "quota_use"
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    license_id: int = bigint_field()
    calls: int = bigint_field()
    used: int = bigint_field()
    quota: int = bigint_field()
    event_id: int = event_fk()


class LicenseRevenue(SQLModel, table=True):
    """A license fee paid into the chain's revenue vault: an input of royalty settlement."""

    __tablename__ = "license_revenue"
    __table_args__ = (Index("ix_license_revenue_window", "chain_id", "occurred_at"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    asset_id: int = bigint_field()
    license_id: int = bigint_field()
    amount: int = amount_field()
    occurred_at: int = bigint_field()
    event_id: int = event_fk()


class UsageEventBase(SQLModel):
    request_id: str = Field(max_length=128)  # the idempotency key: one request is metered once
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    asset_id: int = bigint_field()
    license_id: int | None = bigint_field(default=None)
    account: str = Field(max_length=ADDRESS)
    units: int = bigint_field()  # calls (or tokens) metered
    amount: int = amount_field()  # pay-per-use fee in base units; 0 when the license covers it
    occurred_at: int = bigint_field()


def _integer(value: Any) -> Any:
    """Integers, or decimal strings of them (JSON's way of carrying big amounts); never floats."""
    if isinstance(value, float) or isinstance(value, bool):
        raise ValueError(f"must be an integer (base units), not {value!r}")
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError(f"must be a non-negative integer, not {value!r}")
    return value


class UsageEventCreate(UsageEventBase):
    """A usage record as the meter sends it; validation failures send it to quarantine."""

    _integers = field_validator("units", "amount", "asset_id", "chain_id", "occurred_at", mode="before")(
        classmethod(lambda cls, value: _integer(value))
    )

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return _checksummed(value)

    @field_validator("request_id")
    @classmethod
    def _request_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("request_id is empty")
        return value

    @field_validator("units", "amount", "occurred_at", "asset_id")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value


class UsageEvent(UsageEventBase, table=True):
    """One metered inference request."""

    __tablename__ = "usage_event"
    __table_args__ = (
        UniqueConstraint("request_id", name="uq_usage_event_request"),
        Index("ix_usage_event_window", "chain_id", "occurred_at"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)
    provider: str | None = None  # execution provider that ran it
    batch: str | None = None  # inference batch that ran it


class QuarantinedRecord(SQLModel, table=True):
    """A record refused at intake, kept with its reason; never paid, always counted."""

    __tablename__ = "quarantined_record"
    __table_args__ = (UniqueConstraint("source", "record_key", name="uq_quarantined_record"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    source: str  # usage, labeling, ...
    record_key: str  # the record's idempotency key (or a digest of the record when it has none)
    chain_id: int | None = bigint_field(default=None)
    received_at: int = bigint_field()
    reason: str
    payload: dict[str, Any] = Field(sa_type=JSON)


# --- labeling ----------------------------------------------------------------------------------------


class LabelingTaskBase(SQLModel):
    task_key: str = Field(primary_key=True, max_length=128)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")  # where its labelers are paid
    title: str
    created_at: int = bigint_field()


class LabelingTaskCreate(LabelingTaskBase):
    """A task as the platform sends it; validation failures send it to quarantine."""

    _integers = field_validator("chain_id", "created_at", mode="before")(
        classmethod(lambda cls, value: _integer(value))
    )

    @field_validator("task_key")
    @classmethod
    def _task_key(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("task_key is empty")
        return value


class LabelingTask(LabelingTaskBase, table=True):
    """A labeling micro-task batch on the data services platform."""

    __tablename__ = "labeling_task"


class LabelingResultBase(SQLModel):
    result_key: str = Field(max_length=128)  # idempotency key of the submission
    task_key: str = Field(foreign_key="labeling_task.task_key", max_length=128)
    labeler: str = Field(max_length=ADDRESS)
    items: int  # items labeled
    gold_total: int  # trap (gold) questions answered
    gold_correct: int  # of which right
    submitted_at: int = bigint_field()


class LabelingResultCreate(LabelingResultBase):
    """A submission as the platform sends it; validation failures send it to quarantine."""

    _integers = field_validator("items", "gold_total", "gold_correct", "submitted_at", mode="before")(
        classmethod(lambda cls, value: _integer(value))
    )

    @field_validator("labeler")
    @classmethod
    def _labeler(cls, value: str) -> str:
        return _checksummed(value)

    @field_validator("items", "gold_total", "gold_correct", "submitted_at")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must not be negative")
        return value


class LabelingResult(LabelingResultBase, table=True):
    __tablename__ = "labeling_result"
    __table_args__ = (
        UniqueConstraint("result_key", name="uq_labeling_result"),
        Index("ix_labeling_result_time", "submitted_at"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)


class PayoutBatch(SQLModel, table=True):
    """One PayoutBatcher transaction; its id is derived from (chain, period, index) and recorded
    before it is sent, so a retried job resends exactly the batches it is unsure about."""

    __tablename__ = "payout_batch"
    __table_args__ = (UniqueConstraint("chain_id", "period", "batch_index", name="uq_payout_batch"),)
    batch_id: str = Field(primary_key=True, max_length=HASH)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    period: str  # e.g. 2026-11-21 (a UTC day)
    batch_index: int
    status: str  # planned, sent, paid
    count: int
    total: int = amount_field()
    tx_hash: str | None = Field(default=None, max_length=HASH)


class PayoutLine(SQLModel, table=True):
    """What one labeler gets in one batch, and why."""

    __tablename__ = "payout_line"
    batch_id: str = Field(primary_key=True, foreign_key="payout_batch.batch_id", max_length=HASH)
    labeler: str = Field(primary_key=True, max_length=ADDRESS)
    items: int
    quality_bps: int  # quality factor applied, in basis points
    amount: int = amount_field()


# --- settlement -------------------------------------------------------------------------------------


class EpochStatus(StrEnum):
    COMPUTED = "computed"
    EMPTY = "empty"  # nothing earned in the window: the balances and the root stay the previous epoch's
    PUBLISHED = "published"
    ACTIVATED = "activated"
    VERIFIED = "verified"


class Epoch(SQLModel, table=True):
    """One settlement of one chain over the half-open window ``[window_start, window_end)``."""

    __tablename__ = "epoch"
    chain_id: int = bigint_field(primary_key=True, foreign_key="chain.chain_id")
    epoch: int = bigint_field(primary_key=True)
    window_start: int = bigint_field()
    window_end: int = bigint_field()
    status: str = EpochStatus.COMPUTED
    root: str = Field(max_length=HASH)
    total: int = amount_field()  # cumulative over every epoch so far (what the vault commits)
    earned: int = amount_field()  # this epoch's revenue, fee included
    protocol_fee: int = amount_field()
    license_revenue: int = amount_field()
    usage_revenue: int = amount_field()
    usage_events: int = bigint_field()
    quarantined: int = bigint_field()  # records of the window held back in quarantine
    epoch_file: str
    publish_tx: str | None = Field(default=None, max_length=HASH)
    activates_at: int | None = bigint_field(default=None)


class SettlementLine(SQLModel, table=True):
    """What an account earned in an epoch, and its cumulative balance after it (its leaf)."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        ForeignKeyConstraint(["chain_id", "epoch"], ["epoch.chain_id", "epoch.epoch"], ondelete="CASCADE"),
    )
    chain_id: int = bigint_field(primary_key=True)
    epoch: int = bigint_field(primary_key=True)
    account: str = Field(primary_key=True, max_length=ADDRESS)
    earned: int = amount_field()
    cumulative: int = amount_field()


class PublishedRoot(SQLModel, table=True):
    """A root published to a revenue vault (RootPublished)."""

    __tablename__ = "published_root"
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    epoch: int = bigint_field()
    root: str = Field(max_length=HASH)
    total: int = amount_field()
    activates_at: int = bigint_field()
    event_id: int = event_fk()


class Claim(SQLModel, table=True):
    """A claim paid by a revenue vault (Claimed)."""

    __tablename__ = "claim"
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field(foreign_key="chain.chain_id")
    account: str = Field(max_length=ADDRESS, index=True)
    amount: int = amount_field()
    cumulative: int = amount_field()
    epoch: int = bigint_field()
    claimed_at: int = bigint_field()
    event_id: int = event_fk()
