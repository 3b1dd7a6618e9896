"""Inference's own tables: registered models, requests with their status, rejected request records,
batches, quota charges.

A request moves ``pending`` -> ``rejected`` (license gate) | ``failed`` (malformed) | ``ran`` (result
written) -> ``metered`` (usage record handed to the sinks in the same transaction). A rerun picks up
``pending`` and ``ran`` requests, never ``metered`` ones: nothing is metered twice or lost.
"""

from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sahara_dao.core.db import amount_field, bigint_field

PENDING, REJECTED, FAILED, RAN, METERED = "pending", "rejected", "failed", "ran", "metered"


class InferenceModel(SQLModel, table=True):
    """The ONNX file serving an asset; ``sha256`` equals the asset's contentHash on chain."""

    __tablename__ = "inference_model"
    chain_id: int = bigint_field(primary_key=True)
    asset_id: int = bigint_field(primary_key=True)
    sha256: str = Field(max_length=66)
    path: str
    registered_at: int = bigint_field()


class InferenceRequest(SQLModel, table=True):
    """One inference request, keyed by its ``request_id`` (the usage record's idempotency key)."""

    __tablename__ = "inference_request"
    __table_args__ = (
        UniqueConstraint("request_id", name="uq_inference_request"),
        Index("ix_inference_request_status", "chain_id", "status"),
    )
    id: int | None = bigint_field(default=None, primary_key=True)
    request_id: str = Field(max_length=128)
    chain_id: int = bigint_field()
    asset_id: int = bigint_field()
    account: str = Field(max_length=42)
    inputs: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    submitted_at: int = bigint_field()
    status: str = Field(default=PENDING, max_length=16)
    reason: str | None = None  # why it was rejected or failed
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    batch_id: str | None = Field(default=None, max_length=64)
    license_id: int | None = bigint_field(default=None)  # the license that allowed it
    license_kind: str | None = Field(default=None, max_length=16)  # duration, perpetual, api
    units: int = bigint_field(default=0)  # feature rows scored
    unit_price: int = amount_field(default=0)  # base units per unit, from the price configuration
    amount: int = amount_field(default=0)  # pay-per-use fee in base units (units x unit_price; 0 under an API license)
    quota_charge_id: int | None = bigint_field(default=None)  # API licenses: the consumeMany that paid it
    ran_at: int | None = bigint_field(default=None)  # unix seconds; the usage record's occurred_at


class RejectedRequest(SQLModel, table=True):
    """A request record refused at intake (no usable request_id, chain_id, asset_id or account), kept
    with the reason until a corrected record with the same key is taken in (see ``requests.py``)."""

    __tablename__ = "inference_rejected_request"
    __table_args__ = (UniqueConstraint("record_key", name="uq_inference_rejected_request"),)
    id: int | None = bigint_field(default=None, primary_key=True)
    record_key: str = Field(max_length=128)  # the request_id, or "sha256:" + a digest of the record
    chain_id: int | None = bigint_field(default=None)
    reason: str
    payload: dict[str, Any] = Field(sa_type=JSON)
    received_at: int = bigint_field()


class InferenceBatch(SQLModel, table=True):
    """One batch run by onnxruntime, with the execution provider that actually ran it."""

    __tablename__ = "inference_batch"
    batch_id: str = Field(primary_key=True, max_length=64)
    chain_id: int = bigint_field()
    asset_id: int = bigint_field()
    model_sha256: str = Field(max_length=66)
    provider: str = Field(max_length=64)
    requests: int
    rows: int
    elapsed_us: int = bigint_field()
    started_at: int = bigint_field()


class QuotaCharge(SQLModel, table=True):
    """API calls charged to one license with ``consumeMany``: recorded (``pending``) before the
    transaction is sent, with the license's ``used`` counter then, so a rerun after a crash can tell
    from the chain whether it landed (``used >= used_before + calls``) and never charges twice."""

    __tablename__ = "inference_quota_charge"
    id: int | None = bigint_field(default=None, primary_key=True)
    chain_id: int = bigint_field()
    license_id: int = bigint_field()
    calls: int = bigint_field()
    used_before: int = bigint_field()
    status: str = Field(default=PENDING, max_length=16)  # pending, sent
    tx_hash: str | None = Field(default=None, max_length=66)
