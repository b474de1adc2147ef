"""Walk a cursor-paginated list of the API page by page, as a client would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def walk(
    client: Any,
    path: str,
    headers: dict[str, str],
    *,
    limit: int,
    between: Callable[[], None] | None = None,
    key: str = "id",
) -> list[Any]:
    """Return the ``key`` of every item of every page, in order.

    ``between()`` runs after each page but the last, to add items while paging.
    """
    seen: list[Any] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        page = response.json
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        seen += [item[key] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between()
