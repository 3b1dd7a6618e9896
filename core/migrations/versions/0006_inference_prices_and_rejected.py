"""inference: unit price recorded per request, rejected request records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import sahara_dao.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inference_rejected_request",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("record_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_key", name="uq_inference_rejected_request"),
    )
    with op.batch_alter_table("inference_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_price", sahara_dao.core.db.BaseUnits(length=78), nullable=False,
                                      server_default="0"))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("inference_request", schema=None) as batch_op:
        batch_op.drop_column("unit_price")
    op.drop_table("inference_rejected_request")
