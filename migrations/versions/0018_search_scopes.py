"""Search on SQLite at archive scale: what a search's scope tests, in a narrow table.

Each FTS5 match is tested against the search's scope (heads or versions, the
document's configuration, its section, the list's stories) by its document's
row, whose texts make it wide: at 100,000 stories a common word matched 175,000
rows of the unstemmed FTS5 table, and reading each one's document was most of a
search's time. ``search_scopes`` holds those columns alone, one row per document
(same id), kept by triggers as the FTS5 tables are; no model describes it.
PostgreSQL finds a search's matches by its GIN indexes and has no such table.

Revision ID: f2c6e8a30018
Revises: e1b5d7f20017
Create Date: 2026-12-02 02:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2c6e8a30018'
down_revision = 'e1b5d7f20017'
branch_labels = None
depends_on = None

COLUMNS = 'id, article_id, version, config, section'
TRIGGERS = {
    'search_scopes_ai': "AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_scopes (id, article_id, version, config, section) "
    "VALUES (new.id, new.article_id, new.version, new.config, new.section); END",
    'search_scopes_ad': "AFTER DELETE ON search_documents BEGIN "
    "DELETE FROM search_scopes WHERE id = old.id; END",
    'search_scopes_au': "AFTER UPDATE ON search_documents BEGIN "
    "UPDATE search_scopes SET id = new.id, article_id = new.article_id, "
    "version = new.version, config = new.config, section = new.section "
    "WHERE id = old.id; END",
}


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute(
        "CREATE TABLE search_scopes (id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL, "
        "version INTEGER NOT NULL, config VARCHAR(16) NOT NULL, section VARCHAR(100))"
    )
    op.execute(f"INSERT INTO search_scopes ({COLUMNS}) SELECT {COLUMNS} FROM search_documents")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_scopes")
