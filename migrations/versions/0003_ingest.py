"""Ingest: wire copy as received, and the article each piece became.

Revision ID: 5b0c1d7e9a31
Revises: 1e23a53f5dbe
Create Date: 2026-11-25 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import cms.core.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '5b0c1d7e9a31'
down_revision = '1e23a53f5dbe'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('ingested_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_hash', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=True),
    sa.Column('take_key', sa.String(length=64), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('received_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_stamp', JSON, nullable=True),
    sa.Column('report', JSON, nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_ingested_copy_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['received_by_id'], ['users.id'], name=op.f('fk_ingested_copy_received_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingested_copy')),
    sa.UniqueConstraint('copy_hash', name=op.f('uq_ingested_copy_copy_hash'))
    )
    with op.batch_alter_table('ingested_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingested_copy_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ingested_copy_source_id'), ['source_id'], unique=False)
        batch_op.create_index('ix_ingested_copy_take_key_received_at', ['take_key', 'received_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ingested_copy', schema=None) as batch_op:
        batch_op.drop_index('ix_ingested_copy_take_key_received_at')
        batch_op.drop_index(batch_op.f('ix_ingested_copy_source_id'))
        batch_op.drop_index(batch_op.f('ix_ingested_copy_article_id'))

    op.drop_table('ingested_copy')
