"""PostgreSQL: no foreign-key triggers on the rows ingest writes.

PostgreSQL checks each foreign key of each inserted row with a trigger: a query on the referred
table that also locks the referred row. A statement's rows carry a dozen or so references (its person and
source; two for each agent and activity index row), so a batch of 100 ran over a thousand such
checks — at an empty store, batches of 100, they were half of the
database server's CPU (65–76 µs a statement without them, 123–165 with; bench/README.md).
PostgreSQL 15 cannot declare a key without enforcing it, nor skip the checks for one
transaction without superuser rights.

The references hold by construction: ingest writes a statement, its index rows and its numbers
in one transaction, takes the numbers and people it refers to there or from committed rows, and
nothing deletes statements, people, sources or numbers. The models keep the keys (so the test
suite, which builds its schema from them, checks every reference it writes), and
``lti_tool.integrity.dangling_references`` finds any that does not hold. SQLite keeps the
constraints; its ingest skips their look-ups in its own transaction
(``lti_tool.sqlite_foreign_keys``).

The downgrade adds the keys back, which checks every stored row.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:45:00.000000
"""

from collections.abc import Sequence
from typing import NamedTuple

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class _Reference(NamedTuple):
    table: str
    column: str
    referred_table: str
    referred_column: str
    ondelete: str | None

    @property
    def name(self) -> str:
        return f'fk_{self.table}_{self.column}_{self.referred_table}'


_REFERENCES = (
    _Reference('xapi_statements', 'person_id', 'persons', 'id', None),
    _Reference('xapi_statements', 'source_id', 'xapi_sources', 'id', None),
    _Reference('xapi_statement_agents', 'statement_seq', 'xapi_statements', 'seq', 'CASCADE'),
    _Reference('xapi_statement_agents', 'agent_key_id', 'xapi_agent_keys', 'id', None),
    _Reference('xapi_statement_activities', 'statement_seq', 'xapi_statements', 'seq', 'CASCADE'),
    _Reference('xapi_statement_activities', 'activity_iri_id', 'xapi_activity_iris', 'id', None),
    _Reference('xapi_statement_refs', 'statement_seq', 'xapi_statements', 'seq', 'CASCADE'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for reference in _REFERENCES:
        op.drop_constraint(reference.name, reference.table, type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for reference in _REFERENCES:
        op.create_foreign_key(
            reference.name,
            reference.table,
            reference.referred_table,
            [reference.column],
            [reference.referred_column],
            ondelete=reference.ondelete,
        )
