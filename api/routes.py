"""Which controllers the API serves: firm-level ones, and those under ``/shops/{shop_id}``."""

from __future__ import annotations

from typing import Any

__all__ = ["firm_route_handlers", "shop_route_handlers"]


def firm_route_handlers() -> list[Any]:
    from api.domain.audit.controllers import FirmAuditController
    from api.domain.auth.controllers import AuthController
    from api.domain.shops.controllers import FirmShopController
    from api.domain.users.controllers import MeController

    return [AuthController, MeController, FirmShopController, FirmAuditController]


def shop_route_handlers() -> list[Any]:
    """Everything here gets ``shop_session``: a session bound to the shop in the path."""
    from api.domain.audit.controllers import AuditController
    from api.domain.authz.controllers import AuthzController
    from api.domain.members.controllers import MemberController
    from api.domain.shops.controllers import ShopController

    return [ShopController, MemberController, AuthzController, AuditController]
