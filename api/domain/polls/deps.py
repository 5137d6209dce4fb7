"""Whether the caller may see private polls' results: the policy decides, per request."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency

from api.auth.principal import UserPrincipal
from api.guard import ShopScope

__all__ = ["PRIVATE_RESULTS", "provide_may_see_private"]

PRIVATE_RESULTS = "polls:read_private"


def provide_may_see_private(request: Request, shop_scope: NamedDependency[ShopScope]) -> bool:
    principal = shop_scope.principal
    if not isinstance(principal, UserPrincipal):
        return False
    policy = request.app.state.authz.policy
    return policy.decide(PRIVATE_RESULTS, principal.user_id, str(shop_scope.shop_id),
                         principal.client).allowed
