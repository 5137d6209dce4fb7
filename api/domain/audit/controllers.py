"""A shop's audit log and its integrity check (mounted under ``/shops/{shop_id}``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services
from api.domain.audit.models import AuditEntry
from api.domain.audit.schemas import AuditEntryRead, ChainReport
from api.domain.audit.verify import verify_chain
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires
from rbac.guard import ShopScope

__all__ = ["AuditController", "to_read"]


def to_read(entry: AuditEntry) -> AuditEntryRead:
    return AuditEntryRead(
        seq=entry.seq, occurred_at=entry.occurred_at, actor_id=entry.actor_id,
        client=entry.client, ip=entry.ip, request_id=entry.request_id, action=entry.action,
        outcome=entry.outcome, target=entry.target, details=entry.details,
        prev_hash=bytes(entry.prev_hash).hex(), hash=bytes(entry.hash).hex(),
    )


def _aware(moment: datetime | None) -> datetime | None:
    # A time without an offset is read as UTC, the log's own zone.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class AuditController(Controller):
    """Who did what in this shop, and proof nobody changed the record since."""

    path = "/audit"
    tags = ["audit"]

    @get("/", **requires("audit:read"))
    async def list_entries(
        self, shop_session: NamedDependency[AsyncSession], shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        actor_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        action: Annotated[str | None, QueryParameter(max_length=100)] = None,
        since: Annotated[datetime | None, QueryParameter(
            description="ISO 8601; entries at or after this time")] = None,
        until: Annotated[datetime | None, QueryParameter(
            description="ISO 8601; entries before this time")] = None,
    ) -> Page[AuditEntryRead]:
        """This shop's audit log, newest first."""
        page = await services.list_entries(
            shop_session, shop_scope.shop_id, limit=limit, cursor=cursor, actor_id=actor_id,
            action=action, since=_aware(since), until=_aware(until))
        return Page(items=[to_read(e) for e in page.items], next_cursor=page.next_cursor)

    @get("/verify", **requires("audit:read"))
    async def verify(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope]) -> ChainReport:
        """Recompute this shop's hash chain and report every entry that breaks it."""
        return await verify_chain(shop_session, shop_scope.shop_id)
