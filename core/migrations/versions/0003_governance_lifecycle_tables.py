"""governance lifecycle tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import sahara_dao.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "gov_delegate_votes",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delegate", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("previous_votes", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("new_votes", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_delegate_votes", schema=None) as batch_op:
        batch_op.create_index("ix_gov_delegate_votes_delegate", ["chain_id", "delegate"], unique=False)

    op.create_table(
        "gov_delegation",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delegator", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("from_delegate", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("to_delegate", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_delegation", schema=None) as batch_op:
        batch_op.create_index("ix_gov_delegation_delegator", ["chain_id", "delegator"], unique=False)

    op.create_table(
        "gov_proposal",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("governor", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("proposer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("calldatas", sa.JSON(), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("vote_start", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("vote_end", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("timelock_operation", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_id", "governor", "proposal_id", name="uq_gov_proposal"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_proposal_proposer"), ["proposer"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_gov_proposal_timelock_operation"), ["timelock_operation"], unique=False
        )

    op.create_table(
        "gov_proposal_step",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("governor", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_proposal_step", schema=None) as batch_op:
        batch_op.create_index("ix_gov_proposal_step_proposal", ["chain_id", "proposal_id"], unique=False)

    op.create_table(
        "gov_setting_change",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contract", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("setting", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_setting_change", schema=None) as batch_op:
        batch_op.create_index("ix_gov_setting_change_setting", ["chain_id", "setting"], unique=False)

    op.create_table(
        "gov_supply_change",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("minted", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("burned", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "gov_timelock_execution",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("call_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_timelock_execution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gov_timelock_execution_operation"), ["operation"], unique=False)

    op.create_table(
        "gov_vote",
        sa.Column("chain_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("governor", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("proposal_id", sqlmodel.sql.sqltypes.AutoString(length=78), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.Column("weight", sahara_dao.core.db.BaseUnits(length=78), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("params", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("tx_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["chain.chain_id"],
        ),
        sa.ForeignKeyConstraint(["event_id"], ["chain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("gov_vote", schema=None) as batch_op:
        batch_op.create_index("ix_gov_vote_proposal", ["chain_id", "proposal_id"], unique=False)
        batch_op.create_index("ix_gov_vote_voter", ["chain_id", "voter"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("gov_vote", schema=None) as batch_op:
        batch_op.drop_index("ix_gov_vote_voter")
        batch_op.drop_index("ix_gov_vote_proposal")

    op.drop_table("gov_vote")
    with op.batch_alter_table("gov_timelock_execution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_timelock_execution_operation"))

    op.drop_table("gov_timelock_execution")
    op.drop_table("gov_supply_change")
    with op.batch_alter_table("gov_setting_change", schema=None) as batch_op:
        batch_op.drop_index("ix_gov_setting_change_setting")

    op.drop_table("gov_setting_change")
    with op.batch_alter_table("gov_proposal_step", schema=None) as batch_op:
        batch_op.drop_index("ix_gov_proposal_step_proposal")

    op.drop_table("gov_proposal_step")
    with op.batch_alter_table("gov_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gov_proposal_timelock_operation"))
        batch_op.drop_index(batch_op.f("ix_gov_proposal_proposer"))

    op.drop_table("gov_proposal")
    with op.batch_alter_table("gov_delegation", schema=None) as batch_op:
        batch_op.drop_index("ix_gov_delegation_delegator")

    op.drop_table("gov_delegation")
    with op.batch_alter_table("gov_delegate_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_gov_delegate_votes_delegate")

    op.drop_table("gov_delegate_votes")
