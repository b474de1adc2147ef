"""flask-smorest ``Api`` that speaks RFC 9457 problem details, and documents them so."""

from __future__ import annotations

import http
from copy import deepcopy
from typing import Any

from apispec import APISpec, BasePlugin
from flask_smorest import Api

from cms.core.errors import PROBLEM_MEDIA_TYPE, ProblemSchema, problem_response

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
            for status, response in responses.items():
                if _is_error(status) and isinstance(response, dict):
                    response["content"] = problem_content(self.spec)


def _document(responses: dict, status: http.HTTPStatus) -> None:
    if not {status.value, str(status.value)} & responses.keys():
        responses[status.value] = status.name


def problem_content(spec: APISpec) -> dict[str, Any]:
    """Return the ``content`` of an error response: problem details, the problem schema."""
    return {PROBLEM_MEDIA_TYPE: {"schema": spec.components.get_ref("schema", PROBLEM_SCHEMA_NAME)}}


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
