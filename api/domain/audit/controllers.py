"""Audit logs and their integrity checks: a shop's (under ``/shops/{shop_id}``) and the firm's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit import services
from api.domain.audit.models import AuditEntry
from api.domain.audit.schemas import AuditEntryRead, ChainReport
from api.domain.audit.verify import verify_chain, verify_firm_chain
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["AuditController", "FirmAuditController", "provide_audit_query", "to_read"]


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


def provide_audit_query(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    actor_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    action: Annotated[str | None, QueryParameter(max_length=100)] = None,
    since: Annotated[datetime | None, QueryParameter(
        description="ISO 8601; entries at or after this time")] = None,
    until: Annotated[datetime | None, QueryParameter(
        description="ISO 8601; entries before this time")] = None,
) -> services.AuditQuery:
    """The list routes' query string: one declaration for the shop's and the firm's log."""
    return services.AuditQuery(limit=limit, cursor=cursor, actor_id=actor_id, action=action,
                               since=_aware(since), until=_aware(until))


def _page(page: Page[AuditEntry]) -> Page[AuditEntryRead]:
    return Page(items=[to_read(e) for e in page.items], next_cursor=page.next_cursor)


_QUERY = {"audit_query": Provide(provide_audit_query, sync_to_thread=False)}


class AuditController(Controller):
    """Who did what in this shop, and proof nobody changed the record since."""

    path = "/audit"
    tags = ["audit"]
    dependencies = _QUERY

    @get("/", **requires("audit:read"))
    async def list_entries(self, shop_session: NamedDependency[AsyncSession],
                           shop_scope: NamedDependency[ShopScope],
                           audit_query: NamedDependency[services.AuditQuery],
                           ) -> Page[AuditEntryRead]:
        """This shop's audit log, newest first."""
        return _page(await services.list_entries(shop_session, shop_scope.shop_id, audit_query))

    @get("/verify", **requires("audit:read"))
    async def verify(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope]) -> ChainReport:
        """Recompute this shop's hash chain and report every entry that breaks it."""
        return await verify_chain(shop_session, shop_scope.shop_id)


class FirmAuditController(Controller):
    """The firm's own log: sign-ins, "log out everywhere", onboarding, strangers' refusals.

    No shop in the path, so the guard decides in the firm domain: firm roles only.
    """

    path = "/audit"
    tags = ["audit"]
    dependencies = _QUERY

    @get("/", **requires("audit:read"))
    async def list_firm_entries(self, db_session: NamedDependency[AsyncSession],
                                audit_query: NamedDependency[services.AuditQuery],
                                ) -> Page[AuditEntryRead]:
        """The firm's audit log, newest first."""
        return _page(await services.list_firm_entries(db_session, audit_query))

    @get("/verify", **requires("audit:read"))
    async def verify_firm(self, db_session: NamedDependency[AsyncSession]) -> ChainReport:
        """Recompute the firm's hash chain and report every entry that breaks it."""
        return await verify_firm_chain(db_session)
