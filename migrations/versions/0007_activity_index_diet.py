"""Fewer B-trees a statement: one activity index, and clustered index tables on SQLite.

- The statements table's (activity_id, seq) index repeated the activity table's direct rows.
  Each index keyed by activity costs ingest a page of log a statement once the store is large
  (bench/README.md), so the plain ``activity`` filter now reads the activity table's index too.
- The agent and activity index tables' key indexes gain ``direct``: the plain ``agent`` and
  ``activity`` filters then read them alone, not the rows as well.
- On SQLite the agent and activity tables become ``WITHOUT ROWID``: each row had been a rowid
  table entry and a primary-key entry besides. PostgreSQL keeps its heap tables.

On SQLite the upgrade copies both tables (about five rows a stored statement; allow a minute
per million statements) and needs that much free disk while it runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each index table's key index: (table, old name, new name, key column).
_KEY_INDEXES = (
    (
        'xapi_statement_agents',
        'ix_xapi_statement_agents_key_seq',
        'ix_xapi_statement_agents_key_seq_direct',
        'agent_key',
    ),
    (
        'xapi_statement_activities',
        'ix_xapi_statement_activities_id_seq',
        'ix_xapi_statement_activities_id_seq_direct',
        'activity_id',
    ),
)


def upgrade() -> None:
    op.drop_index('ix_xapi_statements_activity_seq', table_name='xapi_statements')
    for table, old, _, _ in _KEY_INDEXES:
        op.drop_index(old, table_name=table)
    if op.get_bind().dialect.name == 'sqlite':
        for table, *_ in _KEY_INDEXES:
            _recreate_on_sqlite(table, with_rowid=False)
    for table, _, new, key in _KEY_INDEXES:
        op.create_index(new, table, [key, 'statement_seq', 'direct'], unique=False)


def downgrade() -> None:
    for table, _, new, _ in _KEY_INDEXES:
        op.drop_index(new, table_name=table)
    if op.get_bind().dialect.name == 'sqlite':
        for table, *_ in _KEY_INDEXES:
            _recreate_on_sqlite(table, with_rowid=True)
    for table, old, _, key in _KEY_INDEXES:
        op.create_index(old, table, [key, 'statement_seq'], unique=False)
    op.create_index(
        'ix_xapi_statements_activity_seq', 'xapi_statements', ['activity_id', 'seq'], unique=False
    )


def _recreate_on_sqlite(table: str, *, with_rowid: bool) -> None:
    """Copy ``table`` into a new one (SQLite cannot alter a table's rowid), keeping its
    columns, keys and indexes."""
    with op.batch_alter_table(
        table, recreate='always', table_kwargs={'sqlite_with_rowid': with_rowid}
    ):
        pass
