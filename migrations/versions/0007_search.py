"""Search: one document per story head and per public version; filter indexes.

PostgreSQL: ``unaccent``, a weighted ``tsvector`` per document set by a trigger
(so no writer can forget it), and a GIN index on it. SQLite: two FTS5 tables
over the documents (external content), English with the porter stemmer and
the simple one for every other language, kept by triggers. The documents are
filled by ``flask --app wsgi cms reindex``; run it once after this upgrade.

Revision ID: a1c7e5d20007
Revises: 747d9b25d3f4
Create Date: 2026-11-30 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'a1c7e5d20007'
down_revision = '747d9b25d3f4'
branch_labels = None
depends_on = None

TSVECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql')
COLUMNS = 'headline, summary, body'
#: FTS5 table → (tokenizer, which documents it holds).
FTS5 = {
    'search_fts_english': ("porter unicode61 remove_diacritics 2", "= 'english'"),
    'search_fts_simple': ("unicode61 remove_diacritics 2", "<> 'english'"),
}

POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    CREATE FUNCTION search_documents_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        -- Between the fields: a lexeme no query can hold (queries are letters and
        -- digits), so that a phrase never runs from the headline into the body.
        -- (The backslash keeps op.execute from reading the colon as a parameter.)
        gap CONSTANT tsvector := '''|''\\:1';
    BEGIN
        NEW.tsv := setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.headline)), 'A')
            || gap || setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.summary)), 'B')
            || gap || setweight(to_tsvector(NEW.config::regconfig, unaccent(NEW.body)), 'C');
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER search_documents_tsv BEFORE INSERT OR UPDATE ON search_documents
    FOR EACH ROW EXECUTE FUNCTION search_documents_tsv()
    """,
]
# The extension stays: other schemas may use it, and dropping it is not ours to do.
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS search_documents_tsv ON search_documents",
    "DROP FUNCTION IF EXISTS search_documents_tsv()",
]


def _sqlite_up():
    for table, (tokenizer, _which) in FTS5.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({COLUMNS}, content='search_documents', "
            f"content_rowid='id', tokenize='{tokenizer}')"
        )

    def insert(row):
        return "".join(
            f"INSERT INTO {table}(rowid, {COLUMNS}) SELECT {row}.id, {row}.headline, "
            f"{row}.summary, {row}.body WHERE {row}.config {which}; "
            for table, (_tokenizer, which) in FTS5.items()
        )

    def remove(row):
        return "".join(
            f"INSERT INTO {table}({table}, rowid, {COLUMNS}) SELECT 'delete', {row}.id, "
            f"{row}.headline, {row}.summary, {row}.body WHERE {row}.config {which}; "
            for table, (_tokenizer, which) in FTS5.items()
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


def _sqlite_down():
    for trigger in ('search_documents_ai', 'search_documents_ad', 'search_documents_au'):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in FTS5:
        op.execute(f"DROP TABLE IF EXISTS {table}")


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('config', sa.String(length=16), nullable=False),
    sa.Column('headline', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tsv', TSVECTOR, nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_search_documents_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('article_id', 'version', name=op.f('uq_search_documents_article_id_version'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_tsv', ['tsv'], unique=False, postgresql_using='gin')
        batch_op.create_index('ix_search_documents_version_language', ['version', 'language'], unique=False)

    op.create_table('search_labels',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_search_labels_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'kind', 'value', name=op.f('pk_search_labels'))
    )
    with op.batch_alter_table('search_labels', schema=None) as batch_op:
        batch_op.create_index('ix_search_labels_kind_value', ['kind', 'value', 'article_id'], unique=False)

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_section_updated_at_id', ['section', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_articles_status_updated_at_id', ['status', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_articles_first_published_at_id', ['first_published_at', 'id'], unique=False)

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.create_index('ix_revisions_author_id_article_id', ['author_id', 'article_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_UP:
            op.execute(statement)
    else:
        _sqlite_up()


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_DOWN:
            op.execute(statement)
    else:
        _sqlite_down()

    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_revisions_author_id_article_id')

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_first_published_at_id')
        batch_op.drop_index('ix_articles_status_updated_at_id')
        batch_op.drop_index('ix_articles_section_updated_at_id')

    with op.batch_alter_table('search_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_search_labels_kind_value')

    op.drop_table('search_labels')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_version_language')
        batch_op.drop_index('ix_search_documents_tsv', postgresql_using='gin')

    op.drop_table('search_documents')
