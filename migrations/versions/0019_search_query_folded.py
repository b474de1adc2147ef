"""Search on PostgreSQL: a query's ``tsquery`` is computed once per statement, not per row.

``unaccent`` is a stable function, so ``to_tsquery(config, unaccent('...'))`` was
not folded into a constant when a statement was planned: wherever a search tests
or ranks rows one by one rather than through a GIN index (``ts_rank``, a filter
on the title vector, the walk back to the rank horizon), it unaccented and parsed
the query again for every row — two thirds of a common word's time. The searches
call ``search_unaccent`` instead, the same ``unaccent`` declared immutable, which
PostgreSQL evaluates once while planning. (Its answer depends only on the
``unaccent`` rules file: a change there already needs ``flask --app wsgi cms
reindex`` for the documents.) SQLite has no such function and needs none.

Revision ID: a3d7f9b40019
Revises: f2c6e8a30018
Create Date: 2026-12-02 05:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3d7f9b40019'
down_revision = 'f2c6e8a30018'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # Not inlined (its body is not immutable), so its call with a constant is folded.
    op.execute(
        "CREATE FUNCTION search_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        "AS $$ SELECT unaccent($1) $$"
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP FUNCTION search_unaccent(text)")
