"""Search on SQLite: the unstemmed FTS5 table holds every document, for English prefixes.

FTS5's Porter tokenizer stems a typed prefix too (``kay*`` becomes ``kai*`` and
misses *kayak*), so English prefixes are looked up in ``search_fts_simple``,
which until now held only the documents of other languages. PostgreSQL: nothing
changes.

Revision ID: f6b0c2d70012
Revises: e5ab1c960011
Create Date: 2026-11-30 23:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f6b0c2d70012'
down_revision = 'e5ab1c960011'
branch_labels = None
depends_on = None

COLUMNS = 'headline, summary, body'
TRIGGERS = ('search_documents_ai', 'search_documents_ad', 'search_documents_au')


def _triggers(which: dict[str, str]) -> None:
    """(Re)create the triggers keeping each FTS5 table in step, for the rows ``which`` names."""
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    def insert(row):
        return "".join(
            f"INSERT INTO {table}(rowid, {COLUMNS}) SELECT {row}.id, {row}.headline, "
            f"{row}.summary, {row}.body{condition.format(row=row)}; "
            for table, condition in which.items()
        )

    def remove(row):
        return "".join(
            f"INSERT INTO {table}({table}, rowid, {COLUMNS}) SELECT 'delete', {row}.id, "
            f"{row}.headline, {row}.summary, {row}.body{condition.format(row=row)}; "
            for table, condition in which.items()
        )

    op.execute(
        f"CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN {insert('new')} END"
    )
    op.execute(
        f"CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN {remove('old')} END"
    )
    op.execute(
        "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents "
        f"BEGIN {remove('old')}{insert('new')} END"
    )


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    _triggers({
        'search_fts_english': " WHERE {row}.config = 'english'",
        'search_fts_simple': "",
    })
    # An external-content table rebuilds from every row of its content table.
    op.execute("INSERT INTO search_fts_simple(search_fts_simple) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    _triggers({
        'search_fts_english': " WHERE {row}.config = 'english'",
        'search_fts_simple': " WHERE {row}.config <> 'english'",
    })
    op.execute("INSERT INTO search_fts_simple(search_fts_simple) VALUES ('delete-all')")
    op.execute(
        f"INSERT INTO search_fts_simple(rowid, {COLUMNS}) SELECT id, {COLUMNS} "
        "FROM search_documents WHERE config <> 'english'"
    )
