"""WeChat overview and realtime figures: one aggregate query each over the core tables.

"Today" is the shop's own calendar day (its time zone), which is what the seed's 微信概况
shows. The 48-hour reach follows WeChat's rule that a service account may only message a
fan within 48 hours of the fan's last message (seed 000).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.wechat.schemas import WechatOverview, WechatRealtime

__all__ = ["overview", "realtime"]

_OVERVIEW = text("""
WITH day AS (
    SELECT date_trunc('day', now() AT TIME ZONE s.timezone) AT TIME ZONE s.timezone AS start
      FROM shops s WHERE s.id = :shop_id
)
SELECT day.start AS day_start,
  (SELECT count(DISTINCT i.customer_id) FROM customer_identities i
    WHERE i.shop_id = :shop_id AND i.channel = 'wechat') AS fans_total,
  (SELECT count(*) FROM customer_identities i
    WHERE i.shop_id = :shop_id AND i.channel = 'wechat' AND i.created_at >= day.start)
    AS new_fans_today,
  (SELECT count(*) FROM conversations c
    WHERE c.shop_id = :shop_id AND c.channel = 'wechat' AND c.created_at >= day.start)
    AS conversations_today,
  (SELECT count(*) FROM messages m
    WHERE m.shop_id = :shop_id AND m.channel = 'wechat' AND m.created_at >= day.start
      AND m.author_kind = 'customer') AS customer_messages_today,
  (SELECT count(*) FROM messages m
    WHERE m.shop_id = :shop_id AND m.channel = 'wechat' AND m.created_at >= day.start
      AND m.author_kind <> 'customer' AND m.visibility = 'public') AS replies_today,
  (SELECT count(DISTINCT c.customer_id) FROM conversations c
    WHERE c.shop_id = :shop_id AND c.channel = 'wechat'
      AND (c.created_at >= day.start OR c.last_customer_message_at >= day.start))
    AS customers_served_today
FROM day
""")

_REALTIME = text("""
SELECT now() AS as_of,
  count(*) FILTER (WHERE status <> 'resolved') AS open_now,
  count(*) FILTER (WHERE status <> 'resolved' AND waiting_since IS NOT NULL) AS waiting_now,
  count(*) FILTER (WHERE status <> 'resolved' AND assignee_id IS NULL) AS unassigned_now,
  extract(epoch FROM now() - min(waiting_since) FILTER (WHERE status <> 'resolved'))
    AS longest_wait_seconds,
  count(DISTINCT customer_id) FILTER (
    WHERE last_customer_message_at > now() - interval '48 hours') AS reachable_fans
FROM conversations WHERE shop_id = :shop_id AND channel = 'wechat'
""")


async def overview(session: AsyncSession, shop_id: uuid.UUID) -> WechatOverview:
    row = (await session.execute(_OVERVIEW, {"shop_id": shop_id})).one()
    return WechatOverview(**row._asdict())


async def realtime(session: AsyncSession, shop_id: uuid.UUID) -> WechatRealtime:
    row = (await session.execute(_REALTIME, {"shop_id": shop_id})).one()
    wait = row.longest_wait_seconds
    return WechatRealtime(as_of=row.as_of, open_now=row.open_now, waiting_now=row.waiting_now,
                          unassigned_now=row.unassigned_now,
                          longest_wait_seconds=float(wait) if wait is not None else None,
                          reachable_fans=row.reachable_fans)
