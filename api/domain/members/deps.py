"""Who is changing a shop's staff: built only from the guard's ``ShopScope``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.di import NamedDependency

from api.guard import ShopScope

__all__ = ["StaffActor", "provide_staff_actor"]


@dataclass(frozen=True, slots=True)
class StaffActor:
    """The caller the guard admitted to ``shop_id`` for a staff permission.

    It says nothing about *why* the caller was admitted: the members service reads the
    caller's standing (staff manager here, or platform admin placing agents) from the
    database under the shop's lock.
    """

    shop_id: uuid.UUID
    user_id: uuid.UUID


def provide_staff_actor(shop_scope: NamedDependency[ShopScope]) -> StaffActor:
    return StaffActor(shop_id=shop_scope.shop_id,
                      user_id=uuid.UUID(shop_scope.principal.user_id))
