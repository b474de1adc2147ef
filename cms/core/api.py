"""flask-smorest ``Api`` that speaks RFC 9457 problem details, and documents them so; and the
``Blueprint`` every API view is registered on."""

from __future__ import annotations

import http
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import flask_smorest
from apispec import APISpec, BasePlugin
from flask import Request
from flask.globals import request_ctx
from flask_smorest import Api
from marshmallow import Schema, missing
from marshmallow import fields as ma_fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from cms.core.errors import (
    PROBLEM_MEDIA_TYPE,
    ProblemSchema,
    UnknownQueryParameter,
    problem_response,
)

_View = TypeVar("_View", bound=Callable[..., Any])

#: Name of the problem schema in the OpenAPI documents' ``components.schemas``.
PROBLEM_SCHEMA_NAME = "Problem"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _is_error(status: int | str) -> bool:
    return str(status) == "default" or (str(status).isdigit() and int(status) >= 400)


class ProblemPlugin(BasePlugin):
    """Make every operation of an OpenAPI document say how it fails and who may call it.

    Every error response (4xx, 5xx and ``default``) is ``application/problem+json``
    with the one problem schema, whatever a view documented; an operation that
    declares no ``security`` gets the document's top-level one; a secured
    operation documents its 401, and one whose path names an object its 404.
    """

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs: Any) -> None:
        default_security = self.spec.options.get("security")
        for method, operation in (operations or {}).items():
            if method not in _HTTP_METHODS:
                continue
            if "security" not in operation and default_security is not None:
                operation["security"] = deepcopy(default_security)
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                _document(responses, http.HTTPStatus.UNAUTHORIZED)
            if "{" in (path or ""):  # a path naming something that may not exist
                _document(responses, http.HTTPStatus.NOT_FOUND)
            # Every operation refuses query parameters it does not declare.
            _document(responses, http.HTTPStatus.BAD_REQUEST)
            for status, response in responses.items():
                if _is_error(status) and isinstance(response, dict):
                    response["content"] = problem_content(self.spec)


def _document(responses: dict, status: http.HTTPStatus) -> None:
    if not {status.value, str(status.value)} & responses.keys():
        responses[status.value] = status.name


def problem_content(spec: APISpec) -> dict[str, Any]:
    """Return the ``content`` of an error response: problem details, the problem schema."""
    return {PROBLEM_MEDIA_TYPE: {"schema": spec.components.get_ref("schema", PROBLEM_SCHEMA_NAME)}}


class _QueryArguments(Mapping[str, Any]):
    """A request's query arguments, looked up without an exception for an absent one.

    werkzeug's ``MultiDict.get`` finds that a key is absent by building and
    catching an HTTP exception; webargs asks for every field of a schema, so a
    list with fifteen filters built fifteen exceptions when it was given none.
    """

    __slots__ = ("_arguments",)

    def __init__(self, arguments: MultiDict[str, str]) -> None:
        self._arguments = arguments

    def get(self, key: str, default: Any = None) -> Any:
        # Not MultiDict.get, which raises and catches for an absent key.
        return self._arguments[key] if key in self._arguments else default  # noqa: SIM401

    def getlist(self, key: str) -> list[str]:
        return self._arguments.getlist(key)

    def __getitem__(self, key: str) -> str:
        return self._arguments[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arguments)

    def __len__(self) -> int:
        return len(self._arguments)


class _Parser(FlaskParser):
    """webargs' Flask parser, reading query arguments through :class:`_QueryArguments`,
    and an empty query string as nothing when the schema has nothing to add to it."""

    def __init__(self) -> None:
        super().__init__()
        self._adds_nothing: weakref.WeakKeyDictionary[Schema, bool] = weakref.WeakKeyDictionary()

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        return self._makeproxy(_QueryArguments(req.args), schema)

    def parse(self, argmap: Any, req: Request | None = None, **kwargs: Any) -> Any:
        """webargs' ``parse``; an empty query string through a schema with no required
        field, no default and no hook loads as ``{}`` without loading it (a partner's
        revalidation, most reads)."""
        if (
            kwargs.get("location") == "query"
            and kwargs.get("validate") is None
            and isinstance(argmap, Schema)
            and not (req if req is not None else self.get_default_request()).args
            and self._adds_nothing_to_nothing(argmap)
        ):
            return {}
        return super().parse(argmap, req, **kwargs)

    def _adds_nothing_to_nothing(self, schema: Schema) -> bool:
        found = self._adds_nothing.get(schema)
        if found is None:
            found = self._adds_nothing[schema] = not any(schema._hooks.values()) and all(
                not field.required and field.load_default is missing
                for field in schema.load_fields.values()
            )
        return found


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's ``Blueprint``, whose decorators cost as little as they can per request.

    ``arguments`` loads through one schema instance, made when the view is declared.
    ``alt_response`` and ``doc`` only describe a view in the OpenAPI document,
    yet flask-smorest wraps the view once more for each: another call, a
    context-local lookup and a coroutine check on every request (a partner's
    article had eight such layers). Here they write the same description onto
    the view they are given and return it unwrapped.
    """

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``, with a schema class made an instance once, here.

        Given a class, webargs makes a new instance on every request, deep-copying each of
        its fields; marshmallow's schemas keep no state between loads, so one serves all.
        """
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def alt_response(self, *args: Any, **kwargs: Any) -> Callable[[_View], _View]:
        """Document another response the view may give (flask-smorest's arguments)."""
        return _describing(super().alt_response(*args, **kwargs))

    @staticmethod
    def doc(**kwargs: Any) -> Callable[[_View], _View]:
        """Add ``kwargs`` verbatim to the view's operation in the OpenAPI document."""
        return _describing(flask_smorest.Blueprint.doc(**kwargs))


