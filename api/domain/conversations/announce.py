"""Events a workspace change will emit, gathered while it runs and written at its end.

Appending to the event log takes the shop's counter row lock until commit. Gathering first
and emitting last keeps that lock as short as possible and always taken after the
conversation's own row lock, so two changes never wait on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.audit.services import record_entry
from api.domain.events.outbox import emit

__all__ = ["Announcements", "INTEGRATION_PERMISSION", "STAFF_PERMISSION"]

STAFF_PERMISSION = "cs:workspace"
# What a shop's own systems read with an ``events:read`` key (replies to deliver).
INTEGRATION_PERMISSION = "events:read"


@dataclass(slots=True)
class Announcements:
    shop_id: uuid.UUID
    _events: list[tuple[str, dict[str, Any], str, uuid.UUID | None]] = field(default_factory=list)

    def staff(self, type_: str, data: dict[str, Any], subject: uuid.UUID | None = None) -> None:
        """For the staff stream: ``subject`` narrows it to that member (and supervisors)."""
        self._events.append((type_, data, STAFF_PERMISSION, subject))

    def integration(self, type_: str, data: dict[str, Any]) -> None:
        """For the shop's systems (never a note: notes are not for the customer)."""
        self._events.append((type_, data, INTEGRATION_PERMISSION, None))

    async def flush(self, session: AsyncSession, audit: dict[str, Any] | None = None) -> None:
        """Emit what was gathered; ``audit`` (``entry_params``) rides with the last event, or
        is written on its own when there is none."""
        last = len(self._events) - 1
        for i, (type_, data, permission, subject) in enumerate(self._events):
            await emit(session, self.shop_id, type_, data, permission=permission,
                       subject_user_id=subject, audit=audit if i == last else None)
        self._events.clear()
        if last < 0 and audit is not None:
            await record_entry(session, audit)
