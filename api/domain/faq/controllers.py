"""FAQ library routes under ``/shops/{shop_id}/faq``: staff read it (``cs:workspace``) to
answer with; ``faq:write`` keeps it."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.faq import services
from api.domain.faq.schemas import EntryCreate, EntryRead, EntryUpdate
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["FaqController"]

Session = NamedDependency[AsyncSession]
Scope = NamedDependency[ShopScope]
Audit = NamedDependency[AuditContext]
Text = Annotated[str | None, QueryParameter(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


class FaqController(Controller):
    path = "/faq"
    tags = ["faq"]

    @get("/", **requires("cs:workspace"))
    async def list_entries(self, shop_session: Session, shop_scope: Scope, q: Text = None,
                           problem_type: Text = None,
                           limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                           cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
                           ) -> Page[EntryRead]:
        """Entries by problem type; ``q`` searches type, cause, answer and action."""
        return await services.list_entries(shop_session, shop_scope.shop_id, q=q,
                                           problem_type=problem_type, limit=limit, cursor=cursor)

    @post("/", **requires("faq:write"))
    @idempotent
    async def create_entry(self, shop_session: Session, shop_scope: Scope,
                           data: JSONBody[EntryCreate], audit_context: Audit) -> EntryRead:
        entry = await services.create_entry(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                            data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="faq.create", target=str(entry.id))
        return entry

    @get("/{entry_id:uuid}", **requires("cs:workspace"))
    async def get_entry(self, shop_session: Session, shop_scope: Scope,
                        entry_id: FromPath[uuid.UUID]) -> EntryRead:
        return await services.get_entry(shop_session, shop_scope.shop_id, entry_id)

    @patch("/{entry_id:uuid}", **requires("faq:write"))
    async def update_entry(self, shop_session: Session, shop_scope: Scope,
                           entry_id: FromPath[uuid.UUID], data: JSONBody[EntryUpdate],
                           audit_context: Audit) -> EntryRead:
        entry = await services.update_entry(shop_session, shop_scope.shop_id, shop_scope.user_id,
                                            entry_id, data)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="faq.update", target=str(entry_id))
        return entry

    @delete("/{entry_id:uuid}", **requires("faq:write"))
    async def delete_entry(self, shop_session: Session, shop_scope: Scope,
                           entry_id: FromPath[uuid.UUID], audit_context: Audit) -> None:
        await services.delete_entry(shop_session, shop_scope.shop_id, entry_id)
        await audit.record(shop_session, audit_context, shop_id=shop_scope.shop_id,
                           action="faq.delete", target=str(entry_id))
