"""off-chain poll tables (spaces, proposals, votes, results)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import sahara_dao.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_space",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("settings_digest", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "poll_vote",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vote_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
        sa.Column("space", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
        sa.Column("choice", sa.JSON(), nullable=False),
        sa.Column("timestamp", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("received_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("vp", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("vp_by_strategy", sa.JSON(), nullable=False),
        sa.Column("vp_by_chain", sa.JSON(), nullable=False),
        sa.Column("pushed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.create_index("ix_poll_vote_proposal", ["proposal_id", "status"], unique=False)
        batch_op.create_index("ix_poll_vote_signature", ["signature"], unique=False)

    op.create_table(
        "poll_proposal",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("space", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("start", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("end", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("snapshot", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("snapshot_blocks", sa.JSON(), nullable=False),
        sa.Column("snapshot_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_power", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("timestamp", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("pushed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["space"],
            ["poll_space.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signature"),
    )
    with op.batch_alter_table("poll_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_proposal_space"), ["space"], unique=False)

    op.create_table(
        "poll_result",
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("scores_by_strategy", sa.JSON(), nullable=False),
        sa.Column("scores_by_chain", sa.JSON(), nullable=False),
        sa.Column("scores_total", sa.Float(), nullable=False),
        sa.Column("vp_total", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("vp_by_strategy", sa.JSON(), nullable=False),
        sa.Column("vp_by_chain", sa.JSON(), nullable=False),
        sa.Column("inputs_digest", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("computed_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["poll_proposal.id"],
        ),
        sa.PrimaryKeyConstraint("proposal_id"),
    )


def downgrade() -> None:
    op.drop_table("poll_result")
    with op.batch_alter_table("poll_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_proposal_space"))

    op.drop_table("poll_proposal")
    with op.batch_alter_table("poll_vote", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_vote_signature")
        batch_op.drop_index("ix_poll_vote_proposal")

    op.drop_table("poll_vote")
    op.drop_table("poll_space")
