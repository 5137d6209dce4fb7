"""Reading a live event stream in tests, and writing to a shop's event log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.db.shop_context import bind_shop
from api.domain.events.outbox import emit
from tests.support.world import World

__all__ = ["Frame", "SseStream", "emit_event", "open_stream"]


@dataclass
class Frame:
    id: str | None = None
    event: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.data)


class SseStream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments: list[str] = []
        self.closed = False

    async def next(self, timeout: float = 5.0) -> Frame | None:
        """The next message (comments are collected aside); ``None`` when the stream ended."""
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Frame | None:
        frame = Frame()
        got = False
        while True:
            try:
                line = await self._lines.__anext__()
            except StopAsyncIteration:
                self.closed = True
                return None
            if line == "":
                if got:
                    return frame
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            got = True
            if name == "id":
                frame.id = value
            elif name == "event":
                frame.event = value
            elif name == "data":
                frame.data = value if not frame.data else frame.data + "\n" + value

    async def events(self, count: int, timeout: float = 5.0) -> list[Frame]:
        return [f for f in [await self.next(timeout) for _ in range(count)] if f is not None]

    async def nothing_within(self, seconds: float) -> bool:
        try:
            frame = await self.next(seconds)
        except TimeoutError:
            return True
        return frame is None


@contextlib.asynccontextmanager
async def open_stream(url: str, path: str, headers: dict[str, str],
                      expect: int = 200) -> AsyncIterator[SseStream]:
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10.0, read=None)) as http:
        async with http.stream("GET", path,
                               headers={"Accept": "text/event-stream", **headers}) as response:
            if response.status_code != expect:
                await response.aread()
                raise AssertionError(f"{response.status_code}: {response.text}")
            stream = SseStream(response)
            if expect == 200:
                assert response.headers["content-type"].startswith("text/event-stream")
                # The first thing sent is a comment: the stream is subscribed from here on.
                first = await asyncio.wait_for(stream._lines.__anext__(), 5)
                assert first.startswith(":"), first
            yield stream


async def emit_event(world: World, shop_id: uuid.UUID, type_: str, data: dict[str, Any],
                     *, permission: str = "cs:workspace",
                     subject_user_id: uuid.UUID | None = None) -> int:
    """Commit one event to ``shop_id``'s log, as the workspace would; its seq."""
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        emitted = await emit(session, shop_id, type_, data, permission=permission,
                             subject_user_id=subject_user_id)
    return emitted.seq
