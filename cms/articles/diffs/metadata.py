"""Comparison of the structured metadata fields: dateline, bylines and keywords.

A dateline is compared part by part (city, country ...); bylines by person
(name and which occurrence of it), as deletions, insertions, moves and part
changes; keywords as the ones added and removed, or only reordered. Each
function returns the field's entry of a document diff, or ``None`` when the
field did not change.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from cms.articles.content import BYLINE_KEYS, DATELINE_KEYS


def diff_dateline(before: Any, after: Any) -> dict[str, Any] | None:
    """Return the dateline entry, its changes part by part, or ``None`` if it is unchanged."""
    old, new = dict(before or {}), dict(after or {})
    if old == new:
        return None
    parts = [*DATELINE_KEYS, *sorted((old.keys() | new.keys()) - set(DATELINE_KEYS))]
    changes = [
        {"part": part, "old": old.get(part), "new": new.get(part)}
        for part in parts
        if old.get(part) != new.get(part)
    ]
    return {
        "field": "dateline",
        "old": dict(before) if before else None,
        "new": dict(after) if after else None,
        "changes": changes,
    }


def _byline_keys(bylines: list[Mapping[str, Any]]) -> list[tuple[Any, int]]:
    """Return each byline's identity: its name, and which occurrence of that name."""
    seen: Counter[Any] = Counter()
    keys = []
    for byline in bylines:
        name = byline.get("name")
        keys.append((name, seen[name]))
        seen[name] += 1
    return keys


def diff_bylines(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> dict | None:
    """Return the bylines entry, its changes person by person, or ``None`` if unchanged."""
    if old == new:
        return None
    old_keys, new_keys = _byline_keys(old), _byline_keys(new)
    old_at = {key: i for i, key in enumerate(old_keys)}
    new_at = {key: j for j, key in enumerate(new_keys)}
    changes: list[dict[str, Any]] = [
        {"op": "delete", "index": i, "byline": dict(old[i])}
        for i, key in enumerate(old_keys)
        if key not in new_at
    ]
    kept_old = [key for key in old_keys if key in new_at]
    kept_new = [key for key in new_keys if key in old_at]
    matcher = difflib.SequenceMatcher(None, kept_old, kept_new, autojunk=False)
    staying = {
        key for a, _, size in matcher.get_matching_blocks() for key in kept_old[a : a + size]
    }
    changes += [
        {"op": "move", "name": key[0], "from": old_at[key], "to": new_at[key]}
        for key in kept_new
        if key not in staying
    ]
    changes += [
        {"op": "insert", "index": j, "byline": dict(new[j])}
        for j, key in enumerate(new_keys)
        if key not in old_at
    ]
    for j, key in enumerate(new_keys):
        if key not in old_at:
            continue
        before, after = old[old_at[key]], new[j]
        extra = sorted((before.keys() | after.keys()) - set(BYLINE_KEYS))
        changes += [
            {
                "op": "change",
                "index": j,
                "name": key[0],
                "part": part,
                "old": before.get(part),
                "new": after.get(part),
            }
            for part in (*BYLINE_KEYS[1:], *extra)
            if before.get(part) != after.get(part)
        ]
    return {
        "field": "bylines",
        "old": [dict(b) for b in old],
        "new": [dict(b) for b in new],
        "changes": changes,
    }


def diff_keywords(old: list[str], new: list[str]) -> dict[str, Any] | None:
    """Return the keywords entry, those added and removed, or ``None`` if unchanged."""
    if old == new:
        return None
    added = [k for k in new if k not in set(old)]
    removed = [k for k in old if k not in set(new)]
    return {
        "field": "keywords",
        "old": old,
        "new": new,
        "added": added,
        "removed": removed,
        "reordered": not added and not removed,
    }
