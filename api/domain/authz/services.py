"""The auditors' view of authorization: read from the live policy engine, never from a copy.

Everything here describes what the guard enforces right now: the matrix and the export are
built from the engine's stored ``p`` lines and groupings, and an explanation is a fresh,
uncached Casbin evaluation with the same inputs the guard would use.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.authz.schemas import (
    CasbinRequest,
    ExplainRequest,
    Explanation,
    MatrixRow,
    MemberRole,
    PolicyExport,
    RequestField,
    RoleMatrix,
    RouteEntry,
)
from api.domain.members.enums import MemberStatus
from api.domain.shops.enums import ShopStatus
from api.errors import ApiError
from api.routing import PERMISSION_KEY, PUBLIC_KEY, is_automatic_options
from rbac.catalog import FIRM_PERMISSIONS, MATRIX, SHOP_ROLES, Cell, FirmRole
from rbac.decision import Reason
from rbac.engine import FIRM_DOMAIN, MODEL_PATH, PolicyEngine
from rbac.policy_store import ShopState
from rbac.runtime import AuthzRuntime

__all__ = ["casbin_request", "explain", "export_policy", "role_matrix", "route_map"]

_CELL_OF_COND = {"always": Cell.ALLOWED, "wechat": Cell.WECHAT, "mobile": Cell.MOBILE}
_FIRM_ROLES = [role.value for role in FirmRole]
_ROLE_ORDER = {role.value: rank for rank, role in enumerate([*SHOP_ROLES, *FirmRole])}


def _policy(runtime: AuthzRuntime) -> PolicyEngine:
    assert runtime.policy is not None  # the lifespan builds it before serving
    return runtime.policy


def _shop_state(policy: PolicyEngine, shop_id: uuid.UUID) -> ShopState:
    state = policy.shops.get(str(shop_id))
    if state is None:  # the guard admitted the caller, so only a deletion race gets here
        raise ApiError.not_found("shop")
    return state


def _wechat(state: ShopState) -> str:
    return "bound" if state.wechat_bound else "unbound"


async def _active_members(session: AsyncSession, shop_id: uuid.UUID) -> list[MemberRole]:
    rows = await session.execute(text(
        "SELECT m.user_id, u.email, m.role FROM shop_members m JOIN users u ON u.id = m.user_id "
        "WHERE m.shop_id = :shop_id AND m.status = :status"),
        {"shop_id": shop_id, "status": MemberStatus.ACTIVE.value})
    members = [MemberRole(user_id=r.user_id, email=r.email, role=r.role) for r in rows]
    return sorted(members, key=lambda m: (_ROLE_ORDER.get(m.role, 99), m.email))


async def role_matrix(session: AsyncSession, runtime: AuthzRuntime,
                      shop_id: uuid.UUID) -> RoleMatrix:
    """Every permission's cell per shop role, as enforced, and who holds which role here."""
    policy = _policy(runtime)
    granted: dict[str, dict[str, str]] = {}
    for line in policy.lines:
        granted.setdefault(line.perm, {})[line.role] = line.cond
    keys = [*MATRIX, *sorted(FIRM_PERMISSIONS)]
    keys += sorted(set(granted) - set(keys))  # a stored line the catalog lacks still shows
    rows = []
    for perm in keys:
        by_role = granted.get(perm, {})
        rows.append(MatrixRow(
            permission=perm,
            cells={role.value: _CELL_OF_COND.get(by_role.get(role.value, ""), Cell.DENIED).value
                   for role in SHOP_ROLES},
            firm_roles=[role for role in _FIRM_ROLES if role in by_role],
        ))
    state = _shop_state(policy, shop_id)
    return RoleMatrix(
        shop_id=shop_id, shop_roles=[role.value for role in SHOP_ROLES], firm_roles=_FIRM_ROLES,
        permissions=rows, members=await _active_members(session, shop_id),
        wechat=_wechat(state), status=state.status,
    )


def _route_permission(opt: dict[str, object]) -> str | None:
    if opt.get(PUBLIC_KEY):
        return "public"
    permission = opt.get(PERMISSION_KEY)
    return str(permission) if permission is not None else None


