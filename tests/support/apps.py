"""Running an app under test on the suite's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar

__all__ = ["http_client", "running"]


@contextlib.asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """Run ``app``'s lifespan on this loop, in a task of its own.

    Litestar's test client would run the app in a thread with its own loop; here tests can
    reach the app's engine and policy runtime directly. The lifespan's task group must
    start and end in the same task, hence the dedicated one.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # start-up failed: raise its error here
    try:
        yield app
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def http_client(app: Litestar, port: int = 50000) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", port))
    async with httpx.AsyncClient(transport=transport, base_url="http://shopdesk.test") as http:
        yield http
