"""Which events an endpoint receives, and which deliveries must go out in order.

Patterns: an exact type (``message.outbound``), a prefix wildcard (``conversation.*``
matches ``conversation.assigned`` and ``conversation.sla.breached``) or ``*`` (all).

Ordering: events about one conversation (``message.*`` and ``conversation.*`` carrying a
``conversation_id``, or a ``conversation.*`` event's own ``id``) reach each endpoint one at
a time in the shop's event order: the next is sent only after the previous one was
delivered or gave up. Everything else is unordered and delivered in parallel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["PATTERN_RE", "matches", "ordering_key"]

PATTERN_RE = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")
_ORDERED_PREFIXES = ("message.", "conversation.")


def matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def ordering_key(event_type: str, data: dict[str, Any]) -> str | None:
    if not event_type.startswith(_ORDERED_PREFIXES):
        return None
    conversation = data.get("conversation_id")
    if conversation is None and event_type.startswith("conversation."):
        conversation = data.get("id")
    return f"conversation:{conversation}" if conversation else None
