"""Scripted conversations: rows written with SQL and the workspace's signals published by
hand, each step in its own committed transaction bound to the shop (as the workspace will)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.conversations.signals import (
    ConversationAssigned,
    ConversationStatusChanged,
    CycleStarted,
    MessageRecorded,
)
from api.signals import publish
from tests.support.world import World

__all__ = ["Convo", "clocks_of", "ledger_of", "run_in_shop"]


async def run_in_shop(world: World, shop_id: uuid.UUID, work: Any) -> Any:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        return await work(session)


class Convo:
    def __init__(self, world: World, shop_id: uuid.UUID, *, channel: str = "web",
                 priority: str = "normal") -> None:
        self.world, self.shop_id = world, shop_id
        self.id = uuid.uuid4()
        self.channel, self.priority = channel, priority
        self.cycle = 1
        self.seq = 0
        self.status = "open"
        self.assignee: uuid.UUID | None = None
        self.created_at: datetime | None = None

    async def _run(self, work: Any) -> Any:
        return await run_in_shop(self.world, self.shop_id, work)

    async def _insert_message(self, session: Any, at: datetime, kind: str, visibility: str,
                              author: uuid.UUID | None) -> uuid.UUID:
        self.seq += 1
        message_id = uuid.uuid4()
        await session.execute(text(
            "INSERT INTO messages (shop_id, id, conversation_id, seq, cycle, channel, "
            "author_kind, visibility, author_id, body, created_at) VALUES (:s, :id, :c, :seq, "
            ":cycle, :ch, :k, :v, :a, 'x', :at)"),
            {"s": self.shop_id, "id": message_id, "c": self.id, "seq": self.seq,
             "cycle": self.cycle, "ch": self.channel, "k": kind, "v": visibility, "a": author,
             "at": at})
        await publish(session, MessageRecorded(
            self.shop_id, self.id, message_id, self.cycle, self.channel, self.priority, kind,
            visibility, author, self.assignee, at))
        return message_id

    async def open(self, at: datetime, *, with_message: bool = True) -> None:
        """A customer opens the conversation (cycle 1), with their first message."""
        self.created_at = at

        async def work(session: Any) -> None:
            customer = uuid.uuid4()
            await session.execute(text(
                "INSERT INTO customers (shop_id, id) VALUES (:s, :id)"),
                {"s": self.shop_id, "id": customer})
            await session.execute(text(
                "INSERT INTO conversations (shop_id, id, customer_id, channel, priority, "
                "cycle, cycle_started_at, created_at) VALUES (:s, :id, :cu, :ch, :p, 1, :at, :at)"),
                {"s": self.shop_id, "id": self.id, "cu": customer, "ch": self.channel,
                 "p": self.priority, "at": at})
            await publish(session, CycleStarted(self.shop_id, self.id, 1, self.channel,
                                                self.priority, at, at, None, False))
            if with_message:
                await self._insert_message(session, at, "customer", "public", None)

        await self._run(work)

    async def customer(self, at: datetime) -> None:
        async def work(session: Any) -> None:
            if self.status == "pending":
                await self._set_status(session, "open", at)
            await self._insert_message(session, at, "customer", "public", None)

        await self._run(work)

    async def reply(self, at: datetime, author: uuid.UUID, *, kind: str = "staff",
                    visibility: str = "public") -> None:
        async def work(session: Any) -> None:
            await self._insert_message(session, at, kind, visibility,
                                       author if kind == "staff" else None)

        await self._run(work)

    async def _set_status(self, session: Any, new: str, at: datetime,
                          actor: uuid.UUID | None = None) -> None:
        old, self.status = self.status, new
        await session.execute(text(
            "UPDATE conversations SET status = :st, resolved_at = CASE WHEN :st = 'resolved' "
            "THEN CAST(:at AS timestamptz) END WHERE shop_id = :s AND id = :id"),
            {"st": new, "at": at, "s": self.shop_id, "id": self.id})
        await publish(session, ConversationStatusChanged(
            self.shop_id, self.id, self.cycle, old, new, at, actor))

    async def set_status(self, new: str, at: datetime, actor: uuid.UUID | None = None) -> None:
        async def work(session: Any) -> None:
            await self._set_status(session, new, at, actor)

        await self._run(work)

    async def reopen(self, at: datetime) -> None:
        """A new customer message on a resolved conversation starts the next cycle."""
        assert self.status == "resolved"

        async def work(session: Any) -> None:
            self.cycle += 1
            await session.execute(text(
                "UPDATE conversations SET status = 'open', cycle = :cy, cycle_started_at = :at, "
                "resolved_at = NULL WHERE shop_id = :s AND id = :id"),
                {"cy": self.cycle, "at": at, "s": self.shop_id, "id": self.id})
            self.status = "open"
            await publish(session, ConversationStatusChanged(
                self.shop_id, self.id, self.cycle, "resolved", "open", at, None))
            await publish(session, CycleStarted(self.shop_id, self.id, self.cycle, self.channel,
                                                self.priority, at, self.created_at, None, True))
            await self._insert_message(session, at, "customer", "public", None)

        await self._run(work)

    async def assign(self, user: uuid.UUID | None, at: datetime) -> None:
        async def work(session: Any) -> None:
            previous, self.assignee = self.assignee, user
            await session.execute(text(
                "UPDATE conversations SET assignee_id = :u, assigned_at = :at "
                "WHERE shop_id = :s AND id = :id"),
                {"u": user, "at": at, "s": self.shop_id, "id": self.id})
            await publish(session, ConversationAssigned(
                self.shop_id, self.id, self.cycle, user, previous, at, user, "claim"))

        await self._run(work)


async def clocks_of(world: World, shop_id: uuid.UUID, conversation_id: uuid.UUID) -> list[Any]:
    async def work(session: Any) -> list[Any]:
        return list((await session.execute(text(
            "SELECT * FROM sla_clocks WHERE shop_id = :s AND conversation_id = :c "
            "ORDER BY cycle, metric, seq"), {"s": shop_id, "c": conversation_id})).all())

    return await run_in_shop(world, shop_id, work)


async def ledger_of(world: World, shop_id: uuid.UUID, conversation_id: uuid.UUID) -> list[Any]:
    async def work(session: Any) -> list[Any]:
        return list((await session.execute(text(
            "SELECT * FROM sla_ledger WHERE shop_id = :s AND conversation_id = :c ORDER BY id"),
            {"s": shop_id, "c": conversation_id})).all())

    return await run_in_shop(world, shop_id, work)
