"""The API docs pages: served whole by the app, so that they work without the internet."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest

#: Each docs page and the OpenAPI document it shows.
DOCS_PAGES = {
    "/api/v1/docs": "/api/v1/openapi.json",
    "/content/v1/docs": "/content/v1/openapi.json",
}
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


class _References(HTMLParser):
    """Collects the ``src`` and ``href`` attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def _references(page: str) -> list[str]:
    parser = _References()
    parser.feed(page)
    return parser.found


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_a_docs_page_loads_nothing_from_another_host(client, path):
    response = client.get(path)
    references = _references(response.get_data(as_text=True))

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert references
    assert [ref for ref in references if _EXTERNAL.match(ref)] == []


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_every_file_a_docs_page_refers_to_is_served(client, path):
    page = client.get(path).get_data(as_text=True)

    for reference in _references(page):
        with client.get(reference) as asset:
            assert asset.status_code == 200, reference
            assert asset.content_length, reference


@pytest.mark.parametrize(("path", "spec"), DOCS_PAGES.items())
def test_a_docs_page_shows_its_own_openapi_document(client, path, spec):
    page = client.get(path).get_data(as_text=True)

    assert f'"{spec}"' in page
    assert client.get(spec).json["openapi"] == "3.1.0"


def test_the_swagger_ui_served_renders_openapi_3_1(client):
    # Swagger UI 4 (what swagger-ui-bundle ships) refuses an `openapi: 3.1.0`
    # document; version 5 has the OpenAPI 3.1 selectors.
    with client.get("/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert b"isOAS31" in bundle.data


@pytest.mark.parametrize(
    "path", ["/swagger-ui/../__init__.py", "/swagger-ui/%2e%2e/core.py", "/swagger-ui/nope.js"]
)
def test_only_swagger_uis_own_files_are_served(client, path):
    assert client.get(path).status_code == 404


def test_serving_the_docs_never_imports_the_ui_package(client):
    # Only its static folder is used; its Python code (web-framework glue) stays unloaded.
    assert client.get("/api/v1/docs").status_code == 200
    with client.get("/swagger-ui/swagger-ui.css") as stylesheet:
        assert stylesheet.status_code == 200

    assert "swagger_ui" not in sys.modules
