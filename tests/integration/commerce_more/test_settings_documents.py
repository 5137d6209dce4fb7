"""Storefront decoration, preview settings and mobile CS settings: validated documents."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.integration.commerce_more.helpers import assert_refused_input, desk
from tests.support.world import World

DECORATION = {"theme": "fresh", "primary_color": "#12ab34", "logo_url": "https://cdn.example/l.png",
              "banners": [{"image_url": "https://cdn.example/b1.jpg", "alt": "双十二"}],
              "sections": [{"kind": "banner_carousel"},
                           {"kind": "products", "title": "新品",
                            "product_group_id": str(uuid.uuid4())},
                           {"kind": "text", "body": "全场包邮"}]}


async def test_decoration_round_trip_with_versions(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    admin = d["admin"].headers()
    empty = (await client.get(d.url("/storefront/decoration"), headers=admin)).json()
    assert empty["version"] == 0 and empty["decoration"]["theme"] == "classic"
    saved = await client.put(d.url("/storefront/decoration"),
                             json={"version": 0, "decoration": DECORATION}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["updated_by"] == str(d["admin"].id)
    read = (await client.get(d.url("/storefront/decoration"), headers=d.founder.headers())).json()
    assert read["decoration"]["sections"][2]["body"] == "全场包邮" and read["version"] == 1
    stale = await client.put(d.url("/storefront/decoration"),
                             json={"version": 0, "decoration": DECORATION}, headers=admin)
    assert stale.status_code == 409 and stale.json()["code"] == "decoration.version_conflict"
    assert stale.json()["details"] == {"current_version": 1}


async def test_two_saves_from_the_same_version_one_wins(world: World,
                                                        client: httpx.AsyncClient) -> None:
    d = await desk(world)
    responses = await asyncio.gather(*(
        client.put(d.url("/storefront/decoration"),
                   json={"version": 0, "decoration": {**DECORATION, "theme": theme}},
                   headers=d["admin"].headers()) for theme in ("dark", "festival")))
    assert sorted(r.status_code for r in responses) == [200, 409]


@pytest.mark.parametrize("change, code", [
    ({"sections": [{"kind": "products"}]}, "decoration.section_incomplete"),
    ({"sections": [{"kind": "text", "body": "  "}]}, "decoration.section_incomplete"),
    ({"banners": [], "sections": [{"kind": "banner_carousel"}]}, "decoration.no_banners"),
])
async def test_decoration_rules(world: World, client: httpx.AsyncClient, change: dict,
                                code: str) -> None:
    d = await desk(world)
    response = await client.put(d.url("/storefront/decoration"),
                                json={"version": 0, "decoration": {**DECORATION, **change}},
                                headers=d["admin"].headers())
    assert response.status_code == 422 and response.json()["code"] == code


async def test_decoration_bad_input(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    for bad in ({"primary_color": "red"}, {"theme": "neon"}, {"logo_url": "http://x.example"},
                {"logo_url": "javascript:alert(1)"}, {"banners": [{"image_url": "https://a"}] * 11},
                {"sections": [{"kind": "text", "body": "x" * 2001}]}, {"unknown": 1},
                {"sections": [{"kind": "text", "body": "a\x00"}]}):
        response = await client.put(d.url("/storefront/decoration"),
                                    json={"version": 0, "decoration": {**DECORATION, **bad}},
                                    headers=d["admin"].headers())
        assert_refused_input(response, bad)
    for version in (-1, 2**40, "1"):
        response = await client.put(d.url("/storefront/decoration"),
                                    json={"version": version, "decoration": DECORATION},
                                    headers=d["admin"].headers())
        assert response.status_code in (400, 409, 422), response.text


async def test_preview_is_for_founder_and_senior_admin_only(world: World,
                                                            client: httpx.AsyncClient) -> None:
    d = await desk(world, roles=("senior_admin", "admin"))
    body = {"version": 0, "preview": {"enabled": True, "devices": ["mobile", "desktop"],
                                      "link_ttl_hours": 48}}
    refused = await client.put(d.url("/storefront/preview"), json=body,
                               headers=d["admin"].headers())
    assert refused.status_code == 403
    assert refused.json()["details"] == {"permission": "shop:preview_settings"}
    saved = await client.put(d.url("/storefront/preview"), json=body,
                             headers=d["senior_admin"].headers())
    assert saved.status_code == 200 and saved.json()["preview"]["link_ttl_hours"] == 48
    dup = await client.put(d.url("/storefront/preview"),
                           json={"version": 1, "preview": {"devices": ["mobile", "mobile"]}},
                           headers=d.founder.headers())
    assert dup.status_code == 422 and dup.json()["code"] == "preview.duplicate_device"
    for bad in ({"devices": []}, {"devices": ["tv"]}, {"link_ttl_hours": 0},
                {"link_ttl_hours": 10**6}):
        response = await client.put(d.url("/storefront/preview"),
                                    json={"version": 1, "preview": bad},
                                    headers=d.founder.headers())
        assert_refused_input(response, bad)


async def test_mobile_cs_settings(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world, roles=("senior_admin", "admin"))
    url = d.url("/cs/mobile-settings")
    assert (await client.get(url, headers=d["admin"].headers())).status_code == 403
    body = {"version": 0, "settings": {"auto_accept": True, "max_concurrent": 5,
                                       "away_message": "稍后回复您",
                                       "quiet_hours": {"start": "22:00", "end": "08:00"}}}
    saved = await client.put(url, json=body, headers=d["senior_admin"].headers())
    assert saved.status_code == 200, saved.text
    read = (await client.get(url, headers=d.founder.headers())).json()
    assert read["settings"]["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    assert read["version"] == 1 and read["settings"]["sound"] is True
    same = await client.put(url, json={"version": 1, "settings": {
        "quiet_hours": {"start": "09:00", "end": "09:00"}}}, headers=d.founder.headers())
    assert same.status_code == 422 and same.json()["code"] == "mobile_cs.empty_quiet_hours"
    for bad in ({"max_concurrent": 0}, {"max_concurrent": 51}, {"away_message": "x" * 501},
                {"quiet_hours": {"start": "25:00", "end": "08:00"}}, {"push": True}):
        response = await client.put(url, json={"version": 1, "settings": bad},
                                    headers=d.founder.headers())
        assert_refused_input(response, bad)


async def test_documents_are_per_shop(world: World, client: httpx.AsyncClient) -> None:
    d, other = await desk(world), await desk(world)
    await client.put(d.url("/storefront/decoration"), json={"version": 0, "decoration": DECORATION},
                     headers=d.founder.headers())
    theirs = (await client.get(other.url("/storefront/decoration"),
                               headers=other.founder.headers())).json()
    assert theirs["version"] == 0 and theirs["decoration"]["theme"] == "classic"
    cross = await client.get(d.url("/storefront/decoration"), headers=other.founder.headers())
    assert cross.status_code == 404 and cross.json()["code"] == "shop.not_found"
