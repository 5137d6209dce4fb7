"""How a route declares what it needs: ``@get(..., **requires("staff:read"))``.

``requires`` puts the permission in the handler's ``opt`` (read by the guard) and on the
OpenAPI operation as ``x-permission``, from one declaration, so the document cannot drift
from what is enforced. ``public`` marks the few routes anyone may call.

``document_responses`` (run once at start-up) then gives every operation the error
responses the server really sends, all in the one error shape, from what the operation is:
public or guarded, under a path with ids, taking a body, writing. A route adds a status
only it can give with ``requires(..., errors=(429,))``. New routes get all of this by
declaring their permission, as they must anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Operation, Reference
from litestar.openapi.spec import Schema as OpenAPISchema

from api.openapi import decoded_structs, document_request_structs, name_components_by_title
from rbac.catalog import PERMISSIONS

__all__ = [
    "PERMISSION_KEY",
    "PUBLIC",
    "PUBLIC_KEY",
    "document_responses",
    "is_automatic_options",
    "public",
    "requires",
    "route_permission",
]

PUBLIC = "public"
# Where a route's declaration lives in its handler's ``opt``.
PERMISSION_KEY = "permission"
PUBLIC_KEY = "public"


def route_permission(handler: BaseRouteHandler) -> str | None:
    """The one permission ``handler`` declared, if any."""
    return handler.opt.get(PERMISSION_KEY)


def is_automatic_options(handler: object) -> bool:
    """Whether ``handler`` is Litestar's own OPTIONS answer (the Allow header; no data)."""
    return (getattr(handler, "handler_name", "") == "options_handler"
            and getattr(handler, "http_methods", None) == {"OPTIONS"})


# Statuses an operation declares beyond the ones its kind implies (by operation class).
_EXTRA_ERRORS: dict[type[Operation], tuple[int, ...]] = {}


@cache
def _operation_class(permission: str, errors: tuple[int, ...] = ()) -> type[Operation]:
    @dataclass
    class PermissionOperation(Operation):
        x_permission: str = field(default=permission, metadata={"alias": "x-permission"})

    PermissionOperation.__name__ = f"Operation[{permission}]"
    _EXTRA_ERRORS[PermissionOperation] = errors
    return PermissionOperation


