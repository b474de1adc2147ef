"""Both OpenAPI documents are valid and tell the truth: security, problem details, statuses."""

from __future__ import annotations

import re
from collections.abc import Iterator

import jsonschema
import pytest
from flask import Flask, jsonify
from flask_smorest import Api
from marshmallow import Schema, ValidationError, validates_schema
from marshmallow import fields as ma_fields
from openapi_spec_validator import validate
from werkzeug.exceptions import BadRequestKeyError

from cms.core.api import Blueprint
from tests import factories

EDITORS = "/api/v1/openapi.json"
CONTENT = "/content/v1/openapi.json"
PROBLEM_CONTENT = {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
}
#: The security every operation of each document declares, but for logging in.
SECURITY = {EDITORS: [{"bearerAuth": []}], CONTENT: [{"partnerKey": []}]}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
LOGIN = ("post", "/api/v1/auth/tokens")


@pytest.fixture(params=[EDITORS, CONTENT])
def document(request, client) -> tuple[str, dict]:
    return request.param, client.get(request.param).json


def operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    """Yield (method, path, operation) for every operation of ``spec``."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def response(spec: dict, operation: dict, status: int | str) -> dict:
    """Return the response of ``operation`` for ``status``, its ``$ref`` resolved."""
    found = operation["responses"][str(status)]
    if "$ref" in found:
        found = spec["components"]["responses"][found["$ref"].rsplit("/", 1)[1]]
    return found


def test_both_documents_are_valid_openapi_3_1(document):
    _url, spec = document

    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on the first violation of the OpenAPI 3.1 schema


def test_every_operation_declares_its_security(document):
    url, spec = document
    schemes = spec["components"]["securitySchemes"]

    for method, path, operation in operations(spec):
        expected = [] if (method, path) == LOGIN else SECURITY[url]
        assert operation.get("security") == expected, f"{method} {path}"
        for requirement in operation["security"]:
            assert set(requirement) <= set(schemes)
    assert all(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


def test_every_error_response_is_problem_details_with_the_one_problem_schema(document):
    _url, spec = document

    for method, path, operation in operations(spec):
        statuses = list(operation["responses"])
        assert "default" in statuses, f"{method} {path}"
        for status in statuses:
            if status == "default" or int(status) >= 400:
                documented = response(spec, operation, status)
                assert documented["content"] == PROBLEM_CONTENT, f"{method} {path} {status}"
                assert documented["description"]
        if operation["security"]:
            assert "401" in statuses, f"{method} {path}"
    assert "Error" not in spec["components"]["schemas"]


def test_the_problem_schema_is_rfc_9457(document):
    _url, spec = document
    problem = spec["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "instance"}
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True  # extension members


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/api/v1/articles/{article_id}", {"304", "404"}),
        ("patch", "/api/v1/articles/{article_id}", {"409", "412", "422", "428"}),
        (
            "post",
            "/api/v1/articles/{article_id}/revisions/{number}/restore",
            {"409", "412", "428"},
        ),
        ("post", "/api/v1/articles/{article_id}/publish", {"403", "409", "412", "428"}),
        ("post", "/api/v1/articles/{article_id}/withdraw", {"409", "412", "428"}),
        ("post", "/api/v1/articles", {"409", "422"}),
        ("post", "/api/v1/users", {"409"}),
        ("post", "/api/v1/partners", {"409"}),
        ("post", "/api/v1/partners/{partner_id}/deliveries/{delivery_id}/redeliver", {"409"}),
        ("post", "/api/v1/ingest", {"413", "415", "422"}),
        ("get", "/api/v1/articles/{article_id}/diff", {"406"}),
        ("post", "/api/v1/auth/tokens", {"401", "422"}),
        ("get", "/content/v1/articles/{article_id}", {"304", "404", "410"}),
        ("get", "/content/v1/feeds/atom", {"304"}),
        ("get", "/content/v1/feeds/json", {"304"}),
    ],
)
def test_statuses_are_documented_where_they_happen(client, method, path, statuses):
    spec = client.get(CONTENT if path.startswith("/content") else EDITORS).json

    assert statuses <= set(spec["paths"][path][method]["responses"])


def test_every_write_that_needs_if_match_documents_412_and_428(document):
    _url, spec = document

    for method, path, operation in operations(spec):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "If-Match" in headers:
            assert {"412", "428"} <= set(operation["responses"]), f"{method} {path}"


def test_every_media_type_of_a_read_is_documented(client):
    editors = client.get(EDITORS).json
    content = client.get(CONTENT).json

    diff = editors["paths"]["/api/v1/articles/{article_id}/diff"]["get"]["responses"]["200"]
    assert set(diff["content"]) == {"application/json", "text/html", "text/plain"}
    assert diff["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Diff"}
    article = content["paths"]["/content/v1/articles/{article_id}"]["get"]["responses"]["200"]
    assert set(article["content"]) == {"application/json", "application/ninjs+json"}
    for kind, media_type in (("atom", "application/atom+xml"), ("json", "application/feed+json")):
        feed = content["paths"][f"/content/v1/feeds/{kind}"]["get"]["responses"]["200"]
        assert set(feed["content"]) == {media_type}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_secured_operation_answers_401_without_credentials(client, document):
    _url, spec = document

    for method, path, operation in operations(spec):
        answer = client.open(_concrete(path), method=method.upper())
        if operation["security"]:
            assert answer.status_code == 401, f"{method} {path}"
            assert answer.mimetype == "application/problem+json"
        else:
            assert answer.status_code != 401, f"{method} {path}"


def test_problem_documents_match_the_documented_schema(client, reporter):
    spec = client.get(EDITORS).json
    problem = {**spec["components"]["schemas"]["Problem"], "components": spec["components"]}
    story = factories.article(reporter)
    headers = factories.auth(reporter)
    answers = [
        client.get("/api/v1/articles/2147483647", headers=headers),  # 404
        client.get("/api/v1/articles/%C3%A9%09%25", headers=headers),  # 404: é, tab, %
        client.post("/api/v1/articles", headers=headers, json={"headline": 1}),  # 422
        client.patch(f"/api/v1/articles/{story.id}", headers=headers, json={}),  # 428
        client.patch(
            f"/api/v1/articles/{story.id}", headers={**headers, "If-Match": '"0.0"'}, json={}
        ),  # 412
        client.get("/api/v1/auth/me"),  # 401
    ]
    validator = jsonschema.Draft202012Validator(
        problem, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    assert [a.status_code for a in answers] == [404, 404, 422, 428, 412, 401]
    for answer in answers:
        assert answer.mimetype == "application/problem+json"
        validator.validate(answer.json)
    assert answers[1].json["instance"] == "/api/v1/articles/%C3%A9%09%25"


# --- The blueprint every API view is registered on ----------------------------------------------


class _ProbeArgs(Schema):
    n = ma_fields.Integer()
    tag = ma_fields.List(ma_fields.String())


class _DefaultArgs(Schema):
    limit = ma_fields.Integer(load_default=20)


class _RequiredArgs(Schema):
    q = ma_fields.String(required=True)


class _CheckedArgs(Schema):
    n = ma_fields.Integer()

    @validates_schema
    def refuse_nothing(self, data, **kwargs):
        if not data:
            raise ValidationError("Say something.")


class _BodyArgs(Schema):
    headline = ma_fields.String(required=True)


def _probe_app() -> tuple[Flask, Api]:
    app = Flask(__name__)
    app.config.update(API_TITLE="probe", API_VERSION="1", OPENAPI_VERSION="3.1.0")
    api = Api(app)
    blp = Blueprint("probe", __name__)

    @blp.route("/probe")
    @blp.arguments(_ProbeArgs(), location="query", as_kwargs=True)
    @blp.alt_response(409, description="Taken.")
    @blp.doc(summary="Probe")
    def probe(**arguments):
        return jsonify(arguments)

    for name, schema in (
        ("defaults", _DefaultArgs),
        ("required", _RequiredArgs),
        ("checked", _CheckedArgs),
    ):

        @blp.route(f"/{name}", endpoint=name)
        @blp.arguments(schema(), location="query", as_kwargs=True)
        def echo(**arguments):
            return jsonify(arguments)

    @blp.route("/body", methods=["POST"])
    @blp.arguments(_BodyArgs)  # a class, as most views give
    def body(arguments):
        return jsonify(arguments)

    api.register_blueprint(blp)
    return app, api


def _calls_on(monkeypatch, cls: type, name: str) -> list[type]:
    """Record, in the list returned, the class of each object ``cls.name`` is called on."""
    calls: list[type] = []
    method = getattr(cls, name)

    def recording(self, *args, **kwargs):
        calls.append(type(self))
        return method(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, recording)
    return calls


def test_documenting_decorators_describe_the_view_without_wrapping_it():
    blp = Blueprint("probe", __name__)

    def view():
        return "ok"

    assert blp.alt_response(409, description="Taken.")(view) is view
    assert blp.doc(summary="Probe")(view) is view
    assert view._apidoc["response"]["responses"][409][0]["description"] == "Taken."  # type: ignore[attr-defined]
    assert view._apidoc["manual_doc"] == {"summary": "Probe"}  # type: ignore[attr-defined]

    _app, api = _probe_app()
    operation = api.spec.to_dict()["paths"]["/probe"]["get"]
    assert operation["summary"] == "Probe"
    assert operation["responses"]["409"]["description"] == "Taken."


def test_query_arguments_are_read_without_an_exception_per_absent_one(monkeypatch):
    app, _api = _probe_app()
    client = app.test_client()
    missed: list[str] = []
    build = BadRequestKeyError.__init__

    def counting(self, key=None, *args, **kwargs):
        missed.append(key)
        build(self, key, *args, **kwargs)

    monkeypatch.setattr(BadRequestKeyError, "__init__", counting)

    assert client.get("/probe").json == {}
    assert client.get("/probe?n=3").json == {"n": 3}
    assert client.get("/probe?tag=a&tag=b").json == {"tag": ["a", "b"]}
    assert client.get("/probe?n=x").status_code == 422
    # werkzeug raises it for headers too: only the schema's fields count here.
    assert {"n", "tag"}.isdisjoint(missed)


def test_an_empty_query_string_loads_as_the_schema_would_load_it(monkeypatch):
    app, _api = _probe_app()
    client = app.test_client()
    loads = _calls_on(monkeypatch, Schema, "load")

    assert client.get("/probe").json == {}
    assert loads == []  # nothing to load, nothing to add: not loaded
    assert client.get("/probe?n=3").json == {"n": 3}
    assert loads == [_ProbeArgs]
    # A default, a required field or a schema's own check: loaded, as webargs would.
    assert client.get("/defaults").json == {"limit": 20}
    assert client.get("/required").status_code == 422
    assert client.get("/checked").status_code == 422
    assert loads == [_ProbeArgs, _DefaultArgs, _RequiredArgs, _CheckedArgs]


def test_a_schema_class_is_made_an_instance_once_not_per_request(monkeypatch):
    app, api = _probe_app()
    client = app.test_client()
    made = _calls_on(monkeypatch, Schema, "__init__")

    assert client.post("/body", json={"headline": "One"}).json == {"headline": "One"}
    assert client.post("/body", json={"headline": "Two"}).json == {"headline": "Two"}
    assert client.post("/body", json={}).status_code == 422
    assert _BodyArgs not in made
    # Documented as flask-smorest documents a class: one component, named after it.
    spec = api.spec.to_dict()
    body = spec["paths"]["/body"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/_BodyArgs"}
