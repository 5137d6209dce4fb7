"""Who reads a live stream, what they may see, and the SSE loop that serves them.

A reader's access is re-checked at every wake and at least every ``recheck_seconds`` while
idle, against the process's policy (kept current in-process by ``rbac.runtime``), and the
hub wakes a shop's readers as soon as that shop's policy changes: a removed member's
stream ends on the change, not at the next request. Staff see an event only if they hold
its ``permission``; events about one member (``subject_user_id``) only reach that member
and those with ``cs:supervise``. Integration keys read the shop's outbound events (those
emitted with permission ``events:read``), never staff notes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

from api.auth.integration_keys import KeyCache
from api.auth.principal import IntegrationKeyPrincipal, UserPrincipal
from api.domain.events.stream import BATCH, EventHub, EventRow, fetch_events
from api.errors import ApiError
from api.guard import check_session
from rbac.catalog import INTEGRATION_SCOPES
from rbac.runtime import AuthzRuntime

__all__ = ["INTEGRATION_EVENTS", "KeyReader", "Reader", "StaffReader", "sse"]

INTEGRATION_EVENTS = "events:read"  # the permission the workspace emits outbound events with
STREAM_PERMISSION = "cs:workspace"
SUPERVISE = "cs:supervise"


class Reader(Protocol):
    permission_filter: str | None  # read only events with this permission, in SQL

    async def allowed(self) -> str | None:
        """``None`` while the reader may go on; otherwise why the stream ends."""

    def visible(self, row: EventRow) -> bool: ...


class StaffReader:
    permission_filter = None

    def __init__(self, runtime: AuthzRuntime, principal: UserPrincipal, shop_id: uuid.UUID):
        self.runtime = runtime
        self.principal = principal
        self.user_id = uuid.UUID(principal.user_id)
        self.shop = str(shop_id)
        self._decided: dict[str, bool] = {}
        self._decided_for: tuple[int, int] = (-1, 0)

    def _can(self, permission: str) -> bool:
        """The policy's decision, remembered until the policy changes (every applied change
        moves ``runtime.version``; a rebuild also swaps the engine), so a wake of many
        readers costs dictionary lookups, not policy evaluations."""
        policy = self.runtime.policy
        assert policy is not None
        current = (self.runtime.version, id(policy))
        if current != self._decided_for:
            self._decided_for = current
            self._decided.clear()
        allowed = self._decided.get(permission)
        if allowed is None:
            allowed = self._decided[permission] = policy.decide(
                permission, self.principal.user_id, self.shop, self.principal.client).allowed
        return allowed

    async def allowed(self) -> str | None:
        try:
            check_session(self.runtime, self.principal)
        except ApiError as exc:
            return exc.code
        if time.time() >= self.principal.expires_at:
            return "auth.token_expired"
        return None if self._can(STREAM_PERMISSION) else "access.revoked"

    def visible(self, row: EventRow) -> bool:
        if row.permission in INTEGRATION_SCOPES:
            return False  # for the shop's systems, not for staff
        if not self._can(row.permission):
            return False
        if row.subject_user_id is None or row.subject_user_id == self.user_id:
            return True
        return self._can(SUPERVISE)


class KeyReader:
    permission_filter = INTEGRATION_EVENTS

    def __init__(self, runtime: AuthzRuntime, keys: KeyCache, token: str,
                 shop_id: uuid.UUID) -> None:
        self.runtime = runtime
        self.keys = keys
        self.token = token
        self.shop_id = shop_id

    async def allowed(self) -> str | None:
        try:
            key: IntegrationKeyPrincipal = await self.keys.authenticate(self.token)
        except ApiError as exc:
            return exc.code
        policy = self.runtime.policy
        shop = policy.shops.get(str(self.shop_id)) if policy is not None else None
        if key.shop_id != self.shop_id or shop is None or shop.status != "active":
            return "access.revoked"
        return None if INTEGRATION_EVENTS in key.scopes else "integration.scope_missing"

    def visible(self, row: EventRow) -> bool:
        return row.permission == INTEGRATION_EVENTS


def _end_frame(reason: str) -> bytes:
    return f'event: stream.end\ndata: {{"reason":"{reason}"}}\n\n'.encode()


async def sse(hub: EventHub, reader: Reader, shop_id: uuid.UUID, last: int, *,
              follow: bool = True) -> AsyncIterator[bytes]:
    """Events after ``last`` as SSE frames, until the reader loses access or disconnects
    (``follow`` false: only those committed by now, then the stream ends)."""
    feed, wake = hub.subscribe(shop_id)  # before the first read: no wake can be missed
    try:
        yield b": connected\n\n"
        written = time.monotonic()
        while True:
            reason = await reader.allowed()
            if reason is not None:
                yield _end_frame(reason)
                return
            wake.clear()
            rows = feed.rows_after(last)
            from_table = rows is None
            if rows is None:
                rows = await fetch_events(hub.engine, shop_id, last, BATCH,
                                          permission=reader.permission_filter)
            out = [row.encoded for row in rows if reader.visible(row)]
            if rows:
                last = rows[-1].seq
            if out:
                yield b"".join(out)
                written = time.monotonic()
            if from_table and len(rows) == BATCH:
                continue  # catching up: read on before waiting
            if not follow:
                return
            try:
                await asyncio.wait_for(wake.wait(), hub.recheck_seconds)
            except TimeoutError:
                pass
            if time.monotonic() - written >= hub.heartbeat_seconds:
                yield b": keep-alive\n\n"
                written = time.monotonic()
    finally:
        hub.unsubscribe(shop_id, wake)
