"""members of an operation with a role each (access per operation)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operation_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operation_id", "user_id"),
    )
    op.create_index("ix_operation_member_operation_id", "operation_member", ["operation_id"])
    op.create_index("ix_operation_member_user_id", "operation_member", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_operation_member_user_id", table_name="operation_member")
    op.drop_index("ix_operation_member_operation_id", table_name="operation_member")
    op.drop_table("operation_member")