def _describing(decorator: Callable[[Any], Any]) -> Callable[[_View], _View]:
    """Turn a flask-smorest decorator that only documents into one that adds no wrapper."""

    def describe(view: _View) -> _View:
        view._apidoc = decorator(view)._apidoc  # type: ignore[attr-defined]
        return view

    return describe


class ProblemApi(Api):
    """An ``Api`` whose every error response is ``application/problem+json``, and documented so.

    flask-smorest documents errors with its own ``Error`` schema as
    ``application/json``; here the error responses it registers (one per
    status, and ``default`` on every operation) and every error response a view
    documents use :class:`~cms.core.errors.ProblemSchema` as problem details.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        spec_kwargs = kwargs.pop("spec_kwargs", None) or {}
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), ProblemPlugin()]
        super().__init__(*args, spec_kwargs=spec_kwargs, **kwargs)

    def init_app(self, app, *, spec_kwargs=None):
        """Bind to ``app``; the first ``ProblemApi`` also installs the query-parameter check."""
        super().init_app(app, spec_kwargs=spec_kwargs)
        if QUERY_PARAMETERS not in app.extensions:
            table: dict[tuple[str, str], DeclaredQuery] = {}
            app.extensions[QUERY_PARAMETERS] = table
            app.before_request(partial(refuse_undeclared_query_parameters, table))

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register ``blp`` and record the query parameters each of its operations declares."""
        super().register_blueprint(blp, parameters=parameters, **options)
        table = self._app.extensions[QUERY_PARAMETERS]
        name = options.get("name", blp.name)
        for endpoint, docs in blp._docs.items():
            route_parameters = [*(parameters or ()), *(docs.get("parameters") or ())]
            for method, operation in docs.items():
                if method != "parameters":
                    table[(f"{name}.{endpoint}", method.upper())] = declared_query(
                        operation, route_parameters
                    )

    def _register_responses(self) -> None:
        """Register a response per status (problem details for errors) and ``default``."""
        self.spec.components.schema(PROBLEM_SCHEMA_NAME, schema=self.ERROR_SCHEMA)
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if _is_error(status.value):
                response["content"] = problem_content(self.spec)
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": "Any other error.", "content": problem_content(self.spec)},
            lazy=True,
        )

    def handle_http_exception(self, error):
        """Render any HTTP error (including 405's ``Allow``) as problem details."""
        return problem_response(error)


#: ``app.extensions`` key of the table (endpoint, method) → :class:`DeclaredQuery`.
QUERY_PARAMETERS = "cms.query_parameters"


@dataclass(frozen=True, slots=True)
class DeclaredQuery:
    """The query parameters one operation declares."""

    #: Every name it reads.
    names: frozenset[str]
    #: The names that may be given more than once (list arguments).
    repeatable: frozenset[str]


def declared_query(operation: Mapping[str, Any], route_parameters: Iterable[Any]) -> DeclaredQuery:
    """Return the query parameters of one operation as flask-smorest recorded its docs.

    They come from its ``@arguments`` schemas in the query, and from parameters
    documented by hand (``@doc(parameters=...)`` or on the route) ``in: query``.
    """
    names: set[str] = set()
    repeatable: set[str] = set()
    for argument in operation.get("arguments", {}).get("parameters", ()):
        if argument.get("in") != "query":
            continue
        schema = argument["schema"]
        if isinstance(schema, type):
            schema = schema()
        if not isinstance(schema, Schema):  # a raw OpenAPI schema: its properties
            names.update(schema.get("properties", {}))
            continue
        for field_name, field in schema.fields.items():
            if field.dump_only:
                continue
            name = field.data_key or field_name
            names.add(name)
            if _is_repeatable(field):
                repeatable.add(name)
    manual = operation.get("manual_doc", {}).get("parameters", ())
    for parameter in [*manual, *route_parameters]:
        if isinstance(parameter, Mapping) and parameter.get("in") == "query":
            names.add(parameter["name"])
    return DeclaredQuery(frozenset(names), frozenset(repeatable))


def _is_repeatable(field: ma_fields.Field) -> bool:
    """Whether webargs reads every value of ``field`` from a query string (its rule)."""
    is_multiple = getattr(field, "is_multiple", None)
    if is_multiple is not None:
        return bool(is_multiple)
    return isinstance(field, ma_fields.List | ma_fields.Tuple)


def refuse_undeclared_query_parameters(table: Mapping[tuple[str, str], DeclaredQuery]) -> None:
    """Refuse a query parameter the matched operation does not declare, or a repeated one.

    Runs before every request, with the app's ``table``; costs a dict lookup
    when there is a query string and next to nothing when there is none.
    Endpoints outside the APIs (``/healthz``, the API documents) are not
    checked. Raises :class:`UnknownQueryParameter`.
    """
    current = request_ctx.request  # one context lookup, not one per attribute
    args = current.args
    if not args:
        return
    method = "GET" if current.method == "HEAD" else current.method
    declared = table.get((current.endpoint or "", method))
    if declared is None:
        return
    errors: dict[str, list[str]] = {}
    for name, values in args.lists():
        if name not in declared.names:
            errors[name] = ["Unknown parameter."]
        elif len(values) > 1 and name not in declared.repeatable:
            errors[name] = ["Given more than once; give it once."]
    if errors:
        listed = ", ".join(sorted(errors))
        expected = ", ".join(sorted(declared.names)) or "none"
        raise UnknownQueryParameter(
            f"Unknown or repeated query parameters: {listed}. This operation takes: {expected}.",
            errors={"query": errors},
        )
