"""Search on PostgreSQL: rows of about 480 bytes, not 660 (headline and deck out of line);
the title vectors indexed.

A search for a common word visits every matching row to rank it, so the width of
a row is what it costs: at 100,000 stories the table was 131 MB, past PostgreSQL's
default 128 MB of shared buffers. With ``toast_tuple_target`` at its least (128
bytes), a row's headline and summary move out of line beside its body and
``tsv``, leaving ids, language, configuration and ``tsv_title`` (what ``ts_rank``
reads) in the row: 95 MB, and a common word with a section filter took 70-85 ms
instead of 100-135 ms. Revision writes, which rewrite the head's row, measured the
same (180 and 182 per second, against 188 and 153: noise). Only rows written from
now on take the new layout; ``flask --app wsgi cms reindex`` (or ``VACUUM FULL
search_documents``) rewrites the rest.

A search ranks the documents whose headline and summary match the whole query
first, and finds them with a GIN index on ``tsv_title`` per kind of document and
configuration, as for ``tsv`` (a common word is then ranked among its headline
matches, not among every document that has it). SQLite gets the indexes as plain
ones, as for ``tsv`` (its FTS5 tables rank with ``bm25``).

Revision ID: d0a4c6e10016
Revises: c9e3f5a00015
Create Date: 2026-12-01 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd0a4c6e10016'
down_revision = 'c9e3f5a00015'
branch_labels = None
depends_on = None


#: A GIN index on the title vectors per kind of document and configuration.
TITLE_INDEXES = {
    f'ix_search_documents_tsv_title_{kind}_{config}': f"version {test} AND config = '{config}'"
    for kind, test in (('heads', '= 0'), ('versions', '> 0'))
    for config in ('english', 'simple')
}


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 128)")
    for name, where in TITLE_INDEXES.items():
        op.create_index(name, 'search_documents', ['tsv_title'], postgresql_using='gin',
                        postgresql_where=sa.text(where))


def downgrade():
    for name in TITLE_INDEXES:
        op.drop_index(name, table_name='search_documents')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 1024)")
