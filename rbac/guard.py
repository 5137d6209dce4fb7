"""The one guard: it reads the permission a route declares and asks the policy engine.

Routes declare ``opt={"permission": "<key>"}`` (or ``opt={"public": True}``). For a route
under ``/shops/{shop_id}`` the decision is for that shop; otherwise for the firm domain.
A route that declares nothing is refused: deny by default, and so is a route under a shop
that declares ``account:self`` (which admits anyone signed in).

Refusals, in the order a caller meets them:
- the shop does not exist, or the caller is not (or no longer) a member: 404, so that
  nobody learns another shop's objects exist;
- the shop is suspended; a verifier on the web client; a WeChat-only permission in a shop
  without WeChat; a missing permission: 403 naming the permission.
Every refusal is written to the audit log: into the shop's chain, except those of callers
with no place in the shop (unknown shop, not a member), which go to the firm's chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.auth.principal import Principal
from api.errors import ApiError
from rbac.catalog import ACCOUNT_SELF
from rbac.decision import Decision, Reason
from rbac.engine import FIRM_DOMAIN
from rbac.runtime import AuthzRuntime

__all__ = [
    "PERMISSION_KEY",
    "PUBLIC_KEY",
    "SCOPE_STATE_KEY",
    "ShopScope",
    "check_session",
    "is_automatic_options",
    "permission_guard",
    "route_permission",
]

PERMISSION_KEY = "permission"
PUBLIC_KEY = "public"
SCOPE_STATE_KEY = "shop_scope"


@dataclass(frozen=True, slots=True)
class ShopScope:
    """Proof that the guard let this caller into this shop. Only the guard creates one."""

    shop_id: UUID
    principal: Principal
    decision: Decision


def route_permission(handler: BaseRouteHandler) -> str | None:
    return handler.opt.get(PERMISSION_KEY)


_REFUSALS: dict[Reason, tuple[int, str, str]] = {
    Reason.UNKNOWN_SHOP: (404, "shop.not_found", "Shop not found."),
    Reason.NOT_MEMBER: (404, "shop.not_found", "Shop not found."),
    Reason.SHOP_SUSPENDED: (403, "shop.suspended", "This shop is suspended."),
    Reason.WEB_CLIENT_FOR_VERIFIER: (
        403, "client.mobile_only", "Verifiers work from the mobile client only."),
    Reason.MOBILE_ONLY: (403, "client.mobile_only", "This permission is for the mobile client only."),
    Reason.WECHAT_NOT_BOUND: (
        403, "permission.wechat_not_bound",
        "This needs the shop to have a bound, certified WeChat service account."),
    Reason.PERMISSION_MISSING: (403, "permission.denied", "Your role lacks this permission."),
    Reason.UNKNOWN_PERMISSION: (403, "permission.unknown", "Unknown permission."),
}


def check_session(runtime: AuthzRuntime, principal: Principal) -> None:
    """Refuse a disabled account, or a token issued before "log out everywhere"."""
    assert runtime.policy is not None
    state = runtime.policy.users.get(principal.user_id)
    if state is None:
        return
    if not state.is_active:
        raise ApiError(401, "auth.account_disabled", "This account is disabled.")
    if state.sessions_valid_after and principal.issued_at < state.sessions_valid_after.timestamp():
        raise ApiError(401, "auth.session_revoked", "This session was signed out. Sign in again.")


def is_automatic_options(handler: object) -> bool:
    """Whether ``handler`` is Litestar's own OPTIONS answer (the Allow header; no data)."""
    return (getattr(handler, "handler_name", "") == "options_handler"
            and getattr(handler, "http_methods", None) == {"OPTIONS"})


# Refusals of strangers go to the firm's chain: a shop's chain records what its own staff
# (and the firm's roles) tried, and nobody outside can flood it.
_FIRM_CHAIN_REASONS = frozenset({Reason.UNKNOWN_SHOP, Reason.NOT_MEMBER})


async def permission_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get(PUBLIC_KEY) or (
            connection.scope.get("method") == "OPTIONS" and is_automatic_options(handler)):
        return
    permission = route_permission(handler)
    if permission is None:
        raise ApiError(403, "permission.undeclared", "This route declares no permission.")
    shop_id: UUID | None = connection.path_params.get("shop_id")
    if permission == ACCOUNT_SELF and shop_id is not None:
        # account:self admits every signed-in caller; under a shop it would skip membership.
        raise ApiError(403, "permission.not_shop_scoped",
                       "This route's permission cannot be used under a shop.",
                       {"permission": permission})
    principal: Principal = connection.user
    runtime: AuthzRuntime = connection.app.state.authz
    check_session(runtime, principal)
    if permission == ACCOUNT_SELF:
        return
    domain = str(shop_id) if shop_id is not None else FIRM_DOMAIN
    assert runtime.policy is not None
    decision = runtime.policy.decide(permission, principal.user_id, domain, principal.client)
    if decision.allowed:
        if shop_id is not None:
            connection.scope.setdefault("state", {})[SCOPE_STATE_KEY] = ShopScope(
                shop_id, principal, decision)
        return
    status, code, message = _REFUSALS[decision.reason]
    from api.domain.audit.denials import record_denial  # the audit feature owns the write

    details = {"permission": permission, "reason": decision.reason.value, "role": decision.role}
    if decision.reason in _FIRM_CHAIN_REASONS:
        await record_denial(connection, None, {**details, "shop_id": str(shop_id)}, principal)
    else:
        await record_denial(connection, shop_id, details, principal)
    raise ApiError(status, code, message, {"permission": permission} if status == 403 else {})
