"""A key revoked through one API process is refused by another within a second (the
revocation journals a policy change; LISTEN/NOTIFY carries it, polling is slowed to a
minute by the fixture so only the notification can explain it)."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conversations.workspace import key_headers, make_key
from tests.integration.rbac.test_multi_process import (  # noqa: F401 - fixtures
    _login,
    _seconds_until_refused,
    clients,
    servers,
)
from tests.support.world import World

pytestmark = pytest.mark.slow


async def test_a_key_revoked_through_one_process_is_refused_by_the_other(  # type: ignore[no-untyped-def]
        world: World, clients) -> None:  # noqa: F811
    a, b = clients
    shop_id, founder = await world.shop()
    key = await make_key(world, shop_id, founder, ["messages:ingest"])
    path = f"/api/v1/shops/{shop_id}/messages/inbound"

    def body() -> dict[str, str]:
        return {"channel": "wechat", "customer_external_id": "fan", "text": "hi",
                "channel_message_id": uuid.uuid4().hex}

    used = await b.post(path, headers=key_headers(key), json=body())  # now cached in b
    assert used.status_code == 200, used.text
    revoked = await a.post(f"/api/v1/shops/{shop_id}/integration-keys/{key['id']}/revoke",
                           headers=await _login(a, founder))
    assert revoked.status_code == 200, revoked.text
    seconds = await _seconds_until_refused(b, "POST", path, key_headers(key), 401,
                                           "auth.key_revoked")
    assert seconds < 1.0
