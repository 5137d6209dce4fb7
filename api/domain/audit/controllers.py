"""Audit logs and their integrity checks: a shop's (under ``/shops/{shop_id}``) and the firm's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit import checkpoints, services
from api.domain.audit.models import AuditEntry
from api.domain.audit.schemas import (
    AuditEntryRead,
    ChainReport,
    CheckpointKey,
    CheckpointRead,
    CheckpointVerification,
)
from api.domain.audit.verify import verify_chain, verify_firm_chain
from api.errors import ApiError
from api.guard import ShopScope
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import public, requires

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
_CHECKPOINT_LIMIT = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
_BEFORE = Annotated[datetime | None, QueryParameter(
    description="ISO 8601; checkpoints taken before this time")]


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

    @get("/checkpoints", **requires("audit:read"))
    async def list_checkpoints(self, shop_session: NamedDependency[AsyncSession],
                               shop_scope: NamedDependency[ShopScope],
                               limit: _CHECKPOINT_LIMIT = DEFAULT_LIMIT,
                               before: _BEFORE = None) -> list[CheckpointRead]:
        """Signed checkpoints of this shop's chain, newest first: export and keep them."""
        return await checkpoints.list_checkpoints(shop_session, shop_scope.shop_id,
                                                  limit=limit, before=_aware(before))

    @post("/checkpoints/verify", status_code=200, **requires("audit:read"))
    async def verify_checkpoint(self, shop_session: NamedDependency[AsyncSession],
                                shop_scope: NamedDependency[ShopScope], state: State,
                                data: JSONBody[CheckpointRead]) -> CheckpointVerification:
        """Check this shop's chain against a checkpoint kept outside ShopDesk."""
        return await checkpoints.verify_against_checkpoint(
            shop_session, shop_scope.shop_id, data, state.audit_signer)


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

    @get("/checkpoints", **requires("audit:read"))
    async def list_firm_checkpoints(self, db_session: NamedDependency[AsyncSession],
                                    limit: _CHECKPOINT_LIMIT = DEFAULT_LIMIT,
                                    before: _BEFORE = None) -> list[CheckpointRead]:
        """Signed checkpoints of the firm's chain, newest first."""
        await bind_shop(db_session, FIRM_SCOPE)
        return await checkpoints.list_checkpoints(db_session, FIRM_SCOPE, limit=limit,
                                                  before=_aware(before))

    @post("/checkpoints/verify", status_code=200, **requires("audit:read"))
    async def verify_firm_checkpoint(self, db_session: NamedDependency[AsyncSession],
                                     state: State, data: JSONBody[CheckpointRead]
                                     ) -> CheckpointVerification:
        """Check the firm's chain against a checkpoint kept outside ShopDesk."""
        await bind_shop(db_session, FIRM_SCOPE)
        return await checkpoints.verify_against_checkpoint(db_session, FIRM_SCOPE, data,
                                                           state.audit_signer)

    @get("/checkpoint-key", **public())
    async def checkpoint_key(self, state: State) -> CheckpointKey:
        """The public key that verifies checkpoints (Ed25519; anyone may check them)."""
        signer = state.audit_signer
        if signer is None:
            raise ApiError(404, "audit.checkpoints_not_configured",
                           "No checkpoint key is configured.")
        key_id, _, public_key = checkpoints.public_key_text(signer).partition(":")
        return CheckpointKey(key_id=key_id, algorithm="Ed25519", public_key=public_key)
