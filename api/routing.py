"""How a route declares what it needs: ``@get(..., **requires("staff:read"))``.

``requires`` puts the permission in the handler's ``opt`` (read by the guard) and on the
OpenAPI operation as ``x-permission``, from one declaration, so the document cannot drift
from what is enforced. ``public`` marks the few routes anyone may call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Operation

from rbac.catalog import PERMISSIONS

__all__ = [
    "PERMISSION_KEY",
    "PUBLIC",
    "PUBLIC_KEY",
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


@cache
def _operation_class(permission: str) -> type[Operation]:
    @dataclass
    class PermissionOperation(Operation):
        x_permission: str = field(default=permission, metadata={"alias": "x-permission"})

    PermissionOperation.__name__ = f"Operation[{permission}]"
    return PermissionOperation


def requires(permission: str) -> dict[str, Any]:
    """Route keyword arguments declaring the one permission the route needs."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission key {permission!r}: add it to rbac.catalog first")
    return {"opt": {PERMISSION_KEY: permission}, "operation_class": _operation_class(permission)}


def public() -> dict[str, Any]:
    """Route keyword arguments for a route that needs no sign-in."""
    return {"opt": {PUBLIC_KEY: True}, "operation_class": _operation_class(PUBLIC),
            "security": []}
