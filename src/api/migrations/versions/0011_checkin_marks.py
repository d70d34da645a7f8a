"""check-in marks of the departure day, as sent by the tablets (one row per mark, unique client id)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'checkin_mark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('flight_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['operation_id'], ['operation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('client_id'),
    )
    op.create_index('ix_checkin_mark_plan_flight', 'checkin_mark', ['plan_id', 'flight_id'])


def downgrade() -> None:
    op.drop_index('ix_checkin_mark_plan_flight', table_name='checkin_mark')
    op.drop_table('checkin_mark')
