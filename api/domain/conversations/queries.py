"""Reading conversations and messages: the queue, the lists, one conversation's thread.

Every statement names ``shop_id`` and is shaped to walk one index (see the EXPLAIN test):
the queue ``ix_conversations_waiting``, lists ``ix_conversations_*_created``, a thread
``uq_messages_conversation_seq``. Visibility: a supervisor (``cs:supervise``) sees every
conversation; anyone else sees the waiting queue and the conversations assigned to them,
and another's conversation is simply not found.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.conversations import errors
from api.domain.conversations.breach import seconds_to_breach, seconds_to_breach_on
from api.domain.conversations.deps import WorkspaceActor
from api.domain.conversations.schemas import ConversationRead, MessageRead
from api.errors import ApiError
from api.pagination import Page, decode_cursor, encode_cursor, invalid_cursor

__all__ = ["COLUMNS", "ListFilters", "get_visible", "list_conversations", "list_messages",
           "list_queue", "message_read", "messages_sql", "queue_sql", "visible"]

COLUMNS = ("id, customer_id, channel, status, priority, assignee_id, cycle, cycle_started_at, "
           "last_message_seq, last_customer_message_at, waiting_since, assigned_at, "
           "resolved_at, created_at, updated_at")
_MESSAGE_FIELDS = ("id", "conversation_id", "seq", "cycle", "channel", "author_kind",
                   "visibility", "author_id", "body", "attachments", "channel_message_id",
                   "created_at")
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
# The hot reads build the read models positionally from records: the orders must agree.
if (tuple(c.strip() for c in COLUMNS.split(",")) != ConversationRead.__struct_fields__[:-1]
        or _MESSAGE_FIELDS != MessageRead.__struct_fields__):
    raise RuntimeError("COLUMNS / _MESSAGE_FIELDS and the read models' field order differ")
_ONE = text(f"SELECT {COLUMNS} FROM conversations WHERE shop_id = :shop_id AND id = :id")
_ONE_LOCKED = text(f"SELECT {COLUMNS} FROM conversations WHERE shop_id = :shop_id AND id = :id "
                   "FOR UPDATE")


def visible(actor: WorkspaceActor, row: Any) -> bool:
    if actor.supervisor or row.assignee_id == actor.user_id:
        return True
    return row.assignee_id is None and row.status != "resolved"


async def get_visible(session: AsyncSession, actor: WorkspaceActor, conversation_id: uuid.UUID,
                      *, lock: bool = False) -> Any:
    """The conversation if the actor may see it (locked for update on request), else 404."""
    row = (await session.execute(_ONE_LOCKED if lock else _ONE,
                                 {"shop_id": actor.shop_id, "id": conversation_id})).first()
    if row is None or not visible(actor, row):
        raise errors.not_found()
    return row


def to_read(row: Any, breach: dict[uuid.UUID, float | None] | None = None) -> ConversationRead:
    return ConversationRead(**row._asdict(),
                            seconds_to_breach=(breach or {}).get(row.id))


async def _breach(session: AsyncSession, shop_id: uuid.UUID, rows: list[Any]
                  ) -> dict[uuid.UUID, float | None]:
    """Seconds before each waiting conversation breaches its SLA (the SLA slice knows)."""
    waiting = [row.id for row in rows if row.waiting_since is not None]
    return await seconds_to_breach(session, shop_id, waiting)


def _time_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, 2)
    if key is None:
        return None
    try:
        at, after_id = datetime.fromisoformat(key[0]), uuid.UUID(key[1])
        # a moment past datetime's range in UTC (9999-12-31 at -14:00) fails in asyncpg
        at.astimezone(UTC)
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise invalid_cursor() from exc
    if at.tzinfo is None:
        raise invalid_cursor()
    return at, after_id


@cache
def queue_sql(channel: bool, after: bool) -> str:
    """The waiting queue (未接待用户): unclaimed, not resolved, longest waiting first.

    A hot read on the plain asyncpg connection: ``$1`` shop, ``$2`` limit, then the
    channel and the cursor's ``(cycle_started_at, id)`` when present.
    """
    args = iter(range(3, 6))
    return (
        f"SELECT {COLUMNS} FROM conversations WHERE shop_id = $1 "
        "AND assignee_id IS NULL AND status <> 'resolved' "
        + (f"AND channel = ${next(args)} " if channel else "")
        + (f"AND (cycle_started_at, id) > (${next(args)}, ${next(args)}) " if after else "")
        + "ORDER BY cycle_started_at, id LIMIT $2")


async def list_queue(conn: asyncpg.Connection, shop_id: uuid.UUID, *, channel: str | None,
                     limit: int, cursor: str | None) -> Page[ConversationRead]:
    after = _time_cursor(cursor)
    args: list[Any] = [shop_id, limit + 1]
    if channel is not None:
        args.append(channel)
    if after is not None:
        args += after
    rows = await conn.fetch(queue_sql(channel is not None, after is not None), *args)
    more = len(rows) > limit
    rows = rows[:limit]
    waiting = [row["id"] for row in rows if row["waiting_since"] is not None]
    breach = await seconds_to_breach_on(conn, shop_id, waiting)
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor([last["cycle_started_at"].isoformat(), str(last["id"])])
                   if more and last else None)
    return Page(items=[ConversationRead(*row, breach.get(row[0])) for row in rows],
                next_cursor=next_cursor)


class ListFilters:
    __slots__ = ("assignee_id", "channel", "customer_id", "status")

    def __init__(self, *, status: str | None = None, channel: str | None = None,
                 assignee_id: uuid.UUID | None = None, customer_id: uuid.UUID | None = None):
        self.status, self.channel = status, channel
        self.assignee_id, self.customer_id = assignee_id, customer_id


def list_sql(filters: ListFilters, after: bool) -> TextClause:
    where = ["shop_id = :shop_id"]
    for name in ("status", "channel", "assignee_id", "customer_id"):
        if getattr(filters, name) is not None:
            where.append(f"{name} = :{name}")
    if after:
        where.append("(created_at, id) < (:after_at, :after_id)")
    return text(f"SELECT {COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
                "ORDER BY created_at DESC, id DESC LIMIT :limit")


async def list_conversations(session: AsyncSession, actor: WorkspaceActor, filters: ListFilters,
                             *, limit: int, cursor: str | None) -> Page[ConversationRead]:
    """Newest first. Without ``cs:supervise`` the list is the caller's own conversations."""
    if not actor.supervisor:
        if filters.assignee_id not in (None, actor.user_id):
            raise errors.supervise_required()
        filters.assignee_id = actor.user_id
    after = _time_cursor(cursor)
    params: dict[str, Any] = {"shop_id": actor.shop_id, "limit": limit + 1,
                              **{n: getattr(filters, n) for n in ListFilters.__slots__}}
    if after is not None:
        params["after_at"], params["after_id"] = after
    rows = (await session.execute(list_sql(filters, after is not None), params)).all()
    return await _page(session, actor.shop_id, rows, limit, "created_at")