def route_map(app: Litestar) -> list[RouteEntry]:
    """Method, path and permission of every HTTP route the app serves."""
    entries = [
        RouteEntry(method=method, path=route.path, permission=_route_permission(handler.opt))
        for route in app.routes if isinstance(route, HTTPRoute)
        for handler in route.route_handlers if not is_automatic_options(handler)
        for method in sorted(handler.http_methods)
    ]
    return sorted(entries, key=lambda e: (e.path, e.method))


def _p_line(fields: Iterable[str]) -> str:
    return ", ".join(["p", *fields])


def casbin_request(policy: PolicyEngine, state: ShopState, permission: str, user_id: uuid.UUID,
                   client: str) -> CasbinRequest:
    """The tuple ``PolicyEngine.evaluate`` hands Casbin for this shop."""
    return CasbinRequest(perm=permission, sub=str(user_id), dom=state.shop_id, client=client,
                         wechat=_wechat(state), status=state.status)


def explain(runtime: AuthzRuntime, shop_id: uuid.UUID, data: ExplainRequest) -> Explanation:
    """Decide afresh (real Casbin, no cache) and say why."""
    policy = _policy(runtime)
    state = _shop_state(policy, shop_id)
    user = str(data.user_id)
    decision = policy.evaluate(data.permission, user, str(shop_id), data.client)
    member_role = policy.members.get(str(shop_id), {}).get(user)
    # Only this shop's standing is explained: a firm role is named when it is what granted
    # the permission here, and a stranger is a stranger whatever else they are elsewhere.
    via_firm = decision.allowed and decision.via == "firm"
    firm_user = policy.users.get(user) if via_firm else None
    reason = decision.reason.value
    if member_role is None and not decision.allowed:
        reason = Reason.NOT_MEMBER.value
    return Explanation(
        allowed=decision.allowed, reason=reason, permission=data.permission,
        user_id=data.user_id, client=data.client,
        granted_by_role=decision.role if decision.allowed else None,
        rule=_p_line(decision.rule) if decision.allowed and decision.rule else None,
        via=decision.via if decision.allowed else None,  # type: ignore[arg-type]
        member_role=member_role,
        firm_role=firm_user.platform_role if firm_user else None,
        request=casbin_request(policy, state, data.permission, data.user_id, data.client),
    )


def _request_fields(state: ShopState) -> list[RequestField]:
    return [
        RequestField("perm", "The permission key the route declares (GET /authz/routes).",
                     None, None),
        RequestField("sub", "The caller's user id, from the verified access token.", None, None),
        RequestField("dom", f"The shop id in the path; {FIRM_DOMAIN!r} for firm-level routes.",
                     None, state.shop_id),
        RequestField("client", "The client the access token was issued to at sign-in. "
                     "p lines with cond 'mobile' match only 'mobile'.", ["web", "mobile"], None),
        RequestField("wechat", "'bound' while the shop has a bound, certified WeChat service "
                     "account, else 'unbound'. p lines with cond 'wechat' match only 'bound'.",
                     ["bound", "unbound"], _wechat(state)),
        RequestField("status", "The shop's status. Shop roles match only while 'active'; "
                     "firm roles (domain '*') match in any status.",
                     [s.value for s in ShopStatus], state.status),
    ]


async def export_policy(session: AsyncSession, runtime: AuthzRuntime, shop_id: uuid.UUID,
                        ctx: AuditContext) -> PolicyExport:
    """The model and every policy line deciding this shop, loadable by any Casbin."""
    policy = _policy(runtime)
    state = _shop_state(policy, shop_id)
    p_lines = sorted(_p_line((line.perm, line.role, line.cond)) for line in policy.lines)
    members = policy.members.get(state.shop_id, {})
    g_lines = sorted(f"g, {user}, {role}, {state.shop_id}" for user, role in members.items())
    firm_lines = sorted(f"g, {u.user_id}, {u.platform_role}, {FIRM_DOMAIN}"
                        for u in policy.users.values() if u.platform_role)
    csv = "\n".join([*p_lines, *g_lines, *firm_lines]) + "\n"
    await audit.record(session, ctx, shop_id=shop_id, action="policy.exported",
                       target=str(shop_id),
                       details={"policy_version": runtime.version, "p_lines": len(p_lines),
                                "members": len(g_lines), "firm_users": len(firm_lines)})
    return PolicyExport(shop_id=shop_id, policy_version=runtime.version,
                        model=MODEL_PATH.read_text(encoding="utf-8"), policy_csv=csv,
                        request_fields=_request_fields(state))

