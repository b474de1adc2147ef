"""``POST /api/v1/ingest`` and ``flask cms ingest``: wire copy becomes a draft."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from cms.articles.models import Article, Revision
from cms.cli import cms_cli
from cms.core.extensions import db
from cms.ingest.models import IngestedCopy
from tests import factories

AP_COPY = """\
Ferry service resumes after storm closes harbour

By Lena Fischer
Associated Press

HALIFAX, Nova Scotia (AP) — Ferries returned to the harbour on Sunday, two days after \
a storm tore moorings loose and closed the port.

The operator said the first crossings were full.
"""

AP_SECOND_TAKE = AP_COPY.replace(
    "The operator said the first crossings were full.",
    "The operator said the first crossings were full and extra sailings were added.",
)

NO_DATELINE = """\
Museum extends opening hours

The city museum will stay open until 9 p.m. on Thursdays from next month.
"""


def _ingest(client, user, text: str, **kwargs):
    return client.post(
        "/api/v1/ingest",
        data=text.encode(),
        content_type="text/plain; charset=utf-8",
        headers=factories.auth(user),
        **kwargs,
    )


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Article, Revision, IngestedCopy)
    )


def test_copy_becomes_a_draft_and_says_what_was_recognised(client, reporter):
    response = _ingest(client, reporter, AP_COPY)

    assert response.status_code == 201
    body = response.json
    article = body["article"]
    assert article["headline"] == "Ferry service resumes after storm closes harbour"
    assert article["status"] == "draft"
    assert article["dateline"]["city"] == "Halifax"
    assert article["dateline"]["agency"] == "AP"
    assert article["dateline"]["text"].startswith("HALIFAX, Nova Scotia (AP)")
    assert article["byline_text"] == "By Lena Fischer, Associated Press"
    assert article["body"].startswith("Ferries returned to the harbour on Sunday")
    assert body["article_created"] is True
    assert body["recognised"]["paragraphs"] == 2
    assert response.headers["ETag"] == '"1.1"'


def test_identical_copy_is_recognised_and_stores_nothing(client, reporter):
    first = _ingest(client, reporter, AP_COPY)
    again = _ingest(client, reporter, AP_COPY.replace("\n", "\r\n") + "\n\n")

    assert again.status_code == 200
    assert again.json["duplicate"] is True
    assert again.json["article"]["id"] == first.json["article"]["id"]
    assert _counts() == (1, 1, 1)


def test_a_new_take_adds_a_revision_to_the_same_draft(client, reporter):
    first = _ingest(client, reporter, AP_COPY)
    take = _ingest(client, reporter, AP_SECOND_TAKE)

    assert take.status_code == 200
    assert take.json["article"]["id"] == first.json["article"]["id"]
    assert take.json["revision_created"] is True
    assert take.json["article"]["revision"] == 2
    assert "extra sailings" in take.json["article"]["body"]
    assert _counts() == (1, 2, 2)


def test_copy_without_dateline_or_byline_is_still_a_draft_with_warnings(client, reporter):
    response = _ingest(client, reporter, NO_DATELINE)

    assert response.status_code == 201
    assert response.json["article"]["dateline"] is None
    warnings = " ".join(response.json["warnings"]).lower()
    assert "dateline" in warnings
    assert "byline" in warnings


def test_file_upload_is_accepted(client, reporter):
    response = client.post(
        "/api/v1/ingest",
        data={"file": (io.BytesIO(AP_COPY.encode()), "ferry.txt")},
        content_type="multipart/form-data",
        headers=factories.auth(reporter),
    )

    assert response.status_code == 201
    assert response.json["article"]["headline"].startswith("Ferry service")


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"", "text/plain", 422),
        (b"   \n\n  ", "text/plain", 422),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/plain", 422),
        ("Caf\u00e9 headline\n\nBody".encode("latin-1"), "text/plain", 422),
        (b"Headline\n\nBody", "text/plain; charset=latin-1", 415),
        (b"{}", "application/json", 415),
    ],
)
def test_bad_copy_is_a_4xx_and_stores_nothing(client, reporter, data, content_type, status):
    response = client.post(
        "/api/v1/ingest", data=data, content_type=content_type, headers=factories.auth(reporter)
    )

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert _counts() == (0, 0, 0)


def test_upload_without_a_file_field_is_422(client, reporter):
    response = client.post(
        "/api/v1/ingest",
        data={"other": "x"},
        content_type="multipart/form-data",
        headers=factories.auth(reporter),
    )

    assert response.status_code == 422
    assert "file" in response.json["errors"]["files"]


def test_oversize_copy_is_413(app, client, reporter):
    limit = app.config["CMS_INGEST_MAX_BYTES"]
    response = _ingest(client, reporter, "Headline\n\n" + "x" * limit)

    assert response.status_code == 413
    assert _counts() == (0, 0, 0)


def test_ingest_needs_a_token(client):
    assert client.post("/api/v1/ingest", data=b"x", content_type="text/plain").status_code == 401


def test_cli_ingests_files_as_the_wire_desk(app, session, tmp_path):
    story = tmp_path / "ferry.txt"
    story.write_text(AP_COPY, encoding="utf-8")
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")

    result = app.test_cli_runner().invoke(cms_cli, ["ingest", str(story), str(binary)])

    assert result.exit_code == 1
    assert "ferry.txt: created article" in result.output
    assert "photo.jpg: error" in result.output
    revision = db.session.scalar(select(Revision))
    assert revision.author.name == "Wire desk"
    assert revision.author.is_active is False

    again = app.test_cli_runner().invoke(cms_cli, ["ingest", str(story)])
    assert again.exit_code == 0
    assert "already ingested" in again.output
    assert _counts() == (1, 1, 1)
