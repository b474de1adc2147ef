"""Indexes for cursor-paginated lists: users by name.

Every list now pages by keyset (the sort values of the last item shown, not an
offset). The other lists already have the index their order needs:
revisions and versions ``(article_id, number)``, the history
``(article_id, id)``, deliveries ``(partner_id, id)``, partners their unique
name; the takes of a story are few and sorted from ``(article_id)``.

Revision ID: b2d8f6e30008
Revises: a1c7e5d20007
Create Date: 2026-11-30 19:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b2d8f6e30008'
down_revision = 'a1c7e5d20007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_name_id', ['name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_name_id')
