"""The shop's event log, live (SSE) and paged.

- ``GET /events/stream`` (``cs:workspace``): staff, filtered by what their role may read.
- ``GET /integration/events/stream`` and ``GET /integration/events?after=`` (``events:read``):
  the shop's outbound events for its own systems.

A stream starts after ``Last-Event-ID`` (header, or ``last_event_id`` for clients that cannot
set headers), else at the shop's latest event; every message's ``id`` is its seq, so a
reconnect resumes with nothing lost or repeated. It stays open only for a client that sends
``Accept: text/event-stream`` (as EventSource does); any other client gets the events
committed by now and the end of the response, so a generic HTTP client never hangs. Handlers take no session: a stream must not
hold a database connection while it waits.
"""

from __future__ import annotations

import json
from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import Stream

from api.domain.events.errors import last_event_id_ahead, last_event_id_invalid
from api.domain.events.readers import INTEGRATION_EVENTS, KeyReader, Reader, StaffReader, sse
from api.domain.events.schemas import EventRead
from api.domain.events.stream import EventHub, committed_tail, fetch_events
from api.guard import ShopScope
from api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
)
from api.routing import requires

__all__ = ["EventStreamController", "IntegrationEventController"]

Scope = NamedDependency[ShopScope]
LastEventHeader = Annotated[str | None, HeaderParameter(name="Last-Event-ID", max_length=32)]
LastEventQuery = Annotated[str | None, QueryParameter(name="last_event_id", max_length=32)]
_MAX_SEQ = 2**62
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _parse_seq(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise last_event_id_invalid()
    return int(raw)


async def _open(request: Request, reader: Reader, shop_scope: ShopScope,
                header: str | None, query: str | None) -> Stream:
    hub: EventHub = request.app.state.event_hub
    resume = _parse_seq(header if header is not None else query)
    # A shop already streamed in this process knows its committed tail: a storm of
    # (re)connections to it then costs no query at all.
    tail = hub.known_tail(shop_scope.shop_id)
    if tail is None or (resume is not None and resume > tail):
        tail = await committed_tail(hub.engine, shop_scope.shop_id)
    if resume is not None and resume > tail:
        raise last_event_id_ahead(tail)
    start = tail if resume is None else resume
    follow = "text/event-stream" in request.headers.get("accept", "")
    return Stream(sse(hub, reader, shop_scope.shop_id, start, follow=follow),
                  media_type="text/event-stream", headers=_SSE_HEADERS)


class EventStreamController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/stream", **requires("cs:workspace"))
    async def stream(self, request: Request, shop_scope: Scope,
                     last_event_id: LastEventHeader = None,
                     last_event_id_query: LastEventQuery = None) -> Stream:
        """Live workspace events (SSE) the caller's role may read, with heartbeats."""
        runtime = request.app.state.authz
        reader = StaffReader(runtime, shop_scope.principal, shop_scope.shop_id)  # type: ignore[arg-type]
        return await _open(request, reader, shop_scope, last_event_id, last_event_id_query)


class IntegrationEventController(Controller):
    path = "/integration/events"
    tags = ["integration"]

    @get("/stream", **requires(INTEGRATION_EVENTS))
    async def stream(self, request: Request, shop_scope: Scope,
                     last_event_id: LastEventHeader = None,
                     last_event_id_query: LastEventQuery = None) -> Stream:
        """The shop's outbound events (replies to deliver, actions), live over SSE."""
        token = request.headers.get("authorization", "").partition(" ")[2]
        reader = KeyReader(request.app.state.authz, request.app.state.integration_keys, token,
                           shop_scope.shop_id)
        return await _open(request, reader, shop_scope, last_event_id, last_event_id_query)

    @get("/", **requires(INTEGRATION_EVENTS))
    async def list_events(self, request: Request, shop_scope: Scope,
                          after: Annotated[int, QueryParameter(ge=0, le=_MAX_SEQ)] = 0,
                          limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
                          cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
                          ) -> Page[EventRead]:
        """Outbound events after seq ``after`` (or after ``cursor``), oldest first."""
        key = decode_cursor(cursor, 1)
        if key is not None:
            if not isinstance(key[0], int) or not 0 <= key[0] <= _MAX_SEQ:
                raise invalid_cursor()
            after = key[0]
        hub: EventHub = request.app.state.event_hub
        rows = await fetch_events(hub.engine, shop_scope.shop_id, after, limit + 1,
                                  permission=INTEGRATION_EVENTS)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [EventRead(seq=r.seq, id=r.id, type=r.type, occurred_at=r.occurred_at,
                           data=json.loads(r.data)) for r in rows]
        return Page(items=items, next_cursor=encode_cursor([rows[-1].seq]) if more else None)
