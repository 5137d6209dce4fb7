from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["WechatOverview", "WechatRealtime"]


class WechatOverview(msgspec.Struct):
    """Today (in the shop's time zone) and all-time figures of the WeChat channel."""

    day_start: datetime
    fans_total: int  # customers with a WeChat identity
    new_fans_today: int
    conversations_today: int
    customer_messages_today: int
    replies_today: int  # public staff, automatic and system messages
    customers_served_today: int  # distinct customers with a conversation today


class WechatRealtime(msgspec.Struct):
    as_of: datetime
    open_now: int
    waiting_now: int  # a customer message nobody has answered yet
    unassigned_now: int
    longest_wait_seconds: float | None
    # WeChat lets a shop message a fan only within 48 hours of the fan's last message.
    reachable_fans: int
