"""A plain reference model of the authorization rules, written from roles.md alone.

It shares nothing with the engine but the catalog's data: no Casbin, no cache, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rbac.catalog import FIRM_ROLE_GRANTS, MATRIX, PERMISSIONS, Cell, FirmRole, ShopRole


@dataclass
class RefShop:
    wechat_bound: bool = False
    suspended: bool = False
    members: dict[str, str] = field(default_factory=dict)  # user -> role


@dataclass
class Reference:
    shops: dict[str, RefShop] = field(default_factory=dict)
    firm_roles: dict[str, str] = field(default_factory=dict)

    def allowed(self, perm: str, user: str, shop: str, client: str) -> bool:
        if perm not in PERMISSIONS:
            return False
        firm = self.firm_roles.get(user)
        if firm is not None and perm in FIRM_ROLE_GRANTS[FirmRole(firm)]:
            return True
        state = self.shops.get(shop)
        if state is None or state.suspended:
            return False
        role = state.members.get(user)
        if role is None:
            return False
        cell = MATRIX.get(perm, {}).get(ShopRole(role), Cell.DENIED)
        if cell is Cell.ALLOWED:
            return True
        if cell is Cell.WECHAT:
            return state.wechat_bound
        if cell is Cell.MOBILE:
            return client == "mobile"
        return False
