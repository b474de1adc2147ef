"""Search on PostgreSQL at archive scale: rank on a small title vector, narrow rows,
one GIN index per kind of document.

Ranking read every match's whole ``tsv`` (the body's lexemes, ~2 kB each, for
every match of a common word); ``tsv_title`` holds only headline (A) and deck,
dateline, bylines and keywords (B), and is what ``ts_rank`` now reads. A row over
1 kB has its body and ``tsv`` compressed and moved out of line, so a scan over
many matches reads narrow rows. Heads and versions in each configuration get a partial GIN index each, so the
planner finds the matches in the index rather than by testing every head's (or
version's) ``tsv``, and never visits rows of another kind.
SQLite gets the column only (its FTS5 tables rank with ``bm25``).

Revision ID: c9e3f5a00015
Revises: b8d2e4f90014
Create Date: 2026-11-30 23:59:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'c9e3f5a00015'
down_revision = 'b8d2e4f90014'
branch_labels = None
depends_on = None

TSVECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')

#: One GIN index per kind of document and configuration.
PARTIAL_INDEXES = {
    f'ix_search_documents_tsv_{kind}_{config}': f"version {test} AND config = '{config}'"
    for kind, test in (('heads', '= 0'), ('versions', '> 0'))
    for config in ('english', 'simple')
}

TRIGGER_FUNCTION = """
    CREATE OR REPLACE FUNCTION search_documents_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        -- Between the fields: a lexeme no query can hold (queries are letters and
        -- digits), so that a phrase never runs from the headline into the body.
        -- (The backslash keeps op.execute from reading the colon as a parameter.)
        gap CONSTANT tsvector := '''|''\\:1';
        headline tsvector := setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.headline)), 'A');
        summary tsvector := setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.summary)), 'B');
    BEGIN
        NEW.tsv := headline || gap || summary
            || gap || setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.body)), 'C');
        {title}
        RETURN NEW;
    END
    $$
"""


# Not in batch mode: on SQLite a batch would rebuild search_documents and drop the FTS5
# triggers with it; ADD and DROP COLUMN are plain ALTER TABLE statements there.
def upgrade():
    op.add_column('search_documents', sa.Column('tsv_title', TSVECTOR, nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGER_FUNCTION.format(title="NEW.tsv_title := headline || gap || summary;"))
        op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 1024)")
        op.execute("ALTER TABLE search_documents ALTER COLUMN tsv_title SET STORAGE MAIN")
        # The trigger fills tsv_title (and stores the row anew, narrow).
        op.execute("UPDATE search_documents SET headline = headline")
    op.drop_index('ix_search_documents_tsv', table_name='search_documents')
    for name, where in PARTIAL_INDEXES.items():
        op.create_index(name, 'search_documents', ['tsv'], postgresql_using='gin',
                        postgresql_where=sa.text(where))


def downgrade():
    for name in PARTIAL_INDEXES:
        op.drop_index(name, table_name='search_documents')
    op.create_index('ix_search_documents_tsv', 'search_documents', ['tsv'],
                    postgresql_using='gin')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGER_FUNCTION.format(title=""))
        op.execute("ALTER TABLE search_documents RESET (toast_tuple_target)")
        op.execute("ALTER TABLE search_documents ALTER COLUMN tsv_title SET STORAGE EXTENDED")
    op.drop_column('search_documents', 'tsv_title')
