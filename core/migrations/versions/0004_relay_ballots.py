"""relay ballots: signed votes and delegations handed to the gasless relay (governance/relay.py)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import sahara_dao.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_ballot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("signer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("proposal_id", sahara_dao.core.db.BaseUnits(length=78), nullable=True),
        sa.Column("support", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("delegatee", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
        sa.Column("expiry", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("nonce", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=132), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("weight", sahara_dao.core.db.BaseUnits(length=78), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("submitted_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_id", "signature", name="uq_relay_ballot_signature"),
    )
    with op.batch_alter_table("relay_ballot", schema=None) as batch_op:
        batch_op.create_index("ix_relay_ballot_signer", ["chain_id", "signer", "kind"], unique=False)
        batch_op.create_index("ix_relay_ballot_status", ["chain_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("relay_ballot", schema=None) as batch_op:
        batch_op.drop_index("ix_relay_ballot_status")
        batch_op.drop_index("ix_relay_ballot_signer")

    op.drop_table("relay_ballot")
