"""Search: drop the documents of versions no partner may see any more.

A version released to every partner (no embargo) supersedes the story's earlier
versions in its section: from now on publishing drops their documents, and this
drops those already there. The downgrade keeps the index as it is: the earlier
code reads it the same way (it never showed those versions either).

Revision ID: a7c1d3e80013
Revises: f6b0c2d70012
Create Date: 2026-11-30 23:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c1d3e80013'
down_revision = 'f6b0c2d70012'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        DELETE FROM search_documents
        WHERE version > 0 AND EXISTS (
            SELECT 1
            FROM versions AS v
            JOIN revisions AS r ON r.article_id = v.article_id AND r.number = v.revision_number
            JOIN versions AS w
                ON w.article_id = v.article_id AND w.number > v.number
                AND w.embargo_until IS NULL
            JOIN revisions AS rw
                ON rw.article_id = w.article_id AND rw.number = w.revision_number
            WHERE v.article_id = search_documents.article_id
                AND v.number = search_documents.version
                AND (rw.section = r.section OR (rw.section IS NULL AND r.section IS NULL))
        )
        """
    )


def downgrade():
    pass
