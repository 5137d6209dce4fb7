"""A server killed mid-delivery: afterwards every event arrives at least once, none is
invented, and a receiver that de-duplicates by ``webhook-id`` sees each exactly once, a
conversation's messages still in order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest

from tests.integration.webhooks.conftest import emit_events, register
from tests.integration.webhooks.receiver import Receiver
from tests.support.database import TestDatabase
from tests.support.servers import free_port, wait_until_ready
from tests.support.settings import TEST_SIGNING_KEYS
from tests.support.world import World

pytestmark = pytest.mark.slow


def _serve(database: TestDatabase, data_dir: str) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    os.makedirs(data_dir, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": database.owner_url, "DATABASE_APP_URL": database.app_url,
           "SHOPDESK_JWT_KEYS": TEST_SIGNING_KEYS, "SHOPDESK_LOG_LEVEL": "WARNING",
           "SHOPDESK_DATA_DIR": data_dir, "SHOPDESK_WEBHOOKS_DISPATCHER": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, text=True,
        # A file, not a pipe: nobody reads it while the server runs, and a full pipe blocks.
        stderr=open(os.path.join(data_dir, "stderr.log"), "w"))
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url, process, timeout=60)
    return process, url


async def test_killed_server_loses_and_invents_nothing(world: World, database: TestDatabase,
                                                       tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()

    async def slow(_item):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)  # long enough to be caught mid-attempt
        return 200, b""

    async with Receiver(slow) as receiver:
        await register(world, shop_id, founder, receiver.url)
        first, url = await asyncio.to_thread(_serve, database, str(tmp_path / "a"))
        try:
            ids = await emit_events(world, shop_id, [
                *[("message.outbound", {"conversation_id": "A", "n": i}) for i in range(8)],
                *[("sla.breached", {"n": i}) for i in range(12)]])
            # Kill -9 once some, not all, of the conversation's messages have arrived.
            await receiver.wait_for(lambda r: sum(b"conversation_id" in x.body for x in r) >= 3)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        seen_before = len(receiver.received)
        assert seen_before < 20 + 8, "everything arrived before the kill: nothing was tested"
        second, _ = await asyncio.to_thread(_serve, database, str(tmp_path / "b"))
        try:
            # Cut-off attempts come due again once their lease (2 x timeout + 5 s) expires.
            await receiver.wait_for(
                lambda r: len({x.headers["webhook-id"] for x in r}) >= len(ids), timeout=60)
            await asyncio.sleep(0.5)
        finally:
            second.terminate()
            second.wait(timeout=15)
    delivered_ids = [x.headers["webhook-id"] for x in receiver.received]
    assert set(delivered_ids) == {str(i) for i in ids}  # every one, and none invented
    unique, order = set(), []
    for item in receiver.received:  # what a receiver de-duplicating by webhook-id keeps
        if item.headers["webhook-id"] in unique:
            continue
        unique.add(item.headers["webhook-id"])
        body = json.loads(item.body)
        if body["data"].get("conversation_id") == "A":
            order.append(body["data"]["n"])
    assert order == list(range(8))
