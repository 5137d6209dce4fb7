"""IPv6 forms that carry an IPv4 address inside are judged by that address (SSRF)."""

from __future__ import annotations

import pytest

from api.domain.webhooks.targets import TargetRefused, resolve

EMBEDDED_INSIDE = [
    "https://[64:ff9b::a9fe:a9fe]/x",      # NAT64 of 169.254.169.254 (cloud metadata)
    "https://[64:ff9b::a00:1]/x",          # NAT64 of 10.0.0.1
    "https://[2002:7f00:1::]/x",           # 6to4 of 127.0.0.1
    "https://[::7f00:1]/x",                # IPv4-compatible 127.0.0.1
    "https://[::ffff:0:a00:1]/x",          # IPv4-translated (SIIT) 10.0.0.1
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/x",  # Teredo, client 10.0.0.1
    "https://[fec0::1]/x",                 # deprecated site-local
]


@pytest.mark.parametrize("url", EMBEDDED_INSIDE)
async def test_ipv6_embedding_a_private_ipv4_is_refused(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await resolve(url, allow_private=False)
    assert refused.value.code == "webhook.url_not_public"


async def test_nat64_of_a_public_ipv4_is_allowed() -> None:
    target = await resolve("https://[64:ff9b::5db8:d70e]/x", allow_private=False)
    assert target.url == "https://[64:ff9b::5db8:d70e]:443/x"


@pytest.mark.parametrize("host", ["a" * 64 + ".example", "a..b.example"])
async def test_a_host_the_idna_codec_refuses_is_unresolvable_not_a_crash(host: str) -> None:
    # A label over 63 characters or an empty one: getaddrinfo raises UnicodeError, not OSError.
    with pytest.raises(TargetRefused) as refused:
        await resolve(f"https://{host}/x", allow_private=False)
    assert refused.value.code == "webhook.url_unresolvable"


async def test_registering_an_overlong_label_is_a_422(world) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    response = await world.client.post(
        f"/api/v1/shops/{shop_id}/webhooks/endpoints",
        json={"url": "https://" + "a" * 64 + ".example/x", "event_types": ["*"]},
        headers=founder.headers())
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "webhook.url_unresolvable"
