"""solve jobs owned by a worker's lease with a heartbeat instead of one process; cache revisions in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('worker', sa.String(length=128), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('dispatched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index('ix_solve_job_lease_expires_at', 'solve_job', ['lease_expires_at'])
    # per operation (scope 0: logins), bumped in the writing transaction: api.export_cache
    op.create_table(
        'cache_revision',
        sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('scope'),
    )


def downgrade() -> None:
    op.drop_table('cache_revision')
    op.drop_index('ix_solve_job_lease_expires_at', table_name='solve_job')
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('worker')
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_expires_at')
