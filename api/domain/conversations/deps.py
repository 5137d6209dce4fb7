"""Who is working in the workspace: built only from the guard's ``ShopScope``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import Request
from litestar.di import NamedDependency

from api.auth.principal import UserPrincipal
from api.errors import ApiError
from api.guard import ShopScope

__all__ = ["WorkspaceActor", "provide_workspace_actor"]


@dataclass(frozen=True, slots=True)
class WorkspaceActor:
    """A staff member admitted to ``shop_id`` with ``cs:workspace``.

    ``supervisor``: they also hold ``cs:supervise`` (every conversation, reassign anyone's);
    without it they see the queue and their own conversations only. ``live_ttl_seconds``:
    how long a live-stream presence lasts without a refresh (settings).
    """

    shop_id: uuid.UUID
    user_id: uuid.UUID
    supervisor: bool
    live_ttl_seconds: float


def provide_workspace_actor(request: Request, shop_scope: NamedDependency[ShopScope]
                            ) -> WorkspaceActor:
    principal = shop_scope.principal
    if not isinstance(principal, UserPrincipal):  # the guard admits keys to scoped routes only
        raise ApiError(403, "integration.staff_only",
                       "This operation is for the shop's staff, not for integration keys.")
    policy = request.app.state.authz.policy
    supervisor = policy.decide("cs:supervise", principal.user_id, str(shop_scope.shop_id),
                               principal.client).allowed
    return WorkspaceActor(shop_scope.shop_id, uuid.UUID(principal.user_id), supervisor,
                          request.app.state.settings.live_presence_ttl_seconds)
