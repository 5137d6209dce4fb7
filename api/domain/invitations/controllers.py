"""Invitations: staff managers invite by e-mail (``/shops/{shop_id}/invitations``); the person
invited accepts with the mailed token (``POST /api/v1/invitations/accept``, no sign-in)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.context import AuditContext
from api.domain.invitations import services
from api.domain.invitations.deps import require_inviter
from api.domain.invitations.schemas import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCreate,
    InvitationRead,
)
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import public, requires

__all__ = ["InvitationAcceptController", "InvitationController"]


class InvitationController(Controller):
    """A shop's invitations: what it typed, and whether the person accepted yet."""

    path = "/invitations"
    tags = ["members"]

    @post("/", status_code=202, **requires("staff:add"))
    @idempotent
    async def invite(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope], state: State,
                     data: JSONBody[InvitationCreate],
                     audit_context: NamedDependency[AuditContext]) -> InvitationRead:
        """Invite an e-mail address into a role. The answer is the same whether or not an
        account has this address; nobody joins until they accept the mailed token."""
        inviter = await require_inviter(shop_session, shop_scope, data.role)
        return await services.invite(shop_session, shop_scope.shop_id, email=data.email,
                                     role=data.role, invited_by=inviter, ctx=audit_context,
                                     delivery=state.invitation_delivery)

    @get("/", **requires("staff:read"))
    async def list_invitations(
        self, shop_session: NamedDependency[AsyncSession],
        shop_scope: NamedDependency[ShopScope],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, QueryParameter(max_length=2048)] = None,
        pending_only: Annotated[bool, QueryParameter()] = False,
    ) -> Page[InvitationRead]:
        """The shop's invitations in the order they were sent."""
        return await services.list_invitations(shop_session, shop_scope.shop_id, limit=limit,
                                               cursor=cursor, pending_only=pending_only)

    @post("/{invitation_id:uuid}/resend", status_code=200, **requires("staff:add"))
    async def resend(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope], state: State,
                     invitation_id: FromPath[uuid.UUID],
                     audit_context: NamedDependency[AuditContext]) -> InvitationRead:
        """Mail a fresh token (the previous one stops working) with a fresh expiry."""
        return await services.resend(shop_session, shop_scope.shop_id, invitation_id,
                                     ctx=audit_context, delivery=state.invitation_delivery)

    @delete("/{invitation_id:uuid}", **requires("staff:add"))
    async def revoke(self, shop_session: NamedDependency[AsyncSession],
                     shop_scope: NamedDependency[ShopScope],
                     invitation_id: FromPath[uuid.UUID],
                     audit_context: NamedDependency[AuditContext]) -> None:
        """Withdraw a pending invitation: its token is refused from now on."""
        await services.revoke(shop_session, shop_scope.shop_id, invitation_id,
                              ctx=audit_context)


class InvitationAcceptController(Controller):
    path = "/invitations"
    tags = ["members"]

    @post("/accept", status_code=200, **public())
    async def accept(self, db_session: NamedDependency[AsyncSession],
                     data: JSONBody[InvitationAccept],
                     audit_context: NamedDependency[AuditContext]) -> InvitationAccepted:
        """Accept an invitation with its token. A new address also chooses its password; an
        existing account keeps its own and signs in with it afterwards."""
        return await services.accept(db_session, data.token, password=data.password,
                                     display_name=data.display_name, ctx=audit_context)
