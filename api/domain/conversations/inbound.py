"""Inbound customer messages from a shop's channels (``messages:ingest``).

Idempotent by the channel's message id, ordered per conversation:
1. the customer (by channel identity) and its latest conversation on the channel are found
   and the conversation's row locked: deliveries to one conversation run one at a time,
   and ``seq`` is ``last_message_seq + 1`` under that lock;
2. under the lock the delivery is recognised by its channel message id: a redelivery, or a
   concurrent duplicate that committed while we waited, gets what the first one got, and
   nothing changes (on an open conversation by the message insert's conflict, before
   anything is written; before opening or reopening one, by a lookup);
3. the first message opens a conversation; one to a resolved conversation reopens it
   (a new cycle, back in the queue).
Then the automatic reply (if the shop's rules give one) and automatic assignment.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.auto_replies.engine import automatic_reply
from api.domain.conversations import errors
from api.domain.conversations.announce import Announcements
from api.domain.conversations.assignment import auto_assign
from api.domain.conversations.enums import AuthorKind
from api.domain.conversations.messages import StoredMessage, attachments_of, outbound, store
from api.domain.conversations.queries import COLUMNS
from api.domain.conversations.schemas import InboundAnswer, InboundMessage
from api.domain.conversations.signals import ConversationStatusChanged, CycleStarted
from api.domain.customers.enums import Channel, parse_channel
from api.domain.customers.services import upsert_identity
from api.errors import ApiError
from api.signals import publish

__all__ = ["receive"]

_ANSWER = Sql(
    "SELECT m.id AS message_id, m.conversation_id, c.customer_id, m.seq, m.cycle, m.created_at "
    "FROM messages m JOIN conversations c ON c.shop_id = m.shop_id AND c.id = m.conversation_id "
    "WHERE m.shop_id = :shop_id AND m.channel = :channel AND m.channel_message_id = :cmid")
_LATEST = Sql(
    f"SELECT {COLUMNS} FROM conversations WHERE shop_id = :shop_id AND customer_id = :customer_id "
    "AND channel = :channel ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE")
_OPEN = Sql(
    "INSERT INTO conversations (shop_id, id, customer_id, channel) "
    "VALUES (:shop_id, :id, :customer_id, :channel) "
    "ON CONFLICT (shop_id, customer_id, channel) WHERE status <> 'resolved' DO NOTHING "
    f"RETURNING {COLUMNS}")
_REOPEN = Sql(
    "UPDATE conversations SET status = 'open', cycle = cycle + 1, cycle_started_at = now(), "
    "assignee_id = NULL, assigned_at = NULL, resolved_at = NULL, waiting_since = NULL, "
    f"updated_at = now() WHERE shop_id = :shop_id AND id = :id RETURNING {COLUMNS}")
_AFTER_CUSTOMER = Sql(
    "UPDATE conversations SET last_message_seq = :seq, last_customer_message_at = :at, "
    "waiting_since = coalesce(waiting_since, :at), updated_at = :at, "
    "status = CASE WHEN status = 'pending' THEN 'open' ELSE status END "
    f"WHERE shop_id = :shop_id AND id = :id RETURNING {COLUMNS}")
_AFTER_AUTOMATIC = Sql("UPDATE conversations SET last_message_seq = :seq "
                        "WHERE shop_id = :shop_id AND id = :id")
_CONTACT_SELLER = Sql("SELECT contact_seller_enabled FROM shops WHERE id = :shop_id")


async def _answer(session: AsyncSession, shop_id: uuid.UUID, channel: Channel, cmid: str
                  ) -> InboundAnswer | None:
    row = await _ANSWER.first(session, shop_id=shop_id, channel=channel.value, cmid=cmid)
    return InboundAnswer(**row._asdict()) if row is not None else None


async def _locked_conversation(session: AsyncSession, params: dict[str, Any]) -> Any | None:
    return await _LATEST.first(session, params)


async def receive(session: AsyncSession, shop_id: uuid.UUID, data: InboundMessage,
                  ctx: AuditContext, live_ttl: float) -> InboundAnswer:
    """Store one inbound customer message (or answer a redelivery as the first time)."""
    channel = parse_channel(data.channel)
    if not data.text and not data.attachments:
        raise errors.empty_message()
    attachments = attachments_of(data.attachments)
    # A redelivery is rare: it is recognised once the conversation is locked (below), which
    # also catches a duplicate that committed while this one waited for the lock.
    customer = await upsert_identity(session, shop_id, channel, data.customer_external_id,
                                     display_name=data.customer_display_name)
    params = {"shop_id": shop_id, "customer_id": customer.customer_id, "channel": channel.value}
    conversation = await _locked_conversation(session, params)
    message_id = uuid.uuid4()
    ann = Announcements(shop_id)
    started: str | None = None
    if conversation is None or conversation.status == "resolved":
        # Opening or reopening writes before the message: recognise a redelivery first.
        done = await _answer(session, shop_id, channel, data.channel_message_id)
        if done is not None:
            return done
        if channel is Channel.WEB and not await _CONTACT_SELLER.scalar(session, shop_id=shop_id):
            raise errors.contact_seller_disabled()
        if conversation is None:
            conversation = await _OPEN.first(session, params, id=uuid.uuid4())
            if conversation is not None:
                started = "opened"
            else:  # a concurrent first message opened it (and has committed): take its lock
                conversation = await _locked_conversation(session, params)
                done = await _answer(session, shop_id, channel, data.channel_message_id)
                if done is not None:
                    return done
        else:
            conversation = await _REOPEN.one(session, shop_id=shop_id, id=conversation.id)
            started = "reopened"
            await publish(session, ConversationStatusChanged(
                shop_id=shop_id, conversation_id=conversation.id, cycle=conversation.cycle,
                old_status="resolved", new_status="open", at=conversation.cycle_started_at,
                actor_id=None, cause_message_id=message_id))
        if started is not None:
            await publish(session, CycleStarted(
                shop_id=shop_id, conversation_id=conversation.id, cycle=conversation.cycle,
                channel=conversation.channel, priority=conversation.priority,
                at=conversation.cycle_started_at, created_at=conversation.created_at,
                cause_message_id=message_id, reopened=started == "reopened"))
    stored = await store(session, ann, conversation, author_kind=AuthorKind.CUSTOMER,
                         body=data.text, attachments=attachments,
                         seq=conversation.last_message_seq + 1,
                         channel_message_id=data.channel_message_id, message_id=message_id)
    if stored is None:
        # On an open conversation nothing has been written yet: a redelivery is recognised
        # here, by the insert's conflict (one round trip less on every first delivery).
        done = await _answer(session, shop_id, channel, data.channel_message_id)
        if done is not None:
            return done
        # the id is taken by another customer's conversation: a client bug
        raise ApiError.conflict("message.channel_message_id_taken",
                                "This channel message id was already used for another customer.")
    previous_status = conversation.status
    conversation = await _AFTER_CUSTOMER.one(session, shop_id=shop_id, id=conversation.id,
                                             seq=stored.seq, at=stored.created_at)
    if previous_status == "pending":  # the customer answered: the ball is back with the shop
        await publish(session, ConversationStatusChanged(
            shop_id=shop_id, conversation_id=conversation.id, cycle=conversation.cycle,
            old_status="pending", new_status="open", at=stored.created_at, actor_id=None,
            cause_message_id=stored.id))
        ann.staff("conversation.status_changed", {
            "conversation_id": str(conversation.id), "from": "pending", "to": "open"},
            subject=conversation.assignee_id)
    await _automatic_reply(session, ann, conversation, stored, data.text)
    if conversation.assignee_id is None:
        assigned = await auto_assign(session, ann, conversation, live_ttl)
        if assigned is None and started is not None:
            ann.staff("conversation.queued", {
                "conversation_id": str(conversation.id), "customer_id": str(customer.customer_id),
                "channel": channel.value, "cycle": conversation.cycle,
                "reopened": started == "reopened"})
    entry = audit.entry_params(ctx, shop_id=shop_id, action="message.inbound",
                               target=str(stored.id), details={
                                   "conversation_id": str(conversation.id),
                                   "channel": channel.value,
                                   "channel_message_id": data.channel_message_id})
    # The audit entry rides with the last event: the shop-wide locks (event counter, audit
    # chain) are taken in one round trip just before commit, so they are held the least.
    await ann.flush(session, audit=entry)
    return InboundAnswer(message_id=stored.id, conversation_id=conversation.id,
                         customer_id=customer.customer_id, seq=stored.seq,
                         cycle=conversation.cycle, created_at=stored.created_at)


async def _automatic_reply(session: AsyncSession, ann: Announcements, conversation: Any,
                           stored: StoredMessage, body: str) -> None:
    """Ask the shop's auto-reply rules; store their answer as an automatic message."""
    reply = await automatic_reply(session, ann.shop_id, conversation.id,
                                  conversation.customer_id, conversation.channel, body,
                                  stored.created_at)
    if reply is None:
        return
    attachments = list(reply.attachments)
    automatic = await store(session, ann, conversation, author_kind=AuthorKind.AUTOMATIC,
                            body=reply.body, attachments=attachments, seq=stored.seq + 1)
    assert automatic is not None  # no channel message id: nothing to collide with
    await _AFTER_AUTOMATIC.run(session, shop_id=ann.shop_id, id=conversation.id,
                               seq=automatic.seq)
    await outbound(session, ann, conversation, automatic, AuthorKind.AUTOMATIC, reply.body,
                   attachments)
