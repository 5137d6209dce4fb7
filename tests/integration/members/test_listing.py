"""The staff list: cursor pagination, removed members on request, bad query values."""

from __future__ import annotations

import base64

import pytest

from tests.integration.members.helpers import quiet_staff
from tests.support.http import assert_error
from tests.support.paths import members_path
from tests.support.world import World


async def _walk(world: World, path: str, headers: dict[str, str], **params: object) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
        if cursor:
            query["cursor"] = cursor
        response = await world.client.get(path, headers=headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


async def test_pages_cover_every_member_once_in_a_stable_order(world: World) -> None:
    shop_id, founder = await world.shop()
    staff = [await quiet_staff(world, shop_id, role) for role in
             ("senior_admin", "admin", "admin", "agent", "agent", "verifier")]

    pages = await _walk(world, members_path(shop_id), founder.headers(), limit=2)

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    ids = [item["user_id"] for page in pages for item in page]
    assert sorted(ids) == sorted(str(a.id) for a in [founder, *staff])
    one_page = (await world.client.get(members_path(shop_id), headers=founder.headers(),
                                       params={"limit": 200})).json()
    assert [item["user_id"] for item in one_page["items"]] == ids
    assert one_page["next_cursor"] is None
    keys = [(item["created_at"], item["user_id"]) for item in one_page["items"]]
    assert keys == sorted(keys)


async def test_removed_members_are_listed_only_on_request(world: World) -> None:
    shop_id, founder = await world.shop()
    keep = await quiet_staff(world, shop_id, "agent")
    gone = [await quiet_staff(world, shop_id, "agent") for _ in range(3)]
    for account in gone:
        response = await world.client.delete(members_path(shop_id, account.id),
                                             headers=founder.headers())
        assert response.status_code == 204, response.text

    active = [i for p in await _walk(world, members_path(shop_id), founder.headers(), limit=1)
              for i in p]
    everyone = [i for p in await _walk(world, members_path(shop_id), founder.headers(), limit=2,
                                       include_removed=True) for i in p]

    assert {i["user_id"] for i in active} == {str(founder.id), str(keep.id)}
    assert {i["user_id"] for i in everyone} == {str(a.id) for a in (founder, keep, *gone)}
    assert {i["status"] for i in everyone if i["user_id"] in {str(a.id) for a in gone}} == {"removed"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor!!",
    _b64(b"[1]"),
    _b64(b'{"a": 1}'),
    _b64(b'["yesterday", "00000000-0000-0000-0000-000000000000"]'),
    _b64(b'["2026-01-01T00:00:00+00:00", "not-a-uuid"]'),
    _b64(b'["2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"]'),
    _b64(b'[1, 2]'),
])
async def test_bad_cursor_is_refused(world: World, cursor: str) -> None:
    shop_id, founder = await world.shop()
    assert_error(await world.client.get(members_path(shop_id), headers=founder.headers(),
                                        params={"cursor": cursor}),
                 400, "pagination.invalid_cursor")


@pytest.mark.parametrize("limit", ["0", "201", "500", "-1", "ten"])
async def test_limit_out_of_range_is_refused(world: World, limit: str) -> None:
    shop_id, founder = await world.shop()
    response = await world.client.get(members_path(shop_id), headers=founder.headers(),
                                      params={"limit": limit})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"].startswith("request.")