async def _page(session: AsyncSession, shop_id: uuid.UUID, rows: list[Any], limit: int,
                sort: str) -> Page[ConversationRead]:
    more = len(rows) > limit
    rows = rows[:limit]
    breach = await _breach(session, shop_id, rows)
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor([getattr(last, sort).isoformat(), str(last.id)])
                   if more and last else None)
    return Page(items=[to_read(row, breach) for row in rows], next_cursor=next_cursor)


@cache
def messages_sql(after: bool) -> str:
    """A thread page and the conversation's visibility, in one round trip (a hot read).

    ``$1`` shop, ``$2`` conversation, ``$3`` limit, ``$4`` the seq to start after. No row at
    all: no such conversation; one row with NULL message columns: no messages (yet).
    """
    return (
        "SELECT c.assignee_id AS conversation_assignee_id, c.status AS conversation_status, "
        + ", ".join(f"m.{name}" for name in _MESSAGE_FIELDS)
        + " FROM conversations c LEFT JOIN LATERAL ("
        f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop_id = $1 AND conversation_id = $2 "
        + ("AND seq > $4 " if after else "")
        + "ORDER BY seq LIMIT $3) m ON true WHERE c.shop_id = $1 AND c.id = $2")


class _Visibility:
    __slots__ = ("assignee_id", "status")

    def __init__(self, record: asyncpg.Record) -> None:
        self.assignee_id = record["conversation_assignee_id"]
        self.status = record["conversation_status"]


async def list_messages(conn: asyncpg.Connection, actor: WorkspaceActor,
                        conversation_id: uuid.UUID, *, limit: int, cursor: str | None
                        ) -> Page[MessageRead]:
    """One conversation's thread, oldest first (notes included: staff read them)."""
    key = decode_cursor(cursor, 1)
    if key is not None and (type(key[0]) is not int or not 0 <= key[0] < 2**31):
        raise invalid_cursor()
    args: list[Any] = [actor.shop_id, conversation_id, limit + 1]
    if key is not None:
        args.append(key[0])
    rows = await conn.fetch(messages_sql(key is not None), *args)
    if not rows or not visible(actor, _Visibility(rows[0])):
        raise errors.not_found()
    # Past the two visibility columns, the message's own in MessageRead's order.
    items = [MessageRead(*row[2:]) for row in rows[:limit] if row["id"] is not None]
    more = len(rows) > limit
    return Page(items=items, next_cursor=encode_cursor([items[-1].seq]) if more and items else None)


def message_read(row: Any) -> MessageRead:
    fields = row._asdict()
    if isinstance(fields["attachments"], str):  # jsonb through a text() statement
        fields["attachments"] = json.loads(fields["attachments"])
    return MessageRead(**fields)


def ensure_workable(actor: WorkspaceActor, row: Any) -> None:
    """Only the assignee (or a supervisor) works on a conversation; queue ones are claimed first."""
    if row.assignee_id == actor.user_id or actor.supervisor:
        return
    if row.assignee_id is None:
        raise errors.claim_first()
    raise ApiError.not_found("conversation")  # not reachable past get_visible; kept strict
