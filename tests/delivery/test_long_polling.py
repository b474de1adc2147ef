"""Long polling the changes feed: answered as soon as an event commits, or empty at the deadline.

These commit for real (``live_db``): a notification is sent only when a
transaction commits, and the waiting request runs in a thread of its own.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from cms.articles.models import Article
from cms.auth.models import User
from cms.core.extensions import db
from cms.delivery.waiting import event_signal
from tests import factories
from tests.servers import gunicorn

CHANGES = "/content/v1/changes"


def _cursor(client, headers) -> str:
    page = client.get(CHANGES, headers=headers).json
    return page["next_cursor"]


def _wait_in_thread(app, headers, after, wait):
    """Start a long poll in a thread; return the thread and where its answer will be."""
    answer: dict = {}

    def poll():
        started = time.monotonic()
        response = app.test_client().get(
            CHANGES, query_string={"after": after, "wait": wait}, headers=headers
        )
        answer.update(
            status=response.status_code, json=response.json, took=time.monotonic() - started
        )

    thread = threading.Thread(target=poll)
    thread.start()
    return thread, answer


@pytest.mark.live
def test_a_waiting_partner_gets_a_publication_as_soon_as_it_commits(live_db, dialect):
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    _, key = factories.partner()
    headers = factories.partner_auth(key)
    client = live_db.test_client()
    draft_id, editor_id = factories.article(reporter).id, editor.id
    after = _cursor(client, headers)  # (its request ends the session: objects are reloaded)

    thread, answer = _wait_in_thread(live_db, headers, after, 20)
    time.sleep(0.5)  # it is waiting now
    published_at = time.monotonic()
    factories.published(db.session.get(Article, draft_id), db.session.get(User, editor_id))
    db.session.remove()
    thread.join(timeout=30)

    assert answer["status"] == 200
    assert [item["article_id"] for item in answer["json"]["items"]] == [draft_id]
    # Well before the 20 s deadline: it was woken, not timed out.
    assert answer["took"] < 15
    print(f"{dialect}: publish → waiting partner {time.monotonic() - published_at:.3f}s")
    if dialect == "postgresql":
        assert event_signal().listening


@pytest.mark.live
def test_an_event_the_partner_may_not_see_does_not_end_its_wait(live_db):
    reporter = factories.user(role="reporter")
    editor = factories.user(role="editor")
    _, key = factories.partner(sections=["sport"])
    headers = factories.partner_auth(key)
    draft_id, editor_id = factories.article(reporter, section="world").id, editor.id
    after = _cursor(live_db.test_client(), headers)

    thread, answer = _wait_in_thread(live_db, headers, after, 2)
    time.sleep(0.3)
    factories.published(db.session.get(Article, draft_id), db.session.get(User, editor_id))
    db.session.remove()
    thread.join(timeout=30)

    assert answer["status"] == 200
    assert answer["json"]["items"] == []
    assert answer["took"] >= 2
    assert answer["json"]["next_cursor"]


def test_with_nothing_new_the_answer_is_an_empty_page_after_the_wait(client, session):
    _, key = factories.partner()
    headers = factories.partner_auth(key)
    after = _cursor(client, headers)

    started = time.monotonic()
    page = client.get(CHANGES, query_string={"after": after, "wait": 1}, headers=headers)

    assert page.status_code == 200
    assert page.json["items"] == []
    assert page.json["has_more"] is False
    assert time.monotonic() - started >= 1


def test_with_events_there_the_answer_does_not_wait(client, session, reporter, editor):
    _, key = factories.partner()
    factories.published(factories.article(reporter), editor)

    started = time.monotonic()
    page = client.get(CHANGES, query_string={"wait": 30}, headers=factories.partner_auth(key))

    assert len(page.json["items"]) == 1
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("wait", ["31", "-1", "3600", "soon"])
def test_a_wait_beyond_30_seconds_is_422(client, session, wait):
    _, key = factories.partner()

    response = client.get(
        CHANGES, query_string={"wait": wait}, headers=factories.partner_auth(key)
    )

    assert response.status_code == 422
    assert "wait" in response.json["errors"]["query"]


@pytest.mark.live
def test_a_long_poll_ends_when_its_client_hangs_up(live_db, database_url):
    _, key = factories.partner()
    after = _cursor(live_db.test_client(), factories.partner_auth(key))
    env = {"CMS_DATABASE_URL": database_url, "GUNICORN_CMD_ARGS": "--worker-class gthread"}
    with gunicorn(env=env) as server:
        host, port = urlsplit(server.base_url).hostname, urlsplit(server.base_url).port
        with socket.create_connection((host, port), timeout=10) as client:
            client.sendall(
                f"GET {CHANGES}?after={after}&wait=25 HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {key}\r\n\r\n".encode()
            )
            time.sleep(1.5)  # waiting by now
        hung_up = time.monotonic()
        while "the client has gone" not in server.log() and time.monotonic() - hung_up < 20:
            time.sleep(0.1)

        log = server.log()

    assert "long poll ended: the client has gone" in log
    [line] = [line for line in log.splitlines() if f"GET {CHANGES} 200" in line]
    assert float(line.rsplit(" ", 1)[1].removesuffix("ms")) < 20000
