"""LRS export: remote LRSs (export targets and pull sources) and per-statement delivery state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:22:36.438589
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lrs_remotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=90), nullable=False),
    sa.Column('endpoint', sa.String(length=2048), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=False),
    sa.Column('xapi_version', sa.String(length=8), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('export_enabled', sa.Boolean(), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('start_after_seq', sa.BigInteger(), nullable=False),
    sa.Column('sent_count', sa.BigInteger(), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pull_since', sa.String(length=40), nullable=True),
    sa.Column('pull_more', sa.Text(), nullable=True),
    sa.Column('pull_run_newest', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_remotes')),
    sa.UniqueConstraint('name', name=op.f('uq_lrs_remotes_name'))
    )
    op.create_table('lrs_remotes_deliveries',
    sa.Column('remote_id', sa.Integer(), nullable=False),
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['remote_id'], ['lrs_remotes.id'], name=op.f('fk_lrs_remotes_deliveries_remote_id_lrs_remotes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statements.seq'], name=op.f('fk_lrs_remotes_deliveries_statement_seq_xapi_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('remote_id', 'statement_seq', name=op.f('pk_lrs_remotes_deliveries'))
    )
    with op.batch_alter_table('lrs_remotes_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_lrs_remotes_deliveries_state_remote_seq', ['state', 'remote_id', 'statement_seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lrs_remotes_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_lrs_remotes_deliveries_state_remote_seq')

    op.drop_table('lrs_remotes_deliveries')
    op.drop_table('lrs_remotes')
