"""What every service's OpenAPI document says besides each route's own success answer.

FastAPI documents a route's 2xx answer and a 422 in its own shape; every error a service
actually sends is `{code, message, rule}` (`contracts.errors.ErrorBody`). After FastAPI has
built the document, each operation gets the error answers that can apply to it, the
`Idempotency-Key` header on every command, and the way it is authenticated:

- 401 and 403: the route needs an access token (the kit's caller dependency) or, 403, the
  operator token;
- 404: a path naming something (another account's answers the same as a missing one);
- 409, 413 and 429: a command (409: a rule refused it or an Idempotency-Key was reused;
  413: a body past the limit; 429: a limit on how often it may be done);
- 422: any input to validate (every command reads its Idempotency-Key).

Every error answer a route already documents gets the same body: FastAPI's own 422 schema
(`HTTPValidationError`) is replaced, since the services never send it.

A route's own `responses=` win: a service describes its 404 or 429 more exactly there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from contracts.errors import ErrorBody
from servicekit.http.idempotency import MAX_KEY_LENGTH

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
COMMAND_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERRORS = {
    "401": "Unauthenticated (`unauthenticated`): no access token, or one that is malformed, expired, "
    "signed with another key, longer-lived than allowed, or of a session that signed out.",
    "403": "Forbidden: the caller may not do this (for operator routes: no or a wrong `X-Operator-Token`).",
    "404": "Not found: nothing with this id is visible to the caller. Another account's resources "
    "answer the same as ones that do not exist.",
    "409": "Conflict: a business rule refused the command (`rule` names it), or the Idempotency-Key "
    "was used before with a different request (`idempotency_key_reused`).",
    "413": "Request too large (`request_too_large`): the body is past the service's limit "
    "(`MAX_REQUEST_BYTES`, 1 MB; uploads `MAX_UPLOAD_BYTES`).",
    "422": "Invalid (`invalid_request` or a rule's code): the input does not validate; nothing was done.",
    "429": "Too many requests: a limit on how often this may be done was reached; `Retry-After` "
    "says how many seconds to wait.",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Makes a retry safe: the same key with the same request (method, path, query, body, "
    "uploaded files, session) answers the first answer again (`Idempotent-Replayed: true`) "
    "and does nothing twice; with a different request it is refused 409. At most "
    f"{MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID. Keys are per person, or per "
    "client address when no token is sent.",
}
SECURITY_SCHEMES = {
    "accessToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from identity's `POST /tokens`.",
    },
    "operatorToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Operator-Token",
        "description": "The service's `OPERATOR_TOKEN`.",
    },
}


def document_errors(app: FastAPI) -> None:
    """Have `app.openapi()` describe error answers, idempotency keys and authentication."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()  # FastAPI keeps it as app.openapi_schema and returns that same dict
            annotate(spec, app)
            return spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def annotate(spec: dict[str, Any], app: FastAPI) -> None:
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for route in app.routes:
        if not (isinstance(route, APIRoute) and route.include_in_schema):
            continue
        access = set(_access(route.dependant))
        for method in route.methods:
            operation = spec["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _annotate_operation(operation, route, method, access)


def _annotate_operation(operation: dict, route: APIRoute, method: str, access: set[str]) -> None:
    command = method in COMMAND_METHODS
    statuses = set()
    if "caller" in access:
        statuses |= {"401", "403"}
        operation["security"] = [{"accessToken": []}]
    if "operator" in access:
        statuses.add("403")
        operation["security"] = [{"operatorToken": []}]
    if "{" in route.path_format:
        statuses.add("404")
    if command:
        statuses |= {"409", "413", "422", "429"}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add("422")
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses | {s for s in responses if s[0] in "45"}):
        documented = responses.setdefault(status, {"description": ERRORS.get(status, "Refused.")})
        if _is_fastapis_validation_error(documented):  # not what the services send
            documented.update(description=ERRORS["422"], content={})
        documented.setdefault("content", {})
        documented["content"].setdefault("application/json", {"schema": ERROR_REF})
    if command and not route.path_format.startswith("/ops"):
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in parameters):
            parameters.append(dict(IDEMPOTENCY_KEY))


def _is_fastapis_validation_error(documented: dict) -> bool:
    schema = documented.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def _access(dependant: Dependant) -> Iterator[str]:
    """How the route is guarded, from the kit's dependencies anywhere in its tree."""
    for dependency in dependant.dependencies:
        if (access := getattr(dependency.call, "entitle_access", None)) is not None:
            yield access
        yield from _access(dependency)
