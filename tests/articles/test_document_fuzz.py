"""Property: any article payload is answered without a server error, and what is accepted
reads back as sent (up to the documented normalisation).

Payloads are drawn over the document schema: plausible values, arbitrary Unicode
(lone surrogates and control characters included), wrong types, nesting, huge
and non-finite numbers. Each example creates an article through the test
client, edits it, and reads it back.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms.articles.content import BYLINE_KEYS, DATELINE_KEYS
from cms.articles.schemas import LANGUAGE_PATTERN, SLUG_PATTERN
from cms.core.text import is_visible
from tests import factories

#: Stand-ins replaced in the encoded body: numbers and nesting JSON encoders will not write.
HUGE_INT = "\x1fhuge-int"
HUGE_FLOAT = "\x1fhuge-float"
DEEP = "\x1fdeep"
RAW = {
    json.dumps(HUGE_INT): "9" * 5000,
    json.dumps(HUGE_FLOAT): "1e999",
    json.dumps(DEEP): "[" * 3000 + "]" * 3000,
}
DOCUMENT = ("headline", "deck", "slug", "body", "section", "keywords", "language")
DOCUMENT_FIELDS = (*DOCUMENT, "dateline", "bylines")

anything_text = st.text(st.characters(codec=None, categories=None), max_size=40)
words = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs", "Cf", "Mn")), min_size=1, max_size=40
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    anything_text,
    st.sampled_from([HUGE_INT, HUGE_FLOAT, DEEP]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(anything_text, inner, max_size=3),
    max_leaves=8,
)


def _fields(hostile: bool) -> dict[str, st.SearchStrategy]:
    """Strategies for the document's fields; ``hostile`` ones sometimes draw any JSON value
    or any Unicode text instead."""

    def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(strategy, strategy, strategy, json_values) if hostile else strategy

    line = st.one_of(words, words, anything_text) if hostile else words
    dates = st.one_of(st.dates().map(lambda day: day.isoformat()), line)
    dateline = st.fixed_dictionaries(
        {"city": maybe(line)},
        optional={
            "region": maybe(st.none() | line),
            "country": maybe(st.none() | line),
            "agency": maybe(st.none() | line),
            "date": maybe(st.none() | dates),
        },
    )
    byline = st.fixed_dictionaries(
        {"name": maybe(line)},
        optional={"role": maybe(st.none() | line), "affiliation": maybe(st.none() | line)},
    )
    prose = st.text(st.characters(codec=None if hostile else "utf-8"), max_size=200)
    return {
        "headline": maybe(line),
        "deck": maybe(st.none() | prose),
        "slug": maybe(st.from_regex(SLUG_PATTERN, fullmatch=True) | line),
        "body": maybe(prose),
        "dateline": maybe(st.none() | dateline),
        "bylines": maybe(st.lists(maybe(byline), max_size=3)),
        "section": maybe(st.none() | line),
        "keywords": maybe(st.lists(maybe(line), max_size=4)),
        "language": maybe(st.from_regex(LANGUAGE_PATTERN, fullmatch=True) | line),
        "message": maybe(line),
    }


def _payloads(*, headline: bool) -> st.SearchStrategy:
    drawn = []
    for hostile in (False, True):
        fields = _fields(hostile)
        required = {"headline": fields.pop("headline")} if headline else {}
        if not headline:
            fields["headline"] = _fields(hostile)["headline"]
        drawn.append(st.fixed_dictionaries(required, optional=fields))
    return st.one_of(*drawn)


creates = st.one_of(_payloads(headline=True), _payloads(headline=True), json_values)
changes = _payloads(headline=False)
extra = st.one_of(
    st.just({}), st.just({}), st.dictionaries(anything_text, json_values, max_size=1)
)


def _body(payload: Any) -> str:
    encoded = json.dumps(payload)
    for stand_in, raw in RAW.items():
        encoded = encoded.replace(stand_in, raw)
    return encoded


def _optional(value: str | None) -> str | None:
    return value.strip() if value is not None and is_visible(value) else None


def _parts(value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: value[key].strip() for key in keys if _optional(value.get(key)) is not None}


def _expected(document: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The document ``sent`` makes of ``document``, as the API documents its normalisation.

    Written from the documentation (docs/editors-api.md), not by calling
    ``content.normalise``: a test that asked the code what it should do would
    pass whatever the code did.
    """
    document = dict(document)
    for name, value in sent.items():
        if name in ("headline", "slug", "language"):
            document[name] = value.strip()
        elif name in ("deck", "section"):
            document[name] = _optional(value)
        elif name == "body":
            document[name] = value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        elif name == "dateline":
            document[name] = _parts(value, DATELINE_KEYS) if value else None
        elif name == "bylines":
            document[name] = [_parts(person, BYLINE_KEYS) for person in value]
        elif name == "keywords":
            document[name] = list(dict.fromkeys(k.strip() for k in value))
    return document


def _document(response_json: dict[str, Any]) -> dict[str, Any]:
    document = {name: response_json[name] for name in DOCUMENT_FIELDS}
    if document["dateline"] is not None:
        document["dateline"] = {k: v for k, v in document["dateline"].items() if k != "text"}
    return document


def _check(response) -> bool:
    """Assert that ``response`` is no server error and a 4xx is a problem; return success."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == response.status_code
        return False
    return True


def _no_stand_ins(value: Any) -> bool:
    if isinstance(value, str):
        return value not in (HUGE_INT, HUGE_FLOAT, DEEP)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_no_stand_ins(item) for item in value)
    if isinstance(value, dict):
        return all(_no_stand_ins(item) for item in value.values())
    return True


def test_no_article_payload_is_a_server_error_and_accepted_ones_read_back(client, reporter):
    headers = factories.auth(reporter)
    outcomes: dict[str, int] = {"created": 0, "edited": 0, "refused": 0}

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(create=creates, edit=changes, unknown=extra)
    def exercise(create, edit, unknown):
        created = client.post(
            "/api/v1/articles",
            data=_body(create),
            content_type="application/json",
            headers=headers,
        )
        if not _check(created):
            outcomes["refused"] += 1
            return
        outcomes["created"] += 1
        assert _no_stand_ins(create)
        base = {"deck": None, "body": "", "dateline": None, "bylines": [], "section": None,
                "keywords": [], "language": "en", "slug": created.json["slug"]}  # fmt: skip
        sent = _expected(base, create)
        assert _document(created.json) == sent
        path = f"/api/v1/articles/{created.json['id']}"
        assert _document(client.get(path, headers=headers).json) == sent

        edited = client.patch(
            path,
            data=_body({**edit, **unknown}),
            content_type="application/json",
            headers={**headers, "If-Match": created.headers["ETag"]},
        )
        if not _check(edited):
            return
        outcomes["edited"] += 1
        assert not unknown
        sent = _expected(sent, edit)
        assert _document(edited.json) == sent
        assert _document(client.get(path, headers=headers).json) == sent

    exercise()

    assert all(outcomes.values()), outcomes
