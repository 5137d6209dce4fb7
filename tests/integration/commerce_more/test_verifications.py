"""Verification (核销): issued by the store, redeemed exactly once, attempts bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.verifications.services import MAX_FAILURES
from tests.integration.commerce_more.helpers import Desk, assert_refused_input, desk
from tests.integration.commerce_more.test_trade import push_order
from tests.support.world import World

ROLES = ("senior_admin", "admin", "agent", "verifier")


def _future(days: float = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def issue(client: httpx.AsyncClient, d: Desk, platform_order_id: str = "o-1", *,
                expires_at: str | None = None, label: str = "茶艺体验券") -> dict:
    response = await client.post(d.url("/sync/verification-codes"), json={
        "platform_order_id": platform_order_id, "expires_at": expires_at or _future(),
        "label": label}, headers=d.store)
    assert response.status_code == 201, response.text
    return response.json()


async def redeem(client: httpx.AsyncClient, d: Desk, role: str, code: str,
                 client_kind: str = "mobile") -> httpx.Response:
    return await client.post(d.url("/verifications/redeem"), json={"code": code},
                             headers=d[role].headers(client_kind))


async def _desk_with_order(world: World, client: httpx.AsyncClient) -> Desk:
    d = await desk(world, roles=ROLES)
    await push_order(client, d, "o-1", "paid")
    return d


async def test_verifier_redeems_once_from_mobile(world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    issued = await issue(client, d)
    assert len(issued["code"]) == 16 and issued["code_hint"] == issued["code"][-4:]
    web = await redeem(client, d, "verifier", issued["code"], "web")
    assert web.status_code == 403 and web.json()["code"] == "client.mobile_only"
    grouped = " ".join(issued["code"][i:i + 4] for i in range(0, 16, 4))
    done = await redeem(client, d, "verifier", grouped)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["platform_order_id"] == "o-1" and body["redeemed_by"] == str(d["verifier"].id)
    assert body["redeemed_client"] == "mobile" and body["action_status"] == "requested"
    again = await redeem(client, d, "agent", issued["code"])
    assert again.status_code == 409 and again.json()["code"] == "verification.already_redeemed"
    # The store learns of it as a store action.
    action = await client.get(d.url(f"/store-actions/{body['action_id']}"),
                              headers=d["admin"].headers())
    assert action.status_code == 200, action.text
    assert action.json()["kind"] == "verification.redeem"
    assert action.json()["payload"]["platform_order_id"] == "o-1"


async def test_two_concurrent_redemptions_one_wins(world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    code = (await issue(client, d))["code"]
    responses = await asyncio.gather(redeem(client, d, "verifier", code),
                                     redeem(client, d, "agent", code),
                                     redeem(client, d, "admin", code))
    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "verification.already_redeemed"}
    listed = (await client.get(d.url("/verifications"), headers=d["admin"].headers())).json()
    assert len(listed["items"]) == 1


async def test_unknown_and_expired_codes(world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    unknown = await redeem(client, d, "verifier", "0000000000000000")
    assert unknown.status_code == 404 and unknown.json()["code"] == "verification.unknown_code"
    code = (await issue(client, d))["code"]

    async def expire(session):  # type: ignore[no-untyped-def]
        await bind_shop(session, d.shop_id)
        await session.execute(text("UPDATE verification_codes SET expires_at = now() - "
                                   "interval '1 minute' WHERE shop_id = :s"), {"s": d.shop_id})

    await world._commit(expire)
    expired = await redeem(client, d, "verifier", code)
    assert expired.status_code == 410 and expired.json()["code"] == "verification.expired"


async def test_failed_attempts_are_bounded_per_member(world: World,
                                                      client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    code = (await issue(client, d))["code"]
    for i in range(MAX_FAILURES):
        response = await redeem(client, d, "verifier", f"{i:016d}")
        assert response.status_code == 404, response.text
    blocked = await redeem(client, d, "verifier", code)  # even the right code now waits
    assert blocked.status_code == 429 and blocked.json()["code"] == "verification.too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0
    # Another member's budget is their own.
    assert (await redeem(client, d, "agent", code)).status_code == 200


async def test_concurrent_guesses_cannot_overrun_the_budget(world: World,
                                                            client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    responses = await asyncio.gather(*(redeem(client, d, "verifier", f"{i:016d}")
                                       for i in range(MAX_FAILURES + 5)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [404] * MAX_FAILURES + [429] * 5


async def test_own_and_all_redemption_lists(world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    for role in ("verifier", "verifier", "agent"):
        code = (await issue(client, d))["code"]
        assert (await redeem(client, d, role, code)).status_code == 200
    mine = (await client.get(d.url("/verifications/mine"),
                             headers=d["verifier"].headers("mobile"))).json()
    assert len(mine["items"]) == 2
    assert {i["redeemed_by"] for i in mine["items"]} == {str(d["verifier"].id)}
    page = (await client.get(d.url("/verifications/mine?limit=1"),
                             headers=d["verifier"].headers("mobile"))).json()
    assert page["next_cursor"]
    agent_own = (await client.get(d.url("/verifications/mine"),
                                  headers=d["agent"].headers())).json()
    assert len(agent_own["items"]) == 1
    everything = (await client.get(d.url("/verifications"), headers=d["admin"].headers())).json()
    assert len(everything["items"]) == 3
    only = (await client.get(d.url(f"/verifications?redeemed_by={d['agent'].id}"),
                             headers=d["admin"].headers())).json()
    assert len(only["items"]) == 1
    for role, client_kind in (("agent", "web"), ("verifier", "mobile")):
        refused = await client.get(d.url("/verifications"), headers=d[role].headers(client_kind))
        assert refused.status_code == 403
        assert refused.json()["details"] == {"permission": "verifications:read"}
    web = await client.get(d.url("/verifications/mine"), headers=d["verifier"].headers("web"))
    assert web.status_code == 403 and web.json()["code"] == "client.mobile_only"


async def test_store_failure_reopens_the_code_and_a_new_redemption_retries(
        world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    confirm = await store_confirm_key(world, d)
    code = (await issue(client, d))["code"]
    first = (await redeem(client, d, "verifier", code)).json()
    failed = await client.post(d.url(f"/store-actions/{first['action_id']}/confirm"),
                               json={"outcome": "failed", "reason": "订单已退款"}, headers=confirm)
    assert failed.status_code == 200, failed.text
    assert (await client.get(d.url("/verifications"), headers=d["admin"].headers())
            ).json()["items"] == []
    again = await redeem(client, d, "agent", code)
    assert again.status_code == 200, again.text
    assert again.json()["action_id"] == first["action_id"]  # the same action, retried
    assert again.json()["action_status"] == "requested"


async def test_issue_refusals_and_bad_input(world: World, client: httpx.AsyncClient) -> None:
    d = await _desk_with_order(world, client)
    other = await desk(world)
    missing = await client.post(d.url("/sync/verification-codes"), json={
        "platform_order_id": "nope", "expires_at": _future()}, headers=d.store)
    assert missing.status_code == 404 and missing.json()["code"] == "verification.order_not_found"
    for expires in (_future(-1), _future(400)):
        response = await client.post(d.url("/sync/verification-codes"), json={
            "platform_order_id": "o-1", "expires_at": expires}, headers=d.store)
        assert response.status_code == 422 and response.json()["code"] == "verification.bad_expiry"
    # Another shop's key cannot issue here; another shop's order is unknown to this shop.
    cross = await client.post(d.url("/sync/verification-codes"), json={
        "platform_order_id": "o-1", "expires_at": _future()}, headers=other.store)
    assert cross.status_code == 404 and cross.json()["code"] == "shop.not_found"
    theirs = await client.post(other.url("/sync/verification-codes"), json={
        "platform_order_id": "o-1", "expires_at": _future()}, headers=other.store)
    assert theirs.status_code == 404 and theirs.json()["code"] == "verification.order_not_found"
    # A code of this shop is unknown in another shop.
    code = (await issue(client, d))["code"]
    foreign = await client.post(other.url("/verifications/redeem"), json={"code": code},
                                headers=other.founder.headers("mobile"))
    assert foreign.status_code == 404 and foreign.json()["code"] == "verification.unknown_code"
    for bad in ({"code": ""}, {"code": "abc"}, {"code": "1" * 40}, {"code": 1234},
                {"code": "1\x00"}, {"code": "1", "x": 1}):
        response = await client.post(d.url("/verifications/redeem"), json=bad,
                                     headers=d["verifier"].headers("mobile"))
        assert_refused_input(response, bad)
    staff_issue = await client.post(d.url("/sync/verification-codes"), json={
        "platform_order_id": "o-1", "expires_at": _future()}, headers=d.founder.headers())
    assert staff_issue.status_code == 403


async def store_confirm_key(world: World, d: Desk) -> dict[str, str]:
    from tests.integration.commerce_more.helpers import store_key

    return await store_key(world, d.shop_id, ("actions:confirm",))
