"""Delivery: partners and their API keys, webhook deliveries and attempts; embargo releases.

Adds to ``delivery_events`` who an event is for (``audience``: 'all', except
publications whose embargo is still running, which become 'embargo_access' so
that the worker releases them to the other partners when it ends), the event a
release releases (``releases_id``) and when an embargo was dealt with
(``lifted_at``); replaces the index on ``article_id`` by one on
``(article_id, id)``, which the partner queries walk.

Revision ID: 7d4e2a90c3f1
Revises: 5b0c1d7e9a31
Create Date: 2026-11-25 19:34:32.830343

"""
from alembic import op
import sqlalchemy as sa

import cms.core.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '7d4e2a90c3f1'
down_revision = '5b0c1d7e9a31'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OPEN = sa.text("state IN ('pending', 'delivering')")
EMBARGO_PENDING = sa.text("audience = 'embargo_access' AND lifted_at IS NULL")


def upgrade():
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sections', JSON, nullable=True),
    sa.Column('embargo_access', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('webhook_url', sa.String(length=2000), nullable=True),
    sa.Column('webhook_secret', sa.String(length=100), nullable=False),
    sa.Column('webhook_paused_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('webhook_paused_reason', sa.String(length=500), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('name', name=op.f('uq_partners_name'))
    )
    op.create_table('partner_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_keys_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_partner_keys_key_hash'))
    )
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_keys_partner_id'), ['partner_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', EVENT_ID, nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'delivering', 'delivered', 'dead', name='delivery_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempts_base', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', cms.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_deliveries_attempts_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['delivery_events.id'], name=op.f('fk_deliveries_event_id_delivery_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_deliveries_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('event_id', 'partner_id', name=op.f('uq_deliveries_event_id_partner_id'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_open_due', ['next_attempt_at'], unique=False, sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_deliveries_open_partner_event', ['partner_id', 'event_id'], unique=False, sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_deliveries_partner_id_id', ['partner_id', 'id'], unique=False)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', cms.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_delivery_attempts_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts')),
    sa.UniqueConstraint('delivery_id', 'number', name=op.f('uq_delivery_attempts_delivery_id_number'))
    )
    # The audience's CHECK constraint makes SQLite rebuild the table: keep its
    # AUTOINCREMENT, so that event ids are never reused.
    with op.batch_alter_table(
        'delivery_events', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.Enum('all', 'embargo_access', 'no_embargo_access', name='event_audience', native_enum=False, create_constraint=True, length=20), server_default='all', nullable=False))
        batch_op.add_column(sa.Column('releases_id', EVENT_ID, nullable=True))
        batch_op.add_column(sa.Column('lifted_at', cms.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f('ix_delivery_events_article_id'))
        batch_op.create_index('ix_delivery_events_article_id_id', ['article_id', 'id'], unique=False)
        batch_op.create_index('ix_delivery_events_embargo_pending', ['embargo_until'], unique=False, sqlite_where=EMBARGO_PENDING, postgresql_where=EMBARGO_PENDING)
        batch_op.create_index('uq_delivery_events_releases_id', ['releases_id'], unique=True)

    op.execute(
        "UPDATE delivery_events SET audience = 'embargo_access' "
        "WHERE kind <> 'withdrawn' AND embargo_until > CURRENT_TIMESTAMP"
    )


def downgrade():
    op.drop_table('delivery_attempts')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_partner_id_id')
        batch_op.drop_index('ix_deliveries_open_partner_event', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_deliveries_open_due', sqlite_where=OPEN, postgresql_where=OPEN)

    op.drop_table('deliveries')
    with op.batch_alter_table('partner_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_keys_partner_id'))

    op.drop_table('partner_keys')
    op.drop_table('partners')
    # Releases exist only with this revision; before it they would read as duplicates.
    op.execute("DELETE FROM delivery_events WHERE releases_id IS NOT NULL")
    # SQLite rebuilds the table to drop columns: keep its AUTOINCREMENT.
    with op.batch_alter_table(
        'delivery_events', schema=None, table_kwargs={'sqlite_autoincrement': True}
    ) as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_events_event_audience'), type_='check')
        batch_op.drop_index('uq_delivery_events_releases_id')
        batch_op.drop_index('ix_delivery_events_embargo_pending', sqlite_where=EMBARGO_PENDING, postgresql_where=EMBARGO_PENDING)
        batch_op.drop_index('ix_delivery_events_article_id_id')
        batch_op.create_index(batch_op.f('ix_delivery_events_article_id'), ['article_id'], unique=False)
        batch_op.drop_column('lifted_at')
        batch_op.drop_column('releases_id')
        batch_op.drop_column('audience')
