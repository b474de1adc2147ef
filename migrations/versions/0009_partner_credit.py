"""Partner credit and lineage: a partner's own copyright holder and usage terms;
how a story follows the one it names.

Stories that already follow another were started by a new wire take of a killed
story, so they are replacements.

Revision ID: c3e9a7f40009
Revises: b2d8f6e30008
Create Date: 2026-11-30 19:30:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c3e9a7f40009"
down_revision = "b2d8f6e30008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("copyright_holder", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("usage_terms", sa.String(length=1000), nullable=True))

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follows_kind",
                sa.Enum(
                    "rewrite",
                    "new-lede",
                    "replacement",
                    name="follow_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                nullable=True,
            )
        )
    op.execute("UPDATE articles SET follows_kind = 'replacement' WHERE follows_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_articles_follow_kind"), type_="check")
        batch_op.drop_column("follows_kind")

    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("usage_terms")
        batch_op.drop_column("copyright_holder")
