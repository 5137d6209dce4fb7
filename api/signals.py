"""In-transaction signals: one feature announces a change, others react in the same unit of work.

The workspace announces "a message was recorded", "a conversation's status changed"; the SLA
clocks (and anything else) subscribe at application start. Subscribers run in the
publisher's transaction, on its session, in subscription order, so what they write commits
or rolls back with the change that caused it. The publisher imports nothing of theirs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Subscriber", "clear_subscribers", "is_subscribed", "publish", "subscribe"]

S = TypeVar("S")
Subscriber = Callable[[AsyncSession, Any], Awaitable[None]]

_subscribers: dict[type, list[Subscriber]] = defaultdict(list)


def subscribe(signal_type: type[S], subscriber: Callable[[AsyncSession, S], Awaitable[None]]
              ) -> None:
    """Run ``subscriber`` for every ``signal_type`` published (idempotent per function)."""
    if subscriber not in _subscribers[signal_type]:
        _subscribers[signal_type].append(subscriber)


async def publish(session: AsyncSession, signal: object) -> None:
    """Run every subscriber of ``type(signal)`` now, in the caller's transaction."""
    for subscriber in _subscribers.get(type(signal), ()):
        await subscriber(session, signal)


def is_subscribed(signal_type: type) -> bool:
    """Whether anything subscribed to ``signal_type`` (for signals that must not go unheard)."""
    return bool(_subscribers.get(signal_type))


def clear_subscribers() -> None:
    """Forget every subscription (tests that wire their own)."""
    _subscribers.clear()
