"""Workspace routes: inbound messages (integration keys), the queue, conversations, settings."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import RawUnit
from api.domain.audit.context import AuditContext, audit_context_of
from api.domain.conversations import assignment, board, inbound, queries, replies
from api.domain.conversations.deps import WorkspaceActor, provide_workspace_actor
from api.domain.conversations.enums import ConversationStatus
from api.domain.conversations.schemas import (
    ConversationNoteIn,
    ConversationRead,
    InboundAnswer,
    InboundMessage,
    MessageRead,
    QueueBoard,
    ReplyIn,
    StatusChange,
    TransferIn,
    WorkspaceSettingsIn,
    WorkspaceSettingsRead,
)
from api.domain.customers.enums import parse_channel
from api.guard import ShopScope
from api.idempotency import idempotent
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.routing import requires

__all__ = ["ConversationController", "InboundController", "WorkspaceSettingsController"]

LIMIT = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
CURSOR = Annotated[str | None, QueryParameter(max_length=500)]
CHANNEL = Annotated[str | None, QueryParameter(max_length=20)]
_ACTOR = {"actor": Provide(provide_workspace_actor, sync_to_thread=False)}


class InboundController(Controller):
    path = "/messages"
    tags = ["conversations"]

    @post("/inbound", status_code=200, **requires("messages:ingest"))
    async def receive(self, request: Request, shop_writer: NamedDependency[RawUnit],
                      shop_scope: NamedDependency[ShopScope],
                      data: JSONBody[InboundMessage]) -> InboundAnswer:
        """A customer message from one of the shop's channels; redeliveries get the same answer."""
        # The busiest write: a plain asyncpg unit of work (``api.db.writer``), and the audit
        # context read here rather than injected, so the dependency chain is straight and
        # Litestar resolves it without a task group per request.
        return await inbound.receive(shop_writer, shop_scope.shop_id, data,
                                     audit_context_of(request, shop_scope.principal),
                                     request.app.state.settings.live_presence_ttl_seconds)


