"""xAPI store: sources, people, statements with their query indexes, outbox, documents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:58:06.772684
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('persons',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons'))
    )
    op.create_table('xapi_attachments',
    sa.Column('sha2', sa.String(length=128), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha2', name=op.f('pk_xapi_attachments'))
    )
    op.create_table('xapi_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('activity_id', sa.String(length=2048), nullable=False),
    sa.Column('agent_key', sa.String(length=1024), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.String(length=2048), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('updated', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_documents')),
    sa.UniqueConstraint('kind', 'activity_id', 'agent_key', 'registration', 'document_id', name=op.f('uq_xapi_documents_kind_activity_id_agent_key_registration_document_id'))
    )
    with op.batch_alter_table('xapi_documents', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_documents_lookup', ['kind', 'activity_id', 'agent_key', 'updated'], unique=False)

    op.create_table('xapi_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=128), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_sources')),
    sa.UniqueConstraint('key', name=op.f('uq_xapi_sources_key')),
    sa.UniqueConstraint('name', name=op.f('uq_xapi_sources_name'))
    )
    op.create_table('person_identifiers',
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_identifiers_person_id_persons')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_person_identifiers'))
    )
    with op.batch_alter_table('person_identifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_identifiers_person_id'), ['person_id'], unique=False)

    op.create_table('xapi_statements',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('verb_id', sa.String(length=2048), nullable=False),
    sa.Column('activity_id', sa.String(length=2048), nullable=True),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('voids_id', sa.String(length=36), nullable=True),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('stored', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_xapi_statements_person_id_persons')),
    sa.ForeignKeyConstraint(['source_id'], ['xapi_sources.id'], name=op.f('fk_xapi_statements_source_id_xapi_sources')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_xapi_statements')),
    sa.UniqueConstraint('id', name=op.f('uq_xapi_statements_id'))
    )
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statements_activity_seq', ['activity_id', 'seq'], unique=False)
        batch_op.create_index('ix_xapi_statements_person_seq', ['person_id', 'seq'], unique=False)
        batch_op.create_index('ix_xapi_statements_registration_seq', ['registration', 'seq'], unique=False)
        batch_op.create_index('ix_xapi_statements_source_seq', ['source_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statements_stored'), ['stored'], unique=False)
        batch_op.create_index('ix_xapi_statements_verb_seq', ['verb_id', 'seq'], unique=False)
        batch_op.create_index('ix_xapi_statements_voids_id', ['voids_id'], unique=False, postgresql_where=sa.text('voids_id IS NOT NULL'), sqlite_where=sa.text('voids_id IS NOT NULL'))

    op.create_table('xapi_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('consumer', sa.String(length=32), nullable=False),
    sa.Column('statement_seqs', sa.Text(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_outbox'))
    )
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_outbox_consumer_id', ['consumer', 'id'], unique=False)

    op.create_table('xapi_statement_refs',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statements.seq'], name=op.f('fk_xapi_statement_refs_statement_seq_xapi_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', name=op.f('pk_xapi_statement_refs'))
    )
    op.create_table('xapi_statement_activities',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_id', sa.String(length=2048), nullable=False),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statements.seq'], name=op.f('fk_xapi_statement_activities_statement_seq_xapi_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', 'activity_id', name=op.f('pk_xapi_statement_activities'))
    )
    with op.batch_alter_table('xapi_statement_activities', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statement_activities_id_seq', ['activity_id', 'statement_seq'], unique=False)

    op.create_table('xapi_statement_agents',
    sa.Column('statement_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('agent_key', sa.String(length=1024), nullable=False),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['statement_seq'], ['xapi_statements.seq'], name=op.f('fk_xapi_statement_agents_statement_seq_xapi_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('statement_seq', 'agent_key', name=op.f('pk_xapi_statement_agents'))
    )
    with op.batch_alter_table('xapi_statement_agents', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statement_agents_key_seq', ['agent_key', 'statement_seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('xapi_statement_agents', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statement_agents_key_seq')

    op.drop_table('xapi_statement_agents')
    with op.batch_alter_table('xapi_statement_activities', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statement_activities_id_seq')

    op.drop_table('xapi_statement_refs')
    op.drop_table('xapi_statement_activities')
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_outbox_consumer_id')

    op.drop_table('xapi_outbox')
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statements_voids_id')
        batch_op.drop_index('ix_xapi_statements_verb_seq')
        batch_op.drop_index(batch_op.f('ix_xapi_statements_stored'))
        batch_op.drop_index('ix_xapi_statements_source_seq')
        batch_op.drop_index('ix_xapi_statements_registration_seq')
        batch_op.drop_index('ix_xapi_statements_person_seq')
        batch_op.drop_index('ix_xapi_statements_activity_seq')

    op.drop_table('xapi_statements')
    with op.batch_alter_table('person_identifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_identifiers_person_id'))

    op.drop_table('person_identifiers')
    op.drop_table('xapi_sources')
    with op.batch_alter_table('xapi_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_documents_lookup')

    op.drop_table('xapi_documents')
    op.drop_table('xapi_attachments')
    op.drop_table('persons')
