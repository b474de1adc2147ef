"""An index on the story each story follows: partners' reads look up followers by it.

Every partner read of a story asks which stories follow it (``followed_by``);
without this index that is a scan of every article.

Revision ID: b8d2e4f90014
Revises: a7c1d3e80013
Create Date: 2026-11-30 23:50:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8d2e4f90014'
down_revision = 'a7c1d3e80013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_follows_id'), ['follows_id'], unique=False)


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_follows_id'))
