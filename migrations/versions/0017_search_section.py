"""Search in one section: each search document carries its revision's section, and the
title indexes hold it beside the title vector.

A search in one section (``?q=council&section=politics``) ranked the headline
matches of every section and kept the section's afterwards: at 100,000 stories,
24,000 headline matches ranked where the section has a fifth of them. With the
section in the document and in the GIN indexes on ``tsv_title`` (PostgreSQL's
``btree_gin`` gives a GIN index a column compared with ``=``), the index finds
the section's matches alone. SQLite gets the column and plain indexes (its FTS5
tables rank with ``bm25``).

The existing documents take their revision's section; on PostgreSQL the trigger
that computes the vectors is off meanwhile (the texts do not change).

Revision ID: e1b5d7f20017
Revises: d0a4c6e10016
Create Date: 2026-12-01 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e1b5d7f20017'
down_revision = 'd0a4c6e10016'
branch_labels = None
depends_on = None

#: Per kind of document and configuration: the index's condition.
KINDS = {
    f'{kind}_{config}': f"version {test} AND config = '{config}'"
    for kind, test in (('heads', '= 0'), ('versions', '> 0'))
    for config in ('english', 'simple')
}

BACKFILL = """
    UPDATE search_documents SET section = (
        SELECT revisions.section FROM revisions
        WHERE revisions.article_id = search_documents.article_id
          AND revisions.number = search_documents.revision_number
    )
"""


# Not in batch mode: on SQLite a batch would rebuild search_documents and drop the FTS5
# triggers with it; ADD and DROP COLUMN are plain ALTER TABLE statements there.
def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.add_column('search_documents', sa.Column('section', sa.String(length=100), nullable=True))
    if postgresql:
        op.execute("ALTER TABLE search_documents DISABLE TRIGGER search_documents_tsv")
    op.execute(BACKFILL)
    if postgresql:
        op.execute("ALTER TABLE search_documents ENABLE TRIGGER search_documents_tsv")
    for kind, where in KINDS.items():
        op.drop_index(f'ix_search_documents_tsv_title_{kind}', table_name='search_documents')
        op.create_index(f'ix_search_documents_section_tsv_title_{kind}', 'search_documents',
                        ['section', 'tsv_title'], postgresql_using='gin',
                        postgresql_where=sa.text(where))


def downgrade():
    for kind, where in KINDS.items():
        op.drop_index(f'ix_search_documents_section_tsv_title_{kind}',
                      table_name='search_documents')
        op.create_index(f'ix_search_documents_tsv_title_{kind}', 'search_documents',
                        ['tsv_title'], postgresql_using='gin', postgresql_where=sa.text(where))
    op.drop_column('search_documents', 'section')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP EXTENSION IF EXISTS btree_gin")
