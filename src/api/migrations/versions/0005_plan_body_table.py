"""plan documents in a table of their own: reading a plan's counts no longer walks its megabytes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_body',
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('plan.id'), primary_key=True),
        sa.Column('body', sa.Text(), nullable=False),
    )
    op.execute('INSERT INTO plan_body (plan_id, body) SELECT id, body FROM plan')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('body')


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=False, server_default=''))
    op.execute('UPDATE plan SET body = (SELECT body FROM plan_body WHERE plan_body.plan_id = plan.id)')
    op.drop_table('plan_body')
