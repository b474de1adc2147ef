"""Webhook fan-out moves to the worker: a cursor over the outbox.

Until now the publishing transaction queued every partner's webhook delivery
itself. The worker now queues them from the outbox, moving ``fan_out_cursor``
past each event. Events already in the outbox were fanned out when written,
so the cursor starts at the newest of them.

Revision ID: 3c8f5b1e2d74
Revises: 7d4e2a90c3f1
Create Date: 2026-11-30 17:05:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '3c8f5b1e2d74'
down_revision = '7d4e2a90c3f1'
branch_labels = None
depends_on = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('fan_out_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', EVENT_ID, nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_fan_out_cursor_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fan_out_cursor'))
    )
    op.execute(
        "INSERT INTO fan_out_cursor (id, event_id) "
        "SELECT 1, COALESCE(MAX(id), 0) FROM delivery_events"
    )


def downgrade():
    op.drop_table('fan_out_cursor')
