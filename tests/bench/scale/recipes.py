"""The benchmark's rows: one named request recipe each.

A recipe finds what its request needs (a cursor deep in a list, the middle of
the changes feed) with ordinary requests, then names the request to time. When
the endpoint or the parameter it needs is not there — a 4xx, or a parameter
the API ignores, which a probe with a word no story contains shows — the row
is ``n/a`` with the reason, instead of failing, so that the benchmark runs on a
branch without the endpoint and fills in once it is merged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from cms.delivery.queries import encode_cursor
from tests.bench.scale import prose

#: No story contains this word: a search that finds anything with it ignored ``q``.
NONSENSE = "zzqxjvwk"
#: How deep "page 500" is: the list's 500th page of 20 (or its last, if shorter).
DEEP_PAGE = 500


class Client(Protocol):
    """One GET as ``editor`` or ``partner``: the status and the decoded JSON (or ``None``)."""

    def get(self, path: str, who: str) -> tuple[int, Any]: ...


@dataclass(frozen=True)
class Facts:
    """What the recipes need to know of the archive."""

    big_story_id: int
    big_revisions: int
    sample_ids: tuple[int, ...]
    newest_event_id: int


@dataclass(frozen=True)
class Plan:
    """The request(s) a row times, in turn, as ``who``; or why it cannot."""

    who: str = "editor"
    paths: tuple[str, ...] = ()
    missing: str | None = None
    #: What the row measured, when it is not exactly what its name says.
    note: str | None = None


@dataclass(frozen=True)
class Recipe:
    name: str
    #: Whether the ≤ 100 ms target of searches applies (else ≤ 50 ms).
    search: bool
    plan: Callable[[Client, Facts], Plan]


def _missing(status: int, what: str) -> Plan:
    return Plan(missing=f"n/a (endpoint missing: {what} answered {status})")


def _searched(client: Client, path: str, who: str, probe: str) -> Plan:
    """Plan ``path`` if ``probe`` (the same search for :data:`NONSENSE`) finds nothing."""
    status, body = client.get(probe, who)
    if status >= 400:
        return _missing(status, probe.split("?")[0])
    if not isinstance(body, dict) or body.get("items"):
        return Plan(missing="n/a (endpoint missing: the search parameter is ignored)")
    status, _ = client.get(path, who)
    if status >= 400:
        return _missing(status, path.split("?")[0])
    return Plan(who, (path,))


def rare_word(client: Client, facts: Facts) -> Plan:
    word = prose.RARE_WORDS[0]
    return _searched(
        client, f"/api/v1/articles?q={word}", "editor", f"/api/v1/articles?q={NONSENSE}"
    )


def common_word(client: Client, facts: Facts) -> Plan:
    query = f"q={prose.COMMON_WORD}&section=politics"
    return _searched(
        client,
        f"/api/v1/articles?{query}",
        "editor",
        f"/api/v1/articles?q={NONSENSE}&section=politics",
    )


def list_first(client: Client, facts: Facts) -> Plan:
    status, _ = client.get("/api/v1/articles", "editor")
    return (
        _missing(status, "/api/v1/articles")
        if status >= 400
        else Plan(paths=("/api/v1/articles",))
    )


def list_deep(client: Client, facts: Facts) -> Plan:
    """Follow ``next_cursor`` from page 1 to page 500 (or the last page)."""
    path = "/api/v1/articles?limit=20"
    page = 1
    while page < DEEP_PAGE:
        status, body = client.get(path, "editor")
        if status >= 400:
            return _missing(status, path)
        if not isinstance(body, dict) or "next_cursor" not in body:
            return Plan(missing="n/a (endpoint missing: the list has no cursors)")
        if body["next_cursor"] is None:
            break
        path = f"/api/v1/articles?limit=20&cursor={quote(body['next_cursor'])}"
        page += 1
    note = None if page == DEEP_PAGE else f"page {page}, the last"
    return Plan(paths=(path,), note=note)


def article_read(client: Client, facts: Facts) -> Plan:
    paths = tuple(f"/api/v1/articles/{article_id}" for article_id in facts.sample_ids)
    status, _ = client.get(paths[0], "editor")
    return _missing(status, paths[0]) if status >= 400 else Plan(paths=paths)


def revision_list(client: Client, facts: Facts) -> Plan:
    path = f"/api/v1/articles/{facts.big_story_id}/revisions"
    status, _ = client.get(path, "editor")
    return _missing(status, path) if status >= 400 else Plan(paths=(path,))


def big_diff(client: Client, facts: Facts) -> Plan:
    path = f"/api/v1/articles/{facts.big_story_id}/diff?from=1&to={facts.big_revisions}"
    status, _ = client.get(path, "editor")
    return _missing(status, path) if status >= 400 else Plan(paths=(path,))


def pickaxe(client: Client, facts: Facts) -> Plan:
    base = f"/api/v1/articles/{facts.big_story_id}/revisions?contains="
    return _searched(client, base + quote(prose.PICKAXE_PHRASE), "editor", base + quote(NONSENSE))


def changes_middle(client: Client, facts: Facts) -> Plan:
    cursor = encode_cursor("changes", facts.newest_event_id // 2)
    path = f"/content/v1/changes?after={cursor}"
    status, _ = client.get(path, "partner")
    return _missing(status, "/content/v1/changes") if status >= 400 else Plan("partner", (path,))


def partner_search(client: Client, facts: Facts) -> Plan:
    return _searched(
        client,
        f"/content/v1/search?q={prose.COMMON_WORD}",
        "partner",
        f"/content/v1/search?q={NONSENSE}",
    )


RECIPES = (
    Recipe("search: a rare word", True, rare_word),
    Recipe("search: a common word + section", True, common_word),
    Recipe("list: page 1", False, list_first),
    Recipe("list: page 500 by cursor", False, list_deep),
    Recipe("article read", False, article_read),
    Recipe("revisions of the 1,000-revision story", False, revision_list),
    Recipe("diff: its revision 1 vs 1,000", False, big_diff),
    Recipe("revisions?contains= on it", False, pickaxe),
    Recipe("changes feed from the middle", False, changes_middle),
    Recipe("partner search", True, partner_search),
)
