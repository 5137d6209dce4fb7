"""How a route declares what it needs: ``@get(..., **requires("staff:read"))``.

``requires`` puts the permission in the handler's ``opt`` (read by the guard) and on the
OpenAPI operation as ``x-permission``, from one declaration, so the document cannot drift
from what is enforced. ``public`` marks the few routes anyone may call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from litestar.openapi.spec import Operation

from rbac.catalog import PERMISSIONS
from rbac.guard import PERMISSION_KEY, PUBLIC_KEY

__all__ = ["PUBLIC", "public", "requires"]

PUBLIC = "public"


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
