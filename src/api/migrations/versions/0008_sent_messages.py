"""airline and border messages as sent (PNL, ADL, PAXLST), so later changes are sent as differences

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sent_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('flight_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('sent_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('passengers', sa.Integer(), nullable=False),
        sa.Column('parts', sa.Integer(), nullable=False),
        sa.Column('incomplete', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('roster', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sent_message_op_flight', 'sent_message', ['operation_id', 'flight_id'])


def downgrade() -> None:
    op.drop_index('ix_sent_message_op_flight', table_name='sent_message')
    op.drop_table('sent_message')
