"""Core schema: users, API tokens, articles, revisions and content-addressed bodies.

Revision ID: eafcd15b214e
Revises: 
Create Date: 2026-11-25 18:48:07.515856

"""
from alembic import op
import sqlalchemy as sa

import cms.core.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'eafcd15b214e'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bodies',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_bodies'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('reporter', 'editor', 'admin', name='user_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'published', 'withdrawn', name='article_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('head_number', sa.Integer(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_published_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_updated_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('head_number >= 1', name=op.f('ck_articles_head_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_articles_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('slug', name=op.f('uq_articles_slug'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_section'), ['section'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_status'), ['status'], unique=False)
        batch_op.create_index('ix_articles_updated_at_id', ['updated_at', 'id'], unique=False)

    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('headline', sa.String(length=300), nullable=False),
    sa.Column('deck', sa.Text(), nullable=True),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('dateline', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('bylines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=True),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_revisions_number_positive')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_revisions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_revisions_author_id_users')),
    sa.ForeignKeyConstraint(['body_hash'], ['bodies.hash'], name=op.f('fk_revisions_body_hash_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revisions')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_revisions_article_id_number'))
    )
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revisions_body_hash'), ['body_hash'], unique=False)



def downgrade():
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revisions_body_hash'))

    op.drop_table('revisions')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_updated_at_id')
        batch_op.drop_index(batch_op.f('ix_articles_status'))
        batch_op.drop_index(batch_op.f('ix_articles_section'))

    op.drop_table('articles')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('bodies')
