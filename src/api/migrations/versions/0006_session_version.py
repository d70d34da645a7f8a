"""a session version per user (access tokens carry it, so a password change ends older sessions) and
revoked access tokens (sign-out of one session)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    op.create_table(
        'revoked_token',
        sa.Column('token_hash', sa.String(length=64), primary_key=True),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index('ix_revoked_token_expires_at', 'revoked_token', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_revoked_token_expires_at', table_name='revoked_token')
    op.drop_table('revoked_token')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
