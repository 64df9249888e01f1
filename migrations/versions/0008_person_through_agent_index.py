"""Statements of a person through the agent index: drop the statements' (person_id, seq) index.

A person's statements are those whose actor is that person's identifier, and every actor has a
direct row in ``xapi_statement_agents``'s key index already. The second index, keyed by person,
was spread over every teacher like the first: at 1M stored each batch of 100 dirtied a hundred
random pages of it, 15–25 % of ingest (bench/README.md). The competency rebuild and the cohort
roster now read ``lti_tool.lrs.statement_store.actor_among``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_xapi_statements_person_seq', table_name='xapi_statements')


def downgrade() -> None:
    op.create_index(
        'ix_xapi_statements_person_seq', 'xapi_statements', ['person_id', 'seq'], unique=False
    )
