"""Wire takes: each take as ingested; a story that follows a killed one.

A new take of a known story is now merged three-way with the desk's edits, with
the previous take as ingested for base, so each piece of copy keeps what it
said: headline, dateline, bylines and body (by hash, in ``bodies``). Until now
a take replaced those fields of the head wholesale, so the revision each copy
produced holds them exactly: existing rows are filled from it. A take of a
killed story now starts a new draft that names the story it follows.

Revision ID: 747d9b25d3f4
Revises: 3c8f5b1e2d74
Create Date: 2026-11-30 16:56:43.963959

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '747d9b25d3f4'
down_revision = '3c8f5b1e2d74'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
#: The take fields, filled from the revision each piece of copy produced.
TAKE_COLUMNS = ('headline', 'dateline', 'bylines', 'body_hash')


def upgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follows_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_articles_follows_id_articles'), 'articles', ['follows_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('ingested_copy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headline', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('dateline', JSON, nullable=True))
        batch_op.add_column(sa.Column('bylines', JSON, nullable=True))
        batch_op.add_column(sa.Column('body_hash', sa.String(length=64), nullable=True))

    op.execute(
        "UPDATE ingested_copy SET "
        + ", ".join(
            f"{column} = (SELECT revisions.{column} FROM revisions "
            "WHERE revisions.article_id = ingested_copy.article_id "
            "AND revisions.number = ingested_copy.revision_number)"
            for column in TAKE_COLUMNS
        )
    )

    with op.batch_alter_table('ingested_copy', schema=None) as batch_op:
        batch_op.alter_column('headline', existing_type=sa.String(length=300), nullable=False)
        batch_op.alter_column('bylines', existing_type=JSON, nullable=False)
        batch_op.alter_column('body_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_ingested_copy_body_hash_bodies'), 'bodies', ['body_hash'], ['hash'])


def downgrade():
    with op.batch_alter_table('ingested_copy', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ingested_copy_body_hash_bodies'), type_='foreignkey')
        batch_op.drop_column('body_hash')
        batch_op.drop_column('bylines')
        batch_op.drop_column('dateline')
        batch_op.drop_column('headline')

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_follows_id_articles'), type_='foreignkey')
        batch_op.drop_column('follows_id')
