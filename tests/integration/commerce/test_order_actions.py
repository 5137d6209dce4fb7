"""Order actions as store actions: requested, confirmed by the store, retried, idempotent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.commerce.helpers import make_shop, store_key

SHIP = {"carrier": "SF Express", "tracking_number": "SF1234567890"}


async def _events(world, shop_id, type_: str) -> list[dict]:
    async with world.app.state.sessionmaker() as session, session.begin():
        await session.execute(text("SELECT set_config('app.shop_id', :s, true)"),
                              {"s": str(shop_id)})
        rows = (await session.execute(text(
            "SELECT data FROM events WHERE shop_id = :s AND type = :t ORDER BY seq"),
            {"s": shop_id, "t": type_})).all()
    return [r.data for r in rows]


async def test_ship_is_requested_then_applied_by_the_store(world) -> None:
    shop = await make_shop(world)
    order = await shop.order()
    response = await world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP,
                                       headers=shop.h("agent"))
    assert response.status_code == 202, response.text
    action = response.json()
    assert action["status"] == "requested" and action["kind"] == "order.ship"
    # Nothing changes locally before the store applies it.
    still = (await world.client.get(shop.url(f"/orders/{order['id']}"),
                                    headers=shop.h("agent"))).json()
    assert still["status"] == "paid"
    requested = await _events(world, shop.shop_id, "store_action.requested")
    assert requested[-1]["action_id"] == action["id"]
    assert requested[-1]["payload"]["tracking_number"] == SHIP["tracking_number"]
    confirmed = await shop.confirm(action["id"])
    assert confirmed["status"] == "applied"
    shipped = (await world.client.get(shop.url(f"/orders/{order['id']}"),
                                      headers=shop.h("agent"))).json()
    assert shipped["status"] == "shipped" and shipped["carrier"] == "SF Express"
    # The store delivering its answer twice is a no-op; a contrary answer is a conflict.
    assert (await shop.confirm(action["id"]))["status"] == "applied"
    contrary = await world.client.post(shop.url(f"/store-actions/{action['id']}/confirm"),
                                       json={"outcome": "failed", "reason": "no"},
                                       headers=shop.store)
    assert contrary.status_code == 409
    assert contrary.json()["code"] == "store_action.already_confirmed"
    again = await world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP,
                                    headers=shop.h("agent"))
    assert again.status_code == 409 and again.json()["code"] == "orders.already_shipped"


async def test_failed_action_shows_reason_and_is_retried_with_its_key(world) -> None:
    shop = await make_shop(world)
    order = await shop.order(status="pending_payment")
    headers = {**shop.h("agent"), "Idempotency-Key": "reprice-1"}
    first = (await world.client.post(shop.url(f"/orders/{order['id']}/reprice"),
                                     json={"total_minor": 8_000}, headers=headers)).json()
    failed = await shop.confirm(first["id"], "failed", "price locked by a promotion")
    assert failed["status"] == "failed" and failed["reason"] == "price locked by a promotion"
    listed = (await world.client.get(shop.url("/store-actions"), params={"status": "failed"},
                                     headers=shop.h("agent"))).json()
    assert [a["reason"] for a in listed["items"]] == ["price locked by a promotion"]
    retry = await world.client.post(shop.url(f"/orders/{order['id']}/reprice"),
                                    json={"total_minor": 8_000}, headers=headers)
    assert retry.status_code == 202
    assert retry.json()["id"] == first["id"]
    assert retry.json()["status"] == "requested" and retry.json()["attempts"] == 2
    assert retry.json()["reason"] is None
    await shop.confirm(first["id"])
    repriced = (await world.client.get(shop.url(f"/orders/{order['id']}"),
                                       headers=shop.h("agent"))).json()
    assert repriced["total_minor"] == 8_000
    # A failed confirmation needs the store's reason.
    other = await shop.order(status="pending_payment")
    action = (await world.client.post(shop.url(f"/orders/{other['id']}/reprice"),
                                      json={"total_minor": 1}, headers=shop.h("agent"))).json()
    no_reason = await world.client.post(shop.url(f"/store-actions/{action['id']}/confirm"),
                                        json={"outcome": "failed"}, headers=shop.store)
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "store_action.reason_required"


async def test_same_key_twice_at_once_is_one_action(world) -> None:
    shop = await make_shop(world)
    order = await shop.order()
    headers = {**shop.h("agent"), "Idempotency-Key": "ship-once"}
    responses = await asyncio.gather(*[
        world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP, headers=headers)
        for _ in range(5)])
    assert [r.status_code for r in responses] == [202] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await _events(world, shop.shop_id, "store_action.requested")) == 1
    # Without a key, a second request while one waits for the store is refused.
    plain = await asyncio.gather(*[
        world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP,
                          headers=shop.h("agent")) for _ in range(2)])
    assert {r.json()["code"] for r in plain} == {"store_action.in_flight"}
    # Reprice, ship and close exclude each other while one waits for the store.
    blocked = await world.client.post(shop.url(f"/orders/{order['id']}/reprice"),
                                      json={"total_minor": 1}, headers=shop.h("agent"))
    assert blocked.status_code == 409 and blocked.json()["code"] == "store_action.in_flight"
    # The key reused for something else is refused.
    reused = await world.client.post(shop.url(f"/orders/{order['id']}/close"),
                                     json={"reason": "out_of_stock"}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["code"] == "store_action.idempotency_key_reused"
    # After the store applied it, repeating the key returns the applied action.
    await shop.confirm(responses[0].json()["id"])
    repeat = await world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP,
                                     headers=headers)
    assert repeat.status_code == 202 and repeat.json()["status"] == "applied"


async def test_reprice_bounds(world) -> None:
    shop = await make_shop(world)
    order = await shop.order(status="pending_payment")
    url = shop.url(f"/orders/{order['id']}/reprice")
    below = await world.client.post(url, json={"total_minor": -1}, headers=shop.h("agent"))
    assert below.status_code == 422 and below.json()["code"] == "orders.reprice_below_zero"
    for huge in (10**16, 10**30, 1.5, None):
        response = await world.client.post(url, json={"total_minor": huge},
                                           headers=shop.h("agent"))
        assert response.status_code in (400, 422), response.text
    shipped = await shop.order(status="shipped", shipped_at="2026-11-30T00:00:00Z")
    late = await world.client.post(shop.url(f"/orders/{shipped['id']}/reprice"),
                                   json={"total_minor": 1}, headers=shop.h("agent"))
    assert late.status_code == 409 and late.json()["code"] == "orders.reprice_after_shipping"
    closed = await shop.order(status="closed")
    finished = await world.client.post(shop.url(f"/orders/{closed['id']}/reprice"),
                                       json={"total_minor": 1}, headers=shop.h("agent"))
    assert finished.json()["code"] == "orders.finished"
    zero = await world.client.post(url, json={"total_minor": 0}, headers=shop.h("agent"))
    assert zero.status_code == 202


async def test_ship_refusals(world) -> None:
    shop = await make_shop(world)
    unpaid = await shop.order(status="pending_payment")
    response = await world.client.post(shop.url(f"/orders/{unpaid['id']}/ship"), json=SHIP,
                                       headers=shop.h("agent"))
    assert response.json()["code"] == "orders.not_paid"
    paid = await shop.order()
    for bad in ({"carrier": "", "tracking_number": "1"}, {"carrier": "x", "tracking_number": ""},
                {"carrier": "x", "tracking_number": "a b"}, {**SHIP, "more": 1},
                {"carrier": "a\x00", "tracking_number": "1"}):
        response = await world.client.post(shop.url(f"/orders/{paid['id']}/ship"), json=bad,
                                           headers=shop.h("agent"))
        assert response.status_code in (400, 422), bad
    bad_key = await world.client.post(shop.url(f"/orders/{paid['id']}/ship"), json=SHIP,
                                      headers={**shop.h("agent"), "Idempotency-Key": "x" * 201})
    assert bad_key.status_code in (400, 422)


async def test_close_with_the_shops_reasons(world) -> None:
    shop = await make_shop(world)
    reasons = (await world.client.get(shop.url("/orders/close-reasons"),
                                      headers=shop.h("agent"))).json()
    assert [r["code"] for r in reasons] == ["wrong_order", "out_of_stock", "wrong_address"]
    order = await shop.order()
    unknown = await world.client.post(shop.url(f"/orders/{order['id']}/close"),
                                      json={"reason": "felt_like_it"}, headers=shop.h("agent"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "orders.unknown_close_reason"
    # The shop edits its list: agents may not, admins may; a retired reason is refused.
    put = shop.url("/orders/close-reasons")
    denied = await world.client.put(put, json={"code": "out_of_stock", "label": "x"},
                                    headers=shop.h("agent"))
    assert denied.status_code == 403
    retired = await world.client.put(put, json={"code": "out_of_stock", "label": "缺货",
                                                "active": False},
                                     headers=shop.h("admin"))
    assert retired.status_code == 200 and retired.json()["active"] is False
    refused = await world.client.post(shop.url(f"/orders/{order['id']}/close"),
                                      json={"reason": "out_of_stock"}, headers=shop.h("agent"))
    assert refused.json()["code"] == "orders.unknown_close_reason"
    added = await world.client.put(put, json={"code": "buyer_request", "label": "买家要求"},
                                   headers=shop.h("admin"))
    assert added.status_code == 200
    bad_code = await world.client.put(put, json={"code": "Bad-Code", "label": "x"},
                                      headers=shop.h("admin"))
    assert bad_code.status_code in (400, 422)
    action = await world.client.post(shop.url(f"/orders/{order['id']}/close"),
                                     json={"reason": "wrong_address"}, headers=shop.h("agent"))
    assert action.status_code == 202
    await shop.confirm(action.json()["id"])
    closed = (await world.client.get(shop.url(f"/orders/{order['id']}"),
                                     headers=shop.h("agent"))).json()
    assert closed["status"] == "closed" and closed["close_reason"] == "wrong_address"
    shipped = await shop.order(status="shipped", shipped_at="2026-11-30T00:00:00Z")
    late = await world.client.post(shop.url(f"/orders/{shipped['id']}/close"),
                                   json={"reason": "wrong_order"}, headers=shop.h("agent"))
    assert late.json()["code"] == "orders.close_after_shipping"


async def test_buyer_refusal_before_signing_and_in_time(world) -> None:
    shop = await make_shop(world, roles=("agent", "verifier"))
    now = datetime.now(UTC)
    fresh = await shop.order(status="shipped", shipped_at=now.isoformat())
    url = shop.url(f"/orders/{fresh['id']}/refusal")
    ok = await world.client.post(url, json={"reason": "地址错误"}, headers=shop.h("agent"))
    assert ok.status_code == 202 and ok.json()["kind"] == "order.refusal"
    await shop.confirm(ok.json()["id"])
    refused = (await world.client.get(shop.url(f"/orders/{fresh['id']}"),
                                      headers=shop.h("agent"))).json()
    assert refused["refused_at"] is not None
    old = await shop.order(status="shipped", shipped_at=(now - timedelta(days=8)).isoformat())
    late = await world.client.post(shop.url(f"/orders/{old['id']}/refusal"),
                                   json={"reason": "x"}, headers=shop.h("agent"))
    assert late.json()["code"] == "orders.refusal_window_passed"
    # The store's own deadline wins over the shop's window; the window is shop-editable.
    deadline = await shop.order(status="shipped", shipped_at=now.isoformat(),
                                refusal_deadline=(now - timedelta(minutes=1)).isoformat())
    response = await world.client.post(shop.url(f"/orders/{deadline['id']}/refusal"),
                                       json={"reason": "x"}, headers=shop.h("agent"))
    assert response.json()["code"] == "orders.refusal_window_passed"
    widened = await world.client.put(shop.url("/orders/settings"),
                                     json={"refusal_window_hours": 24 * 10},
                                     headers=shop.founder.headers())
    assert widened.status_code == 200
    assert (await world.client.post(shop.url(f"/orders/{old['id']}/refusal"),
                                    json={"reason": "x"}, headers=shop.h("agent"))).status_code == 202
    signed = await shop.order(status="signed", shipped_at=now.isoformat(),
                              signed_at=now.isoformat())
    response = await world.client.post(shop.url(f"/orders/{signed['id']}/refusal"),
                                       json={"reason": "x"}, headers=shop.h("agent"))
    assert response.json()["code"] == "orders.refusal_after_signing"
    unshipped = await shop.order()
    response = await world.client.post(shop.url(f"/orders/{unshipped['id']}/refusal"),
                                       json={"reason": "x"}, headers=shop.h("agent"))
    assert response.json()["code"] == "orders.refusal_not_shipped"
    verifier = await world.client.post(url, json={"reason": "x"},
                                       headers=shop.h("verifier", "mobile"))
    assert verifier.status_code == 403
    assert verifier.json()["details"]["permission"] == "disputes:handle"


async def test_actions_of_another_shop_are_404(world) -> None:
    shop = await make_shop(world)
    other = await make_shop(world)
    order = await shop.order()
    action = (await world.client.post(shop.url(f"/orders/{order['id']}/ship"), json=SHIP,
                                      headers=shop.h("agent"))).json()
    for suffix, body in (("/ship", SHIP), ("/close", {"reason": "wrong_order"}),
                         ("/reprice", {"total_minor": 1}), ("/refusal", {"reason": "x"})):
        response = await world.client.post(other.url(f"/orders/{order['id']}{suffix}"),
                                           json=body, headers=other.h("agent"))
        assert response.status_code == 404, suffix
    confirm = await world.client.post(other.url(f"/store-actions/{action['id']}/confirm"),
                                      json={"outcome": "applied"}, headers=other.store)
    assert confirm.status_code == 404 and confirm.json()["code"] == "store_action.not_found"
    # Another shop's key on this shop's path: the shop is not found for it.
    foreign = await world.client.post(shop.url(f"/store-actions/{action['id']}/confirm"),
                                      json={"outcome": "applied"}, headers=other.store)
    assert foreign.status_code == 404
    # Staff cannot confirm for the store; a key without the scope cannot either.
    staff = await world.client.post(shop.url(f"/store-actions/{action['id']}/confirm"),
                                    json={"outcome": "applied"}, headers=shop.h("admin"))
    assert staff.status_code == 403
    catalog_only = await store_key(world, shop.shop_id, ("catalog:write",))
    scoped = await world.client.post(shop.url(f"/store-actions/{action['id']}/confirm"),
                                     json={"outcome": "applied"}, headers=catalog_only)
    assert scoped.status_code == 403
    assert scoped.json()["code"] == "integration.scope_missing"
    got = await world.client.get(other.url(f"/store-actions/{action['id']}"),
                                 headers=other.h("agent"))
    assert got.status_code == 404
