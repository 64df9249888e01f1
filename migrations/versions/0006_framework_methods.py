"""Framework settings: an administrator's default estimation method per framework.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-22 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('competency_framework_settings',
    sa.Column('framework_id', sa.String(length=200), nullable=False),
    sa.Column('method_config', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('framework_id', name=op.f('pk_competency_framework_settings'))
    )


def downgrade() -> None:
    op.drop_table('competency_framework_settings')
