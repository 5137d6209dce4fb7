"""Quick phrase routes under ``/shops/{shop_id}/quick-phrases``.

Shop-wide phrases and groups: read with ``quick_phrases:read``, written with
``quick_phrases:write_shop``. Personal ones (``/personal``): each member manages their own
under ``cs:workspace``; nobody else sees them, a supervisor included.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.quick_phrases import services
from api.domain.quick_phrases.enums import ListScope
from api.domain.quick_phrases.schemas import (
    QuickPhraseCreate,
    QuickPhraseGroupCreate,
    QuickPhraseGroupRead,
    QuickPhraseGroupUpdate,
    QuickPhraseRead,
    QuickPhraseUpdate,
)
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["PersonalQuickPhraseController", "QuickPhraseController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, QueryParameter(max_length=500)]
# "scope" is a name Litestar reserves for the ASGI scope: the parameter is renamed.
ScopeParam = Annotated[ListScope, QueryParameter(name="scope")]
GroupParam = Annotated[uuid.UUID | None, QueryParameter()]
Search = Annotated[str | None, QueryParameter(min_length=1, max_length=100,
                                              pattern=r"^[^\x00]*$")]


class QuickPhraseController(Controller):
    path = "/quick-phrases"
    tags = ["quick-phrases"]

    @get("/", **requires("quick_phrases:read"))
    async def list_phrases(self, shop_session: Session, shop_scope: Scope,
                           list_scope: ScopeParam = ListScope.ALL, group_id: GroupParam = None,
                           q: Search = None, limit: Limit = DEFAULT_LIMIT,
                           cursor: Cursor = None) -> Page[QuickPhraseRead]:
        """The shop's phrases and the caller's own, by shortcut; ``q`` searches shortcut and text."""
        return await services.list_phrases(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                           scope=list_scope, group_id=group_id, q=q, limit=limit,
                                           cursor=cursor)

    @post("/", **requires("quick_phrases:write_shop"))
    @idempotent
    async def create_phrase(self, shop_session: Session, shop_scope: Scope,
                            data: JSONBody[QuickPhraseCreate], audit_context: Audit) -> QuickPhraseRead:
        """A shop-wide phrase; its shortcut is unique in the shop."""
        phrase = await services.create_phrase(shop_session, shop_scope.shop_id, None,
                                              shop_scope.user_id, data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="quick_phrase.create", target=str(phrase.id))
        return phrase

    @patch("/{phrase_id:uuid}", **requires("quick_phrases:write_shop"))
    async def update_phrase(self, shop_session: Session, shop_scope: Scope,
                            phrase_id: FromPath[uuid.UUID], data: JSONBody[QuickPhraseUpdate],
                            audit_context: Audit) -> QuickPhraseRead:
        phrase = await services.update_phrase(shop_session, shop_scope.shop_id, None,
                                              phrase_id, data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="quick_phrase.update", target=str(phrase_id))
        return phrase

    @delete("/{phrase_id:uuid}", **requires("quick_phrases:write_shop"))
    async def delete_phrase(self, shop_session: Session, shop_scope: Scope,
                            phrase_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await services.delete_phrase(shop_session, shop_scope.shop_id, None, phrase_id)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="quick_phrase.delete", target=str(phrase_id))

    @get("/groups", **requires("quick_phrases:read"))
    async def list_groups(self, shop_session: Session, shop_scope: Scope,
                          list_scope: ScopeParam = ListScope.ALL, limit: Limit = DEFAULT_LIMIT,
                          cursor: Cursor = None) -> Page[QuickPhraseGroupRead]:
        return await services.list_groups(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                          scope=list_scope, limit=limit, cursor=cursor)

    @post("/groups", **requires("quick_phrases:write_shop"))
    @idempotent
    async def create_group(self, shop_session: Session, shop_scope: Scope,
                           data: JSONBody[QuickPhraseGroupCreate]) -> QuickPhraseGroupRead:
        return await services.create_group(shop_session, shop_scope.shop_id, None, data.name)

    @patch("/groups/{group_id:uuid}", **requires("quick_phrases:write_shop"))
    async def rename_group(self, shop_session: Session, shop_scope: Scope,
                           group_id: FromPath[uuid.UUID], data: JSONBody[QuickPhraseGroupUpdate]) -> QuickPhraseGroupRead:
        return await services.rename_group(shop_session, shop_scope.shop_id, None, group_id,
                                           data.name)

    @delete("/groups/{group_id:uuid}", **requires("quick_phrases:write_shop"))
    async def delete_group(self, shop_session: Session, shop_scope: Scope,
                           group_id: FromPath[uuid.UUID]) -> None:
        """Delete a shop-wide group; its phrases stay, ungrouped."""
        await services.delete_group(shop_session, shop_scope.shop_id, None, group_id)


class PersonalQuickPhraseController(Controller):
    """The caller's own phrases: ``cs:workspace`` staff only (never an integration key)."""

    path = "/quick-phrases/personal"
    tags = ["quick-phrases"]

    @post("/", **requires("cs:workspace"))
    @idempotent
    async def create_phrase(self, shop_session: Session, shop_scope: Scope,
                            data: JSONBody[QuickPhraseCreate]) -> QuickPhraseRead:
        me = shop_scope.user_id
        return await services.create_phrase(shop_session, shop_scope.shop_id, me, me, data)

    @patch("/{phrase_id:uuid}", **requires("cs:workspace"))
    async def update_phrase(self, shop_session: Session, shop_scope: Scope,
                            phrase_id: FromPath[uuid.UUID], data: JSONBody[QuickPhraseUpdate]) -> QuickPhraseRead:
        return await services.update_phrase(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                            phrase_id, data)

    @delete("/{phrase_id:uuid}", **requires("cs:workspace"))
    async def delete_phrase(self, shop_session: Session, shop_scope: Scope,
                            phrase_id: FromPath[uuid.UUID]) -> None:
        await services.delete_phrase(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                     phrase_id)

    @post("/groups", **requires("cs:workspace"))
    @idempotent
    async def create_group(self, shop_session: Session, shop_scope: Scope,
                           data: JSONBody[QuickPhraseGroupCreate]) -> QuickPhraseGroupRead:
        return await services.create_group(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                           data.name)

    @patch("/groups/{group_id:uuid}", **requires("cs:workspace"))
    async def rename_group(self, shop_session: Session, shop_scope: Scope,
                           group_id: FromPath[uuid.UUID], data: JSONBody[QuickPhraseGroupUpdate]) -> QuickPhraseGroupRead:
        return await services.rename_group(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                           group_id, data.name)

    @delete("/groups/{group_id:uuid}", **requires("cs:workspace"))
    async def delete_group(self, shop_session: Session, shop_scope: Scope,
                           group_id: FromPath[uuid.UUID]) -> None:
        await services.delete_group(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                    group_id)
