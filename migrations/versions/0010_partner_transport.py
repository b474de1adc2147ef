"""Partner transport: Standard Webhooks, overlapping secrets, retry windows, quotas, usage.

- ``partners.webhook_headers``: ``standard`` (Standard Webhooks) for new partners;
  partners that exist now keep the ``X-Newsroom-*`` headers they integrated with
  (``newsroom``).
- A secret is now ``whsec_`` + the key's bytes in standard base64, as Standard
  Webhooks has it. An existing secret ``S`` becomes ``whsec_`` + base64(``S``): the
  key's bytes are still ``S``, so every existing receiver keeps verifying with
  ``S``. The downgrade turns such secrets back; a secret made after the upgrade
  has no older form and is left as it is (its receiver must then be given it anew).
- ``partners.webhook_previous_secret`` / ``_until``: the secret before a rotation,
  still signing during the overlap.
- ``partners.rate_limit``: the partner's own limit on the content API.
- ``deliveries.requeued_at``: a manual redelivery starts a new retry window.
- ``partner_usage``: fetches per partner, day, story and channel.

Revision ID: d4fa0b850010
Revises: c3e9a7f40009
Create Date: 2026-11-30 19:00:00.000000

"""
import base64
import binascii

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd4fa0b850010'
down_revision = 'c3e9a7f40009'
branch_labels = None
depends_on = None

PREFIX = 'whsec_'
partners = sa.table(
    'partners',
    sa.column('id', sa.Integer()),
    sa.column('webhook_secret', sa.String(100)),
)


def _rewrite_secrets(rewrite):
    connection = op.get_bind()
    for row in connection.execute(sa.select(partners.c.id, partners.c.webhook_secret)).all():
        new = rewrite(row.webhook_secret)
        if new is not None and new != row.webhook_secret:
            connection.execute(
                partners.update().where(partners.c.id == row.id).values(webhook_secret=new)
            )


def _to_standard(secret):
    return PREFIX + base64.b64encode(secret.encode()).decode()


def _to_first_form(secret):
    try:
        old = base64.b64decode(secret[len(PREFIX):], validate=True).decode('ascii')
    except (binascii.Error, ValueError):
        return None
    return old if old.startswith(PREFIX) else None


def upgrade():
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_previous_secret', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('webhook_previous_secret_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('webhook_headers', sa.Enum('standard', 'newsroom', name='webhook_headers', native_enum=False, create_constraint=True, length=16), server_default='standard', nullable=False))
        batch_op.add_column(sa.Column('rate_limit', sa.String(length=100), nullable=True))
    # The partners there are integrated with the first release's headers.
    op.execute("UPDATE partners SET webhook_headers = 'newsroom'")
    _rewrite_secrets(_to_standard)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requeued_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('partner_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('api', 'ninjs', 'feed', name='usage_channel', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('fetches', sa.Integer(), nullable=False),
    sa.CheckConstraint('fetches >= 0', name=op.f('ck_partner_usage_fetches_not_negative')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_partner_usage_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_usage_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_usage')),
    sa.UniqueConstraint('partner_id', 'day', 'article_id', 'channel', name=op.f('uq_partner_usage_partner_id_day_article_id_channel'))
    )


def downgrade():
    op.drop_table('partner_usage')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('requeued_at')
    _rewrite_secrets(_to_first_form)
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('rate_limit')
        batch_op.drop_constraint(op.f('ck_partners_webhook_headers'), type_='check')
        batch_op.drop_column('webhook_headers')
        batch_op.drop_column('webhook_previous_secret_until')
        batch_op.drop_column('webhook_previous_secret')
