"""Verification routes.

Staff redeem with ``verifications:redeem`` (the verifier's cell is M: mobile only, and rule 4
refuses a verifier on the web client for everything). Everyone who redeems lists their own
redemptions (``verifications:read_own``); admins and above list all (``verifications:read``).
The store issues codes (``catalog:write``): the code reaches the buyer through the store.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import IntegrationKeyPrincipal
from api.domain.audit.context import AuditContext
from api.domain.verifications import services
from api.domain.verifications.errors import COUNTED
from api.domain.verifications.schemas import CodeIssue, CodeIssued, Redeem, Redemption
from api.errors import ApiError, api_error_response
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["StoreVerificationController", "VerificationController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]


class VerificationController(Controller):
    path = "/verifications"
    tags = ["verifications"]

    @post("/redeem", status_code=200, **requires("verifications:redeem"))
    async def redeem(self, request: Request[Any, Any, Any], shop_session: Session,
                     shop_scope: Scope, audit_context: NamedDependency[AuditContext],
                     data: JSONBody[Redeem]) -> Redemption | Response[Any]:
        """Redeem a code once: 404 unknown, 410 expired, 409 already redeemed, 429 after too
        many failures."""
        user_id = shop_scope.user_id
        assert user_id is not None
        try:
            return await services.redeem(shop_session, shop_scope.shop_id, data.code, user_id,
                                         str(shop_scope.principal.client), audit_context)
        except ApiError as exc:
            if exc.code not in COUNTED:
                raise
            # Returned, not raised: the failed attempt must commit to count against guessing.
            return api_error_response(request, exc)

    @get("/", **requires("verifications:read"))
    async def list_all(self, shop_session: Session, shop_scope: Scope, limit: Limit = DEFAULT_LIMIT,
                       cursor: Cursor = None,
                       redeemed_by: Annotated[uuid.UUID | None, QueryParameter()] = None,
                       order_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
                       ) -> Page[Redemption]:
        """Every redemption in the shop, newest first."""
        return await services.list_redemptions(shop_session, shop_scope.shop_id, limit=limit,
                                               cursor=cursor, redeemed_by=redeemed_by,
                                               order_id=order_id)

    @get("/mine", **requires("verifications:read_own"))
    async def list_mine(self, shop_session: Session, shop_scope: Scope,
                        limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[Redemption]:
        """查看自己的扫码核销记录: the caller's own redemptions, newest first."""
        return await services.list_redemptions(shop_session, shop_scope.shop_id, limit=limit,
                                               cursor=cursor, redeemed_by=shop_scope.user_id)


class StoreVerificationController(Controller):
    path = "/sync/verification-codes"
    tags = ["verifications", "store-sync"]

    @post("/", **requires("catalog:write"))
    async def issue(self, shop_session: Session, shop_scope: Scope,
                    audit_context: NamedDependency[AuditContext],
                    data: JSONBody[CodeIssue]) -> CodeIssued:
        """Issue a code for one of the store's orders; the code is in this answer only."""
        key = shop_scope.principal
        key_id = str(key.key_id) if isinstance(key, IntegrationKeyPrincipal) else None
        return await services.issue_code(shop_session, shop_scope.shop_id, data, key_id,
                                         audit_context)
