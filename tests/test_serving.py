"""The application under real gunicorn with two worker processes."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests import factories
from tests.servers import call, gunicorn

pytestmark = pytest.mark.live


@pytest.fixture
def server(live_db, database_url):
    with gunicorn(env={"CMS_DATABASE_URL": database_url}) as running:
        yield running


def test_health_login_write_and_read_through_gunicorn(server, live_db):
    user = factories.user(role="reporter")
    status, _, body = call(
        "POST",
        f"{server.base_url}/api/v1/auth/tokens",
        {"email": user.email, "password": factories.PASSWORD},
    )
    assert status == 201
    auth = {"Authorization": f"Bearer {body['token']}"}

    status, headers, _created = call(
        "POST", f"{server.base_url}/api/v1/articles", factories.STORY, auth
    )
    assert status == 201
    path = headers["Location"]

    status, headers, article = call("GET", f"{server.base_url}{path}", headers=auth)
    assert status == 200
    assert article["headline"] == factories.STORY["headline"]
    request_id = headers["X-Request-Id"]
    assert f"[{request_id}] GET {path} 200" in server.log()


def test_parallel_writers_across_processes(server, live_db):
    author = factories.user(role="reporter")
    article = factories.article(author)
    headers = {**factories.auth(author), "If-Match": article.etag}
    url = f"{server.base_url}/api/v1/articles/{article.id}"
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def write(number: int) -> None:
        barrier.wait()
        statuses.append(call("PATCH", url, {"deck": f"Take {number}"}, headers)[0])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [412] * 5
    _, _, revisions = call("GET", f"{url}/revisions", headers=headers)
    assert [r["number"] for r in revisions["items"]] == [2, 1]


def _post_chunked(base_url: str, path: str, chunks: Iterator[bytes]) -> tuple[int, str, dict]:
    """POST ``chunks`` with ``Transfer-Encoding: chunked`` (no ``Content-Length``)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            body=chunks,
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_body_is_read_whole_and_an_oversize_one_is_413(server, live_db):
    user = factories.user(role="reporter")
    login = json.dumps({"email": user.email, "password": factories.PASSWORD}).encode()

    status, _, body = _post_chunked(
        server.base_url, "/api/v1/auth/tokens", iter([login[:10], login[10:]])
    )
    assert status == 201, body

    padding = (b" " * 65536 for _ in range(40))  # 2.5 MiB of JSON whitespace, in chunks
    status, media_type, body = _post_chunked(
        server.base_url, "/api/v1/auth/tokens", iter([login[:-1], *padding, b"}"])
    )
    assert (status, media_type) == (413, "application/problem+json")
    assert body["status"] == 413


def test_a_forged_host_header_never_reaches_a_feed(server, live_db):
    article = factories.published(
        factories.article(factories.user(role="reporter")), factories.user(role="editor")
    )
    _partner, key = factories.partner()

    status, _, feed = call(
        "GET",
        f"{server.base_url}/content/v1/feeds/json",
        headers={**factories.partner_auth(key), "Host": "evil.example"},
    )

    assert status == 200
    assert feed["feed_url"] == f"{server.base_url}/content/v1/feeds/json"
    assert (
        feed["items"][0]["url"] == f"{server.base_url}/content/v1/articles/{article.id}?version=1"
    )
    assert "evil.example" not in json.dumps(feed)