class ConversationController(Controller):
    path = "/conversations"
    tags = ["conversations"]
    dependencies = _ACTOR

    @get("/", **requires("cs:workspace"))
    async def list_conversations(
        self, shop_session: NamedDependency[AsyncSession], actor: NamedDependency[WorkspaceActor],
        limit: LIMIT = DEFAULT_LIMIT, cursor: CURSOR = None,
        status: Annotated[ConversationStatus | None, QueryParameter()] = None,
        channel: CHANNEL = None,
        assignee_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        customer_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Page[ConversationRead]:
        """Newest first; every conversation with cs:supervise, else the caller's own."""
        filters = queries.ListFilters(
            status=status.value if status else None,
            channel=parse_channel(channel).value if channel else None,
            assignee_id=assignee_id, customer_id=customer_id)
        return await queries.list_conversations(shop_session, actor, filters, limit=limit,
                                                cursor=cursor)

    @get("/queue", **requires("cs:workspace"))
    async def list_queue(self, shop_reader: NamedDependency[asyncpg.Connection],
                         shop_scope: NamedDependency[ShopScope], limit: LIMIT = DEFAULT_LIMIT,
                         cursor: CURSOR = None, channel: CHANNEL = None) -> Page[ConversationRead]:
        """The waiting queue (未接待用户): unclaimed, longest waiting first."""
        # Hot reads take one dependency chain (scope → reader): a second dependency at the
        # same depth would make Litestar start a task group on every request.
        return await queries.list_queue(
            shop_reader, shop_scope.shop_id, channel=parse_channel(channel).value if channel else None,
            limit=limit, cursor=cursor)

    @get("/board", **requires("cs:supervise"))
    async def queue_board(self, request: Request, shop_session: NamedDependency[AsyncSession],
                          shop_scope: NamedDependency[ShopScope]) -> QueueBoard:
        """The live queue board: queue length, oldest wait, open and pending, staff presence."""
        return await board.queue_board(shop_session, shop_scope.shop_id,
                                       request.app.state.settings.live_presence_ttl_seconds)

    @get("/{conversation_id:uuid}", **requires("cs:workspace"))
    async def get_conversation(self, shop_session: NamedDependency[AsyncSession],
                               actor: NamedDependency[WorkspaceActor],
                               conversation_id: FromPath[uuid.UUID]) -> ConversationRead:
        return queries.to_read(await queries.get_visible(shop_session, actor, conversation_id))

    @get("/{conversation_id:uuid}/messages", **requires("cs:workspace"))
    async def list_messages(self, request: Request,
                            shop_reader: NamedDependency[asyncpg.Connection],
                            shop_scope: NamedDependency[ShopScope],
                            conversation_id: FromPath[uuid.UUID], limit: LIMIT = DEFAULT_LIMIT,
                            cursor: CURSOR = None) -> Page[MessageRead]:
        """The thread, oldest first, internal notes included."""
        # The actor is built here, not injected: one dependency chain on a hot read.
        actor = provide_workspace_actor(request, shop_scope)
        return await queries.list_messages(shop_reader, actor, conversation_id, limit=limit,
                                           cursor=cursor)

    @post("/{conversation_id:uuid}/claim", status_code=200, **requires("cs:workspace"))
    async def claim(self, shop_session: NamedDependency[AsyncSession],
                    actor: NamedDependency[WorkspaceActor],
                    conversation_id: FromPath[uuid.UUID]) -> ConversationRead:
        """Take a waiting conversation; concurrent claims: one wins, the rest get 409."""
        return await assignment.claim(shop_session, actor, conversation_id)

    @post("/{conversation_id:uuid}/transfer", status_code=200, **requires("cs:workspace"))
    async def transfer(self, shop_session: NamedDependency[AsyncSession],
                       actor: NamedDependency[WorkspaceActor],
                       audit_context: NamedDependency[AuditContext],
                       conversation_id: FromPath[uuid.UUID],
                       data: JSONBody[TransferIn]) -> ConversationRead:
        """Hand over your conversation (anyone's with cs:supervise), with a reason."""
        return await assignment.transfer(shop_session, actor, conversation_id, data, audit_context)

    @post("/{conversation_id:uuid}/status", status_code=200, **requires("cs:workspace"))
    async def change_status(self, shop_session: NamedDependency[AsyncSession],
                            actor: NamedDependency[WorkspaceActor],
                            conversation_id: FromPath[uuid.UUID],
                            data: JSONBody[StatusChange]) -> ConversationRead:
        return await replies.change_status(shop_session, actor, conversation_id, data.status)

    @post("/{conversation_id:uuid}/messages", status_code=201, **requires("cs:workspace"))
    @idempotent
    async def reply(self, shop_session: NamedDependency[AsyncSession],
                    actor: NamedDependency[WorkspaceActor], conversation_id: FromPath[uuid.UUID],
                    data: JSONBody[ReplyIn]) -> MessageRead:
        """A public reply; the shop's systems deliver it (event ``message.outbound``)."""
        return await replies.reply(shop_session, actor, conversation_id, data)

    @post("/{conversation_id:uuid}/notes", status_code=201, **requires("cs:workspace"))
    @idempotent
    async def add_note(self, shop_session: NamedDependency[AsyncSession],
                       actor: NamedDependency[WorkspaceActor], conversation_id: FromPath[uuid.UUID],
                       data: JSONBody[ConversationNoteIn]) -> MessageRead:
        """An internal note, for staff only."""
        return await replies.add_note(shop_session, actor, conversation_id, data)


class WorkspaceSettingsController(Controller):
    path = "/workspace/settings"
    tags = ["conversations"]

    @get("/", **requires("cs:workspace"))
    async def read_settings(self, shop_session: NamedDependency[AsyncSession],
                            shop_scope: NamedDependency[ShopScope]) -> WorkspaceSettingsRead:
        """How the shop assigns new conversations (off, round robin, fewest open)."""
        return await assignment.read_settings(shop_session, shop_scope.shop_id)

    @put("/", **requires("shop:settings"))
    async def update_settings(self, shop_session: NamedDependency[AsyncSession],
                              shop_scope: NamedDependency[ShopScope],
                              audit_context: NamedDependency[AuditContext],
                              data: JSONBody[WorkspaceSettingsIn]) -> WorkspaceSettingsRead:
        return await assignment.update_settings(shop_session, shop_scope.shop_id, data,
                                                audit_context)
