"""A real HTTP server for the suite's app: httpx's ASGI transport buffers whole responses,
so streams are read through uvicorn, served on the suite's own loop (lifespan already run
by the ``app`` fixture; tests reach its hub and policy runtime directly)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from litestar import Litestar

from tests.support.servers import free_port


@pytest.fixture(scope="session")
async def live_url(app: Litestar) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
