"""Every operation of both APIs refuses query parameters it does not declare, and repeated ones."""

from __future__ import annotations

import re
import timeit

import pytest
from flask import request

from cms.core.api import QUERY_PARAMETERS
from tests import factories

DOCUMENTS = ("/api/v1/openapi.json", "/content/v1/openapi.json")
#: Endpoints outside both APIs, which read no query string and are not checked.
OUTSIDE_THE_APIS = {
    "static",
    "core.healthz",
    "core.swagger_ui_file",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "content-api-docs.openapi_json",
    "content-api-docs.openapi_swagger_ui",
    # The desk's pages and assets: its script calls the editors' API, which is checked.
    "desk.queue",
    "desk.signin",
    "desk.story",
    "desk.static",
}
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(client):
    for document in DOCUMENTS:
        spec = client.get(document).json
        for path, item in spec["paths"].items():
            for method in METHODS:
                if method in item:
                    declared = {
                        p["name"]
                        for p in item[method].get("parameters", []) + item.get("parameters", [])
                        if p["in"] == "query"
                    }
                    yield method, re.sub(r"\{[^}]+\}", "1", path), declared, item[method]


def _assert_refused(response, *names):
    assert response.status_code == 400, (response.request.path, response.json)
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["type"] == "tag:newsroom-cms,2026:unknown-query-parameter"
    assert sorted(problem["errors"]["query"]) == sorted(names)
    for name in names:
        assert name in problem["detail"]


def test_every_operation_of_both_documents_refuses_an_unknown_parameter(client):
    checked = 0
    for method, path, declared, operation in _operations(client):
        response = getattr(client, method)(path, query_string={"bogus": "1", "q": "x"})

        _assert_refused(response, "bogus", *({"q"} - declared))
        assert problem_documented(operation)
        checked += 1
    assert checked >= 40


def problem_documented(operation: dict) -> bool:
    return "400" in operation["responses"] or 400 in operation["responses"]


def test_every_routed_endpoint_is_checked_or_known_to_be_outside_the_apis(app):
    table = app.extensions[QUERY_PARAMETERS]
    checked = {endpoint for endpoint, _method in table}

    for rule in app.url_map.iter_rules():
        assert rule.endpoint in checked | OUTSIDE_THE_APIS, rule.endpoint
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if rule.endpoint in checked:
                assert (rule.endpoint, method) in table


def test_a_declared_parameter_given_twice_is_refused(client, reporter):
    article = factories.article(reporter)
    path = f"/api/v1/articles/{article.id}/revisions"

    response = client.get(f"{path}?limit=1&limit=2", headers=factories.auth(reporter))

    _assert_refused(response, "limit")
    assert response.json["errors"]["query"]["limit"] == ["Given more than once; give it once."]


def test_unknown_parameters_are_named_whatever_else_is_wrong(client):
    response = client.get("/api/v1/users?limit=0&sort=name&Limit=2")

    _assert_refused(response, "sort", "Limit")
    assert response.json["errors"]["query"]["sort"] == ["Unknown parameter."]


def test_declared_parameters_pass_and_healthz_reads_no_query(client, reporter):
    article = factories.article(reporter)
    headers = factories.auth(reporter)

    listed = client.get(
        f"/api/v1/articles/{article.id}/revisions?limit=5&contains=Cranes", headers=headers
    )
    head = client.head(f"/api/v1/articles/{article.id}/revisions?bogus=1", headers=headers)

    assert listed.status_code == 200
    assert head.status_code == 400
    assert client.get("/healthz?probe=1").status_code == 200


def test_the_check_costs_microseconds(app):
    check = app.extensions[QUERY_PARAMETERS]
    assert check  # filled when the blueprints were registered, not per request
    with app.test_request_context("/api/v1/articles/1/revisions?limit=5&cursor=abc"):
        request.url_rule, request.view_args = app.url_map.bind("localhost").match(
            "/api/v1/articles/1/revisions", return_rule=True
        )
        hook = app.before_request_funcs[None][-1]
        assert hook.func.__name__ == "refuse_undeclared_query_parameters"
        seconds = min(timeit.repeat(hook, number=1000, repeat=3)) / 1000
    print(f"query-parameter check: {seconds * 1e6:.1f} µs per request")
    assert seconds > 0


@pytest.mark.parametrize("query", ["", "?"])
def test_no_query_string_is_fine(client, reporter, query):
    assert (
        client.get(f"/api/v1/auth/me{query}", headers=factories.auth(reporter)).status_code == 200
    )
