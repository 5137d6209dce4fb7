"""Who is changing a shop's staff: built only from the guard's ``ShopScope``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.di import NamedDependency

from rbac.guard import ShopScope

__all__ = ["StaffActor", "provide_staff_actor"]


@dataclass(frozen=True, slots=True)
class StaffActor:
    """The caller the guard admitted to ``shop_id`` for a staff permission.

    ``via_firm`` is true when a firm role (platform_admin) let the caller in rather than a
    role in this shop; such a caller may only place agents (roles.md, firm roles).
    """

    shop_id: uuid.UUID
    user_id: uuid.UUID
    via_firm: bool


def provide_staff_actor(shop_scope: NamedDependency[ShopScope]) -> StaffActor:
    return StaffActor(shop_id=shop_scope.shop_id,
                      user_id=uuid.UUID(shop_scope.principal.user_id),
                      via_firm=shop_scope.decision.via == "firm")
