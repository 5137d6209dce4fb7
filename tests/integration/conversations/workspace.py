"""Helpers shared by the workspace tests: keys, inbound messages, presence, error shape."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from rbac.catalog import INTEGRATION_SCOPES
from tests.support.world import Account, World

__all__ = ["assert_error", "go_online", "inbound", "key_headers", "make_key", "shop_path"]


def shop_path(shop_id: uuid.UUID, rest: str = "") -> str:
    return f"/api/v1/shops/{shop_id}{rest}"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "details", "request_id"}, body
    return body


async def make_key(world: World, shop_id: uuid.UUID, founder: Account,
                   scopes: list[str] | None = None, name: str = "storefront") -> dict[str, Any]:
    response = await world.client.post(
        shop_path(shop_id, "/integration-keys"), headers=founder.headers(),
        json={"name": name, "scopes": scopes or sorted(INTEGRATION_SCOPES)})
    assert response.status_code == 201, response.text
    return response.json()


def key_headers(key: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['token']}"}


async def inbound(world: World, shop_id: uuid.UUID, key: dict[str, Any], *,
                  customer: str = "buyer-1", channel: str = "web", text: str = "hello",
                  cmid: str | None = None, **extra: Any) -> httpx.Response:
    return await world.client.post(shop_path(shop_id, "/messages/inbound"), headers=key_headers(key),
                                   json={"channel": channel, "customer_external_id": customer,
                                         "channel_message_id": cmid or uuid.uuid4().hex,
                                         "text": text, **extra})


async def go_online(world: World, shop_id: uuid.UUID, account: Account, status: str = "online",
                    via: str = "workspace") -> dict[str, Any]:
    response = await world.client.put(shop_path(shop_id, "/presence/me"), headers=account.headers(),
                                      json={"status": status, "via": via})
    assert response.status_code == 200, response.text
    return response.json()