def requires(permission: str, *, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """Route keyword arguments declaring the one permission the route needs (and, for the
    document, error statuses only this route gives, e.g. 429)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission key {permission!r}: add it to rbac.catalog first")
    return {"opt": {PERMISSION_KEY: permission},
            "operation_class": _operation_class(permission, tuple(sorted(errors)))}


def public(*, errors: tuple[int, ...] = ()) -> dict[str, Any]:
    """Route keyword arguments for a route that needs no sign-in."""
    return {"opt": {PUBLIC_KEY: True},
            "operation_class": _operation_class(PUBLIC, tuple(sorted(errors))), "security": []}


# -- the document ---------------------------------------------------------------------------

ERROR_SCHEMA = "Error"
_ERROR_DESCRIPTIONS = {
    400: "Malformed request: bad JSON, NUL characters, invalid UTF-8, nesting or numbers out "
         "of bounds, an invalid cursor.",
    401: "No valid access token or integration key, or the session was signed out.",
    403: "The caller's role or scope lacks the permission named in `details.permission`, or a "
         "rule forbids the change.",
    404: "The shop or an object named by the request does not exist, or the caller has no "
         "place in that shop.",
    409: "The change conflicts with the current state or with existing data.",
    413: "The body is larger than the server accepts.",
    415: "The body is not `application/json`.",
    422: "Missing, unknown or wrongly typed fields or parameters, or a rule about values.",
    429: "Too many requests or attempts; `Retry-After` says when to try again.",
    503: "The database is unavailable for the moment; `Retry-After` says when to try again.",
}
_WRITES = frozenset({"post", "put", "patch", "delete"})


def _error_component() -> OpenAPISchema:
    return OpenAPISchema(
        type="object",  # type: ignore[arg-type]
        required=["code", "message", "details", "request_id"],
        properties={
            "code": OpenAPISchema(type="string", description="Stable, e.g. `shop.not_found`."),  # type: ignore[arg-type]
            "message": OpenAPISchema(type="string"),  # type: ignore[arg-type]
            "details": OpenAPISchema(type="object"),  # type: ignore[arg-type]
            "request_id": OpenAPISchema(type="string"),  # type: ignore[arg-type]
        },
        description="The one error shape of every refusal.",
    )


def _statuses(method: str, path: str, operation: Operation) -> set[int]:
    public_route = getattr(operation, "x_permission", None) == PUBLIC
    # Every operation can meet malformed input, a rate limit and a database that is away.
    statuses = {400, 429, 503}
    if operation.parameters or operation.request_body is not None:
        statuses.add(422)
    if not public_route:
        statuses |= {401, 403}
    statuses.add(404)  # the shop or an object named in the path, the body or the query
    if method in _WRITES and not public_route:
        statuses.add(409)
    if operation.request_body is not None:
        statuses |= {413, 415}
    statuses.update(_EXTRA_ERRORS.get(type(operation), ()))
    return statuses


def _streamed_media_types(app: Any) -> dict[tuple[str, str], str]:
    """(path, method) → the media type of operations that answer something else than JSON
    while Litestar documents JSON: a handler declaring another media type, or a stream (the
    API's streams are server-sent events)."""
    from litestar.response import Stream

    found: dict[tuple[str, str], str] = {}
    for route in getattr(app, "routes", ()):
        for handler in getattr(route, "route_handlers", ()):
            returns = getattr(getattr(handler, "parsed_fn_signature", None), "return_type", None)
            annotation = getattr(returns, "annotation", None)
            declared = getattr(handler, "media_type", None)
            declared = str(getattr(declared, "value", declared) or "application/json")
            if declared.startswith("application/json") and not (
                    isinstance(annotation, type) and issubclass(annotation, Stream)):
                continue
            media_type = declared if not declared.startswith("application/json") \
                else "text/event-stream"
            for method in getattr(handler, "http_methods", ()):
                found[(route.path_format, method.lower())] = media_type
    return found


def document_errors(openapi: OpenAPI, media_types: dict[tuple[str, str], str] | None = None
                    ) -> None:
    """Give every operation of ``openapi`` its error responses, in the one error shape."""
    components = openapi.components
    components.schemas = {**(components.schemas or {}), ERROR_SCHEMA: _error_component()}
    body = {"application/json": OpenAPIMediaType(
        schema=Reference(ref=f"#/components/schemas/{ERROR_SCHEMA}"))}
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = {code: response for code, response in (operation.responses or {}).items()
                         if not (code.isdigit() and int(code) >= 400)}  # Litestar's own 400
            for status in sorted(_statuses(method, path, operation)):
                responses[str(status)] = OpenAPIResponse(
                    description=_ERROR_DESCRIPTIONS[status], content=body)
            streamed = (media_types or {}).get((path, method))
            for code, response in responses.items():
                if streamed and code.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.content = {streamed: OpenAPIMediaType(
                        schema=OpenAPISchema(type="string"))}  # type: ignore[arg-type]
            operation.responses = responses
            if getattr(operation, "x_permission", None) == PUBLIC:
                operation.security = []  # anonymous: no token needed (the empty list overrides)


def document_responses(app: Any) -> None:
    """Start-up hook: complete the app's OpenAPI document once, before it is served.

    A route whose schema cannot be generated must not stop the API from serving: logged,
    and ``/schema`` answers the generator's error as it would have anyway.
    """
    if app.openapi_config is None:
        return
    try:
        openapi = app.openapi_schema
        document_errors(openapi, _streamed_media_types(app))
        name_components_by_title(openapi)
        document_request_structs(openapi, decoded_structs(app))
    except Exception:
        logging.getLogger(__name__).exception("could not build the OpenAPI document")
