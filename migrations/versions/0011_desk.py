"""The review desk: editorial notes on stories, and presence (who has a story open).

Revision ID: e5ab1c960011
Revises: d4fa0b850010
Create Date: 2026-11-30 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import cms.core.types

# revision identifiers, used by Alembic.
revision = 'e5ab1c960011'
down_revision = 'd4fa0b850010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'editorial_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('revision_number', sa.Integer(), nullable=True),
        sa.Column('paragraph', sa.Integer(), nullable=True),
        sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_editorial_notes_article_id_articles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_editorial_notes_author_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_editorial_notes')),
    )
    with op.batch_alter_table('editorial_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_editorial_notes_article_id'), ['article_id'], unique=False)

    op.create_table(
        'presence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('activity', sa.String(length=20), server_default='editing', nullable=False),
        sa.Column('since', cms.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_presence_article_id_articles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_presence_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_presence')),
        sa.UniqueConstraint('article_id', 'user_id', name=op.f('uq_presence_article_id_user_id')),
    )
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_presence_article_id'), ['article_id'], unique=False)


def downgrade():
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_presence_article_id'))
    op.drop_table('presence')
    with op.batch_alter_table('editorial_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_editorial_notes_article_id'))
    op.drop_table('editorial_notes')
