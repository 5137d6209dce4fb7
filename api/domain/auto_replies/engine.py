"""The automatic answer to an inbound customer message: a keyword rule, else hosting.

The inbound path calls ``automatic_reply`` in its own transaction (the session is already
bound to the shop) and stores what it returns as a message with ``author_kind =
'automatic'``, which never counts as a staff response.

Hosting's "waited N minutes unanswered" reads ``conversations.waiting_since`` (the oldest
customer message nobody has answered). The engine only runs on inbound messages, so a
customer who has been waiting N minutes is answered by hosting on their *next* message
after that; nothing fires on a silent conversation (no background sweep).

The once-per-M-minutes throttle is claimed with one conditional upsert on
``hosting_replies``: two messages of the same customer racing each other serialize on that
row, and only one of them gets a hosting reply. A rolled-back inbound leaves no claim.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.db.raw import Sql
from api.domain.auto_replies.content import normalize, to_message
from api.domain.auto_replies.decision import HostingPolicy, Window, hosting_due

__all__ = ["AutomaticReply", "automatic_reply"]


@dataclass(frozen=True)
class AutomaticReply:
    body: str
    attachments: list[dict]
    rule_id: uuid.UUID | None
    kind: str  # 'keyword' | 'hosting'


# One round trip for both questions, always one row: the matching rule (highest priority
# first, then the oldest: the same text always picks the same rule; none for an empty
# normalized text) and, only when no rule matches, the shop's enabled hosting settings.
_DECIDE = Sql("""
SELECT r.id AS rule_id, r.content AS rule_content, h.hosting, h.content, h.windows,
       h.weekdays, h.wait_minutes, h.throttle_minutes, h.timezone, h.waiting_since,
       h.last_replied_at
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
    SELECT id, content FROM auto_reply_rules
     WHERE shop_id = :shop_id AND enabled AND :norm <> ''
       AND CASE match
             WHEN 'exact' THEN :norm = ANY (keywords_norm)
             ELSE EXISTS (SELECT 1 FROM unnest(keywords_norm) k WHERE strpos(:norm, k) > 0)
           END
     ORDER BY priority DESC, created_at, id
     LIMIT 1) r ON true
  LEFT JOIN LATERAL (
    SELECT true AS hosting, hs.content, hs.windows, hs.weekdays, hs.wait_minutes,
           hs.throttle_minutes, s.timezone, c.waiting_since, hr.last_replied_at
      FROM hosting_settings hs
      JOIN shops s ON s.id = hs.shop_id
      LEFT JOIN conversations c ON c.shop_id = hs.shop_id AND c.id = :conversation_id
      LEFT JOIN hosting_replies hr ON hr.shop_id = hs.shop_id AND hr.customer_id = :customer_id
     WHERE hs.shop_id = :shop_id AND hs.enabled) h ON r.id IS NULL
""")
# Claims the throttle slot: inserts, or moves last_replied_at only if M minutes have passed.
_CLAIM = Sql("""
INSERT INTO hosting_replies AS r (shop_id, customer_id, last_replied_at)
VALUES (:shop_id, :customer_id, :now)
ON CONFLICT (shop_id, customer_id) DO UPDATE SET last_replied_at = EXCLUDED.last_replied_at
 WHERE r.last_replied_at <= EXCLUDED.last_replied_at - make_interval(mins => :throttle)
RETURNING 1
""")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_windows(raw: list[dict[str, Any]]) -> tuple[Window, ...]:
    return tuple(Window(time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
                 for w in raw)


async def automatic_reply(session: AsyncSession | AsyncConnection, shop_id: uuid.UUID,
                          conversation_id: uuid.UUID, customer_id: uuid.UUID, channel: str,
                          text: str, now: datetime) -> AutomaticReply | None:
    """What to answer automatically to ``text`` arriving at ``now`` (aware), if anything.

    ``channel`` is accepted for rules that may later differ per channel; today every rule
    applies to every channel.
    """
    row = await _DECIDE.one(session, {
        "shop_id": shop_id, "norm": normalize(text), "conversation_id": conversation_id,
        "customer_id": customer_id})
    if row.rule_id is not None:
        body, attachments = to_message(row.rule_content)
        return AutomaticReply(body, attachments, row.rule_id, "keyword")
    if not row.hosting:
        return None
    policy = HostingPolicy(True, parse_windows(row.windows), frozenset(row.weekdays),
                           row.wait_minutes, row.throttle_minutes)
    if not hosting_due(policy, now=now, tz=_zone(row.timezone), waiting_since=row.waiting_since,
                       last_replied_at=row.last_replied_at):
        return None
    claimed = await _CLAIM.first(session, {"shop_id": shop_id, "customer_id": customer_id,
                                              "now": now, "throttle": row.throttle_minutes})
    if claimed is None:
        return None  # a concurrent message of this customer got the hosting reply
    body, attachments = to_message(row.content)
    return AutomaticReply(body, attachments, None, "hosting")
