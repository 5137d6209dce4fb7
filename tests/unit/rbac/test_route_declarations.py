"""Deny by default: every route declares one permission from the catalog, or is public."""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from litestar import Litestar, get

from api.app import create_app
from api.auth.principal import Client
from api.auth.principal import UserPrincipal as Principal
from api.errors import ApiError
from api.guard import permission_guard
from api.routing import PERMISSION_KEY, PUBLIC_KEY, is_automatic_options, requires
from api.settings import load_settings
from rbac.catalog import ACCOUNT_SELF, PERMISSIONS

# Routes anyone may call. Anything else that is public is a mistake this test catches.
EXPECTED_PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
    # The invitee has no account (or is not signed in): the mailed token is the credential.
    ("POST", "/api/v1/invitations/accept"),
    # A public key is public: anyone holding a checkpoint may verify it.
    ("GET", "/api/v1/audit/checkpoint-key"),
}


def _app(**kwargs: object) -> Litestar:
    base = load_settings()
    settings = dataclasses.replace(
        base, data_dir=Path(tempfile.mkdtemp()),
        auth=dataclasses.replace(base.auth, signing_keys="t:" + "s" * 40),
        database=dataclasses.replace(base.database, url="postgresql://u@127.0.0.1:1/none"))
    return create_app(settings, **kwargs)  # type: ignore[arg-type]


def _handlers(app: Litestar):  # type: ignore[no-untyped-def]
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if is_automatic_options(handler):
                continue  # Litestar's automatic OPTIONS answer
            for method in handler.http_methods:
                yield method, route.path, handler


def _undeclared(app: Litestar) -> list[tuple[str, str]]:
    return [
        (method, path) for method, path, handler in _handlers(app)
        if not path.startswith("/schema")
        and not handler.opt.get(PUBLIC_KEY) and handler.opt.get(PERMISSION_KEY) is None
    ]


SHOP_PREFIX = "/api/v1/shops/{shop_id:uuid}"


def _account_self_under_a_shop(app: Litestar) -> list[tuple[str, str]]:
    # account:self admits anyone signed in: under a shop it would skip the membership check.
    return [(method, path) for method, path, handler in _handlers(app)
            if path.startswith(SHOP_PREFIX) and handler.opt.get(PERMISSION_KEY) == ACCOUNT_SELF]


def _account_self_route():  # type: ignore[no-untyped-def]
    @get("/_mine", **requires(ACCOUNT_SELF))
    async def mine() -> None:  # pragma: no cover - never called
        return None

    return mine


def test_every_route_declares_a_permission_or_is_public() -> None:
    assert _undeclared(_app()) == []


def test_declared_permissions_are_catalog_keys() -> None:
    for _, _, handler in _handlers(_app()):
        permission = handler.opt.get(PERMISSION_KEY)
        assert permission is None or permission in PERMISSIONS, (handler, permission)


def test_only_the_expected_routes_are_public() -> None:
    public = {(m, p) for m, p, h in _handlers(_app())
              if h.opt.get(PUBLIC_KEY) and not p.startswith("/schema")}
    assert public == EXPECTED_PUBLIC


def test_a_route_without_a_declaration_is_caught() -> None:
    @get("/_undeclared")
    async def undeclared() -> None:  # pragma: no cover - never called
        return None

    assert ("GET", "/api/v1/shops/{shop_id:uuid}/_undeclared") in _undeclared(
        _app(extra_shop_route_handlers=[undeclared]))


def test_requires_rejects_unknown_permission_keys() -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        requires("orders:teleport")


def test_openapi_shows_each_operations_permission() -> None:
    app = _app()
    schema = app.openapi_schema.to_schema()
    declared = {}
    for method, path, handler in _handlers(app):
        if path.startswith("/schema") or not handler.include_in_schema:
            continue
        declared[(method.lower(), path.replace(":uuid", ""))] = (
            "public" if handler.opt.get(PUBLIC_KEY) else handler.opt[PERMISSION_KEY])
    documented = {
        (method, path): operation.get("x-permission")
        for path, item in schema["paths"].items()
        for method, operation in item.items() if isinstance(operation, dict)
    }
    assert documented == declared


def test_no_shop_route_declares_account_self() -> None:
    assert _account_self_under_a_shop(_app()) == []


def test_a_shop_route_declaring_account_self_is_caught() -> None:
    app = _app(extra_shop_route_handlers=[_account_self_route()])
    assert _account_self_under_a_shop(app) == [("GET", f"{SHOP_PREFIX}/_mine")]


async def test_guard_refuses_account_self_under_a_shop() -> None:
    # No policy is consulted: the declaration itself is refused, for every caller.
    principal = Principal(user_id=str(uuid.uuid4()), client=Client.WEB, token_id="t",
                          issued_at=0, expires_at=0)
    connection = SimpleNamespace(
        scope={"method": "GET"}, path_params={"shop_id": uuid.uuid4()}, user=principal,
        app=SimpleNamespace(state=SimpleNamespace(authz=None)))
    with pytest.raises(ApiError) as refused:
        await permission_guard(connection, _account_self_route())  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (403, "permission.not_shop_scoped")
    assert refused.value.details == {"permission": ACCOUNT_SELF}
