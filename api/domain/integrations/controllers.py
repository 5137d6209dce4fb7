"""Integration key routes under ``/shops/{shop_id}/integration-keys`` (founder, senior admin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.integrations import services
from api.domain.integrations.schemas import (
    IntegrationKeyCreate,
    IntegrationKeyCreated,
    IntegrationKeyRead,
)
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["IntegrationKeyController"]


class IntegrationKeyController(Controller):
    path = "/integration-keys"
    tags = ["integrations"]

    # Not @idempotent: a replay needs the answer stored, and this answer holds the token,
    # which must never be at rest (only its hash is). A lost answer: revoke, create again.
    @post("/", **requires("integrations:manage"))
    async def create_key(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         audit_context: NamedDependency[AuditContext],
                         data: JSONBody[IntegrationKeyCreate]) -> IntegrationKeyCreated:
        """Create a key for the shop's own systems; its token is shown in this answer only."""
        return await services.create_key(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                         data, audit_context)

    @get("/", **requires("integrations:manage"))
    async def list_keys(self, shop_session: NamedDependency[AsyncSession],
                        shop_scope: NamedDependency[ShopScope],
                        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
                        ) -> Page[IntegrationKeyRead]:
        """The shop's keys (prefix, name, scopes, created, last used, revoked)."""
        return await services.list_keys(shop_session, shop_scope.shop_id, limit=limit,
                                        cursor=cursor)

    @post("/{key_id:uuid}/revoke", status_code=200, **requires("integrations:manage"))
    async def revoke_key(self, shop_session: NamedDependency[AsyncSession],
                         shop_scope: NamedDependency[ShopScope],
                         audit_context: NamedDependency[AuditContext],
                         key_id: FromPath[uuid.UUID]) -> IntegrationKeyRead:
        """Revoke a key: its next request is refused, in every process."""
        return await services.revoke_key(shop_session, shop_scope.shop_id, key_id,
                                         shop_scope.user_id, audit_context)
