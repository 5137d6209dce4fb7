"""Who sets presence: built only from the guard's ``ShopScope``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import Request
from litestar.di import NamedDependency

from api.auth.principal import UserPrincipal
from api.errors import ApiError
from api.guard import ShopScope

__all__ = ["PresenceActor", "provide_presence_actor"]


@dataclass(frozen=True, slots=True)
class PresenceActor:
    shop_id: uuid.UUID
    user_id: uuid.UUID
    live_ttl_seconds: float  # how long a live-stream presence lasts unrefreshed (settings)


def provide_presence_actor(request: Request, shop_scope: NamedDependency[ShopScope]
                           ) -> PresenceActor:
    principal = shop_scope.principal
    if not isinstance(principal, UserPrincipal):  # the guard admits keys to scoped routes only
        raise ApiError(403, "integration.staff_only",
                       "This operation is for the shop's staff, not for integration keys.")
    return PresenceActor(shop_scope.shop_id, uuid.UUID(principal.user_id),
                         request.app.state.settings.live_presence_ttl_seconds)
