"""A raw asyncio HTTP/1.1 receiver on 127.0.0.1 for webhook tests and the benchmark.

It records every request (headers, body, arrival time) and answers what ``respond`` says:
a status, optionally after a delay, so tests can make a receiver slow, failing or gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["Received", "Receiver"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)


Responder = Callable[[Received], Awaitable[tuple[int, bytes]] | tuple[int, bytes]]


class Receiver:
    def __init__(self, respond: Responder | None = None) -> None:
        self.received: list[Received] = []
        self.respond: Responder = respond or (lambda _r: (200, b"ok"))
        self._server: asyncio.Server | None = None
        self.port = 0
        self.arrived = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                _method, path, _version = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (raw := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = raw.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                item = Received(path, headers, body)
                self.received.append(item)
                self.arrived.set()
                answer = self.respond(item)
                status, payload = await answer if asyncio.iscoroutine(answer) else answer  # type: ignore[misc]
                writer.write(b"HTTP/1.1 %d X\r\ncontent-length: %d\r\n\r\n%s"
                             % (status, len(payload), payload))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def wait_for(self, predicate: Callable[[list[Received]], bool],
                       timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while not predicate(self.received):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"receiver saw {len(self.received)} requests: not enough"
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass
        return self.received
