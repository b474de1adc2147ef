"""Workflow: approvals, public versions, scheduled publications, audit log, delivery outbox.

Adds to ``articles`` the pointers the workflow keeps (approved revision, live
version, scheduled time) and the withdrawal stamp and reason; all nullable, so
existing rows need no default.

Revision ID: 1e23a53f5dbe
Revises: eafcd15b214e
Create Date: 2026-11-25 19:00:06.108897

"""
from alembic import op
import sqlalchemy as sa

import cms.core.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '1e23a53f5dbe'
down_revision = 'eafcd15b214e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('create', 'edit', 'restore', 'submit', 'approve', 'reject', 'publish', 'schedule', 'unschedule', 'schedule_failed', 'withdraw', name='audit_action', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=True),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_audit_entries_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_article_id_id', ['article_id', 'id'], unique=False)

    op.create_table('delivery_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('published', 'updated', 'corrected', 'withdrawn', name='event_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('version_kind', sa.String(length=16), nullable=True),
    sa.Column('embargo_until', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('section', sa.String(length=100), nullable=True),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_delivery_events_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_events')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_events_article_id'), ['article_id'], unique=False)

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_approvals_approved_by_id_users')),
    sa.ForeignKeyConstraint(['article_id', 'revision_number'], ['revisions.article_id', 'revisions.number'], name=op.f('fk_approvals_article_id_revisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_approvals_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_article_id'), ['article_id'], unique=False)

    op.create_table('scheduled_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.Column('publish_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('first', 'update', 'minor', 'correction', name='version_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('embargo_until', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('pending', 'done', 'cancelled', 'failed', name='schedule_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approval_id'], ['approvals.id'], name=op.f('fk_scheduled_publications_approval_id_approvals')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_scheduled_publications_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scheduled_publications_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_publications'))
    )
    with op.batch_alter_table('scheduled_publications', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_publications_state_publish_at', ['state', 'publish_at'], unique=False)
        batch_op.create_index('uq_scheduled_publications_pending_article', ['article_id'], unique=True, sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    op.create_table('versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('first', 'update', 'minor', 'correction', name='version_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('embargo_until', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind <> 'correction' OR note IS NOT NULL", name=op.f('ck_versions_correction_has_note')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_versions_number_positive')),
    sa.ForeignKeyConstraint(['approval_id'], ['approvals.id'], name=op.f('fk_versions_approval_id_approvals')),
    sa.ForeignKeyConstraint(['article_id', 'revision_number'], ['revisions.article_id', 'revisions.number'], name=op.f('fk_versions_article_id_revisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_versions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_versions_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_versions')),
    sa.UniqueConstraint('article_id', 'number', name=op.f('uq_versions_article_id_number'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_revision_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('live_version_number', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scheduled_publish_at', cms.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', cms.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('scheduled_publish_at')
        batch_op.drop_column('live_version_number')
        batch_op.drop_column('approved_revision_number')

    op.drop_table('versions')
    with op.batch_alter_table('scheduled_publications', schema=None) as batch_op:
        batch_op.drop_index('uq_scheduled_publications_pending_article', sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))
        batch_op.drop_index('ix_scheduled_publications_state_publish_at')

    op.drop_table('scheduled_publications')
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_article_id'))

    op.drop_table('approvals')
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_events_article_id'))

    op.drop_table('delivery_events')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_article_id_id')

    op.drop_table('audit_entries')
