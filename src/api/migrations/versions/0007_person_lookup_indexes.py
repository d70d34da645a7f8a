"""indexes for the people list and search pages: (operation_id, erased, case_id) answers the count of an
operation's people and walks one page of them in case-number order from the index alone (docs/web.md, "Speed")

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_person_op_erased_case', 'person', ['operation_id', 'erased', 'case_id'])


def downgrade() -> None:
    op.drop_index('ix_person_op_erased_case', table_name='person')
