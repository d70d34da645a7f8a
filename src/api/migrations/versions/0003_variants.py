"""what-if variants; plans and solve jobs linked to a variant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'variant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['operation_id'], ['operation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('operation_id', 'name'),
    )
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_variant_operation_id'), ['operation_id'], unique=False)
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_plan_variant_id'), ['variant_id'], unique=False)
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seat', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.drop_column('seat')
        batch_op.drop_column('variant_id')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_variant_id'))
        batch_op.drop_column('variant')
        batch_op.drop_column('variant_id')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_variant_operation_id'))
    op.drop_table('variant')
