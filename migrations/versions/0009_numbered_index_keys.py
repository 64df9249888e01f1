"""Numbered index keys: the agent and activity index tables hold a number, not the text.

Each agent key and activity IRI is stored once, numbered, in ``xapi_agent_keys`` /
``xapi_activity_iris``; ``xapi_statement_agents.agent_key_id`` and
``xapi_statement_activities.activity_iri_id`` refer to it. A statement writes five or so index
rows, each into two B-trees, under the writer lock; with 40–100 byte strings in them those rows
were a third of the lock's hold at 1M stored, and an experiment with 8-byte hashes in place of
the strings ingested 22–24 % more a second (bench/README.md).

The upgrade copies both index tables (about five rows a stored statement; allow a minute or two
a million statements) and needs that much free disk while it runs. The downgrade copies them
back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _IndexTable(NamedTuple):
    table: str
    index: str
    text_column: str
    text_length: int
    numbers: str
    number_value: str
    number_column: str


_INDEX_TABLES = (
    _IndexTable(
        'xapi_statement_agents',
        'ix_xapi_statement_agents_key_seq_direct',
        'agent_key',
        1024,
        'xapi_agent_keys',
        'key',
        'agent_key_id',
    ),
    _IndexTable(
        'xapi_statement_activities',
        'ix_xapi_statement_activities_id_seq_direct',
        'activity_id',
        2048,
        'xapi_activity_iris',
        'iri',
        'activity_iri_id',
    ),
)


def upgrade() -> None:
    for spec in _INDEX_TABLES:
        op.create_table(
            spec.numbers,
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column(spec.number_value, sa.String(length=spec.text_length), nullable=False),
            sa.PrimaryKeyConstraint('id', name=f'pk_{spec.numbers}'),
            sa.UniqueConstraint(spec.number_value, name=f'uq_{spec.numbers}_{spec.number_value}'),
        )
        op.execute(
            f'INSERT INTO {spec.numbers} ("{spec.number_value}") '
            f'SELECT DISTINCT {spec.text_column} FROM {spec.table} ORDER BY 1'
        )
        _rewrite(spec, numbered=True)
    _analyze_on_postgresql(
        [table for spec in _INDEX_TABLES for table in (spec.table, spec.numbers)]
    )


def downgrade() -> None:
    for spec in _INDEX_TABLES:
        _rewrite(spec, numbered=False)
        op.drop_table(spec.numbers)
    _analyze_on_postgresql([spec.table for spec in _INDEX_TABLES])


def _analyze_on_postgresql(tables: list[str]) -> None:
    """Give PostgreSQL statistics of the copied tables at once. Without any, it planned the
    agent + verb filter at 1M stored by walking the verb's 334k statements (1.0 s; 0.7 ms with
    them, bench/README.md); autovacuum would analyze them only later, or never where it is off.

    Only tables that hold rows: an empty table, once analyzed, is planned as empty — each
    backend then caches sequential scans for the foreign-key checks of every index row it
    writes, until autovacuum analyzes again. On a new install that halved ingest (an empty
    store took 2,500–3,000 statements/s in batches of 100, 5,500–6,900 without; bench/README.md).
    A table never analyzed is planned as ten pages at least, which picks its indexes."""
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    holding_rows = [
        table
        for table in tables
        if bind.execute(sa.text(f'SELECT EXISTS (SELECT 1 FROM {table})')).scalar()
    ]
    if holding_rows:
        op.execute(f'ANALYZE {", ".join(holding_rows)}')


def _rewrite(spec: _IndexTable, *, numbered: bool) -> None:
    """Copy the index table into a new one whose key column is the number (or the text)."""
    old = _set_aside(spec)
    _create_index_table(spec, numbered=numbered)
    number, text = 'n.id', f'n."{spec.number_value}"'
    if numbered:  # each row takes its text's number
        new_key, old_key, value, match = spec.number_column, spec.text_column, number, text
    else:  # each row takes its number's text
        new_key, old_key, value, match = spec.text_column, spec.number_column, text, number
    op.execute(
        f'INSERT INTO {spec.table} (statement_seq, {new_key}, direct) '
        f'SELECT o.statement_seq, {value}, o.direct FROM {old} o '
        f'JOIN {spec.numbers} n ON {match} = o.{old_key} ORDER BY 1, 2'
    )
    op.drop_table(old)
    op.create_index(spec.index, spec.table, [new_key, 'statement_seq', 'direct'], unique=False)


def _set_aside(spec: _IndexTable) -> str:
    """Rename the index table out of the way (without its key index, whose name is reused);
    return the name it now has."""
    aside = f'{spec.table}_old'
    op.drop_index(spec.index, table_name=spec.table)
    op.rename_table(spec.table, aside)
    if op.get_bind().dialect.name == 'postgresql':
        # A primary key's name is an index name, unique in the schema; the copy reuses it.
        op.execute(f'ALTER TABLE {aside} RENAME CONSTRAINT pk_{spec.table} TO pk_{aside}')
    return aside


def _create_index_table(spec: _IndexTable, *, numbered: bool) -> None:
    key = (
        sa.Column(
            spec.number_column,
            sa.Integer(),
            sa.ForeignKey(
                f'{spec.numbers}.id',
                name=f'fk_{spec.table}_{spec.number_column}_{spec.numbers}',
            ),
            nullable=False,
        )
        if numbered
        else sa.Column(spec.text_column, sa.String(length=spec.text_length), nullable=False)
    )
    op.create_table(
        spec.table,
        sa.Column(
            'statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False
        ),
        key,
        sa.Column('direct', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['statement_seq'],
            ['xapi_statements.seq'],
            name=f'fk_{spec.table}_statement_seq_xapi_statements',
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('statement_seq', key.name, name=f'pk_{spec.table}'),
        sqlite_with_rowid=False,
    )
