"""The one guard: it reads the permission a route declares and asks the policy engine.

Routes declare ``**requires("<key>")`` (or ``**public()``), see ``api.routing``. For a route
under ``/shops/{shop_id}`` the decision is for that shop; otherwise for the firm domain.
A route that declares nothing is refused: deny by default, and so is a route under a shop
that declares ``account:self`` (which admits anyone signed in).

Two kinds of caller meet the same guard and the same audit path:
- a staff user: Casbin decides (``rbac``), per request, from the current policy;
- a shop's integration key: it acts in its own shop only, and only on routes declaring one
  of the scopes it holds.

Refusals, in the order a caller meets them:
- the shop does not exist, or the caller is not (or no longer) a member, or is another
  shop's key: 404, so that nobody learns another shop's objects exist;
- the shop is suspended; a verifier on the web client; a WeChat-only permission in a shop
  without WeChat; a missing permission or scope: 403 naming the permission.
Every refusal is written to the audit log: into the shop's chain, except those of callers
with no place in the shop (unknown shop, not a member, another shop's key), which go to the
firm's chain.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.auth.principal import IntegrationKeyPrincipal, Principal, UserPrincipal
from api.domain.audit.denials import record_denial
from api.errors import ApiError
from api.routing import PUBLIC_KEY, is_automatic_options, route_permission
from rbac.catalog import ACCOUNT_SELF, INTEGRATION_SCOPES
from rbac.decision import Decision, Reason
from rbac.engine import FIRM_DOMAIN
from rbac.runtime import AuthzRuntime

__all__ = ["SCOPE_STATE_KEY", "ShopScope", "check_session", "may", "permission_guard"]

SCOPE_STATE_KEY = "shop_scope"


class ShopScope:
    """Proof that the guard let this caller into this shop. Only the guard creates one.

    A plain class rather than a dataclass: dependency types are inspected by Litestar's
    signature models, which cannot describe a union of two dataclasses (the principal).
    """

    __slots__ = ("decision", "principal", "shop_id")

    def __init__(self, shop_id: UUID, principal: Principal, decision: Decision) -> None:
        self.shop_id = shop_id
        self.principal = principal
        self.decision = decision

    def __repr__(self) -> str:
        return f"ShopScope(shop_id={self.shop_id!s}, principal={self.principal!r})"

    @property
    def user_id(self) -> UUID | None:
        """The staff member acting, or ``None`` for an integration key."""
        p = self.principal
        return UUID(p.user_id) if isinstance(p, UserPrincipal) else None


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
# Refusals of strangers go to the firm's chain: a shop's chain records what its own staff
# (and the firm's roles) tried, and nobody outside can flood it.
_FIRM_CHAIN_REASONS = frozenset({Reason.UNKNOWN_SHOP, Reason.NOT_MEMBER})
_KEY_ALLOWED = Decision(True, Reason.ALLOWED, via="integration_key")


def check_session(runtime: AuthzRuntime, principal: Principal) -> None:
    """Refuse a disabled account, a token issued before "log out everywhere", or one of a
    session that was signed out (logout, or a reused refresh token revoked its family)."""
    if not isinstance(principal, UserPrincipal):
        return
    assert runtime.policy is not None
    state = runtime.policy.users.get(principal.user_id)
    if state is None:
        return
    if not state.is_active:
        raise ApiError(401, "auth.account_disabled", "This account is disabled.")
    if (state.sessions_valid_after and principal.issued_at < state.sessions_valid_after.timestamp()
            or principal.session_id is not None and principal.session_id in state.revoked_sessions):
        raise ApiError(401, "auth.session_revoked", "This session was signed out. Sign in again.")


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
    if isinstance(principal, IntegrationKeyPrincipal):
        await _admit_key(connection, runtime, principal, permission, shop_id)
        return
    check_session(runtime, principal)
    if permission == ACCOUNT_SELF:
        return
    domain = str(shop_id) if shop_id is not None else FIRM_DOMAIN
    assert runtime.policy is not None
    decision = runtime.policy.decide(permission, principal.user_id, domain, principal.client)
    if decision.allowed:
        if shop_id is not None:
            _admit(connection, ShopScope(shop_id, principal, decision))
        return
    status, code, message = _REFUSALS[decision.reason]
    details = {"permission": permission, "reason": decision.reason.value, "role": decision.role}
    if decision.reason in _FIRM_CHAIN_REASONS:
        await record_denial(connection, None, {**details, "shop_id": str(shop_id)}, principal)
    else:
        await record_denial(connection, shop_id, details, principal)
    raise ApiError(status, code, message, {"permission": permission} if status == 403 else {})


def may(connection: ASGIConnection, scope: ShopScope) -> Callable[[str], bool]:
    """Whether the admitted caller also holds another permission in the same shop.

    For data a route shows only in part (the route's own permission let the caller in): the
    same Casbin decision as the guard's, roles looked up now, never from the token. A key
    holds exactly its scopes.
    """
    principal = scope.principal
    if isinstance(principal, IntegrationKeyPrincipal):
        return lambda permission: permission in principal.scopes
    runtime: AuthzRuntime = connection.app.state.authz
    assert runtime.policy is not None
    policy, shop = runtime.policy, str(scope.shop_id)
    return lambda permission: policy.decide(permission, principal.user_id, shop,
                                            principal.client).allowed


def _admit(connection: ASGIConnection, scope: ShopScope) -> None:
    connection.scope.setdefault("state", {})[SCOPE_STATE_KEY] = scope


async def _admit_key(connection: ASGIConnection, runtime: AuthzRuntime,
                     key: IntegrationKeyPrincipal, permission: str, shop_id: UUID | None) -> None:
    """A key acts in its own shop, on routes declaring a scope it holds, and nowhere else."""
    assert runtime.policy is not None
    shop = runtime.policy.shops.get(str(shop_id)) if shop_id is not None else None
    details = {"permission": permission, "key_prefix": key.prefix}
    if shop_id is None or shop is None or key.shop_id != shop_id:
        await record_denial(connection, None, {**details, "reason": "key_of_another_shop",
                                               "shop_id": str(shop_id)}, key)
        if shop_id is None:
            raise ApiError(403, "integration.shop_routes_only",
                           "Integration keys act inside their own shop only.",
                           {"permission": permission})
        raise ApiError(404, "shop.not_found", "Shop not found.")
    refusal: tuple[str, str] | None = None
    if shop.status != "active":
        refusal = ("shop.suspended", "This shop is suspended.")
    elif permission not in INTEGRATION_SCOPES:
        refusal = ("integration.staff_only",
                   "This operation is for the shop's staff, not for integration keys.")
    elif permission not in key.scopes:
        refusal = ("integration.scope_missing", "This integration key lacks the scope.")
    if refusal is not None:
        await record_denial(connection, shop_id, {**details, "reason": refusal[0]}, key)
        raise ApiError(403, refusal[0], refusal[1], {"permission": permission})
    _admit(connection, ShopScope(shop_id, key, _KEY_ALLOWED))
