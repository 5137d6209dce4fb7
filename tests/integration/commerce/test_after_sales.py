"""After-sales: 5W1H cases linked to conversations, refunds bounded by the paid total."""

from __future__ import annotations

import asyncio

from tests.integration.commerce.helpers import make_conversation, make_customer, make_shop

FIVE_W = {"what": "电机不转", "why": "换新", "who": "买家本人", "when": "昨天, 质保期内",
          "where": "官方旗舰店", "how": "24小时内"}


async def test_case_records_5w1h_and_links_its_conversation(world) -> None:
    shop = await make_shop(world, roles=("agent", "verifier"))
    customer = await make_customer(world, shop.shop_id)
    conversation = await make_conversation(world, shop.shop_id, customer)
    order = await shop.order(customer_id=str(customer), disputed=True)
    response = await world.client.post(shop.url("/after-sales/cases"), json={
        "order_id": order["id"], "conversation_id": str(conversation), **FIVE_W},
        headers=shop.h("agent"))
    assert response.status_code == 201, response.text
    case = response.json()
    assert {k: case[k] for k in FIVE_W} == FIVE_W
    assert case["conversation_id"] == str(conversation) and case["kind"] == "dispute"
    patched = await world.client.patch(shop.url(f"/after-sales/cases/{case['id']}"),
                                       json={"how": "三天内"}, headers=shop.h("agent"))
    assert patched.status_code == 200 and patched.json()["how"] == "三天内"
    resolved = await world.client.post(shop.url(f"/after-sales/cases/{case['id']}/resolve"),
                                       json={"status": "resolved", "resolution": "补发"},
                                       headers=shop.h("agent"))
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    closed = await world.client.patch(shop.url(f"/after-sales/cases/{case['id']}"),
                                      json={"how": "x"}, headers=shop.h("agent"))
    assert closed.status_code == 409 and closed.json()["code"] == "after_sales.case_closed"
    listed = (await world.client.get(shop.url("/after-sales/cases"),
                                     params={"order_id": order["id"]},
                                     headers=shop.h("agent"))).json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    # Another customer's conversation, an unknown one, another shop's order.
    stranger = await make_customer(world, shop.shop_id, "Other")
    other_conv = await make_conversation(world, shop.shop_id, stranger)
    mismatch = await world.client.post(shop.url("/after-sales/cases"), json={
        "order_id": order["id"], "conversation_id": str(other_conv)}, headers=shop.h("agent"))
    assert mismatch.json()["code"] == "after_sales.conversation_customer_mismatch"
    other = await make_shop(world, roles=("agent",))
    foreign_conv = await make_conversation(world, other.shop_id,
                                           await make_customer(world, other.shop_id))
    unknown = await world.client.post(shop.url("/after-sales/cases"), json={
        "order_id": order["id"], "conversation_id": str(foreign_conv)}, headers=shop.h("agent"))
    assert unknown.json()["code"] == "after_sales.unknown_conversation"
    foreign = await world.client.post(other.url("/after-sales/cases"), json={
        "order_id": order["id"]}, headers=other.h("agent"))
    assert foreign.status_code == 404 and foreign.json()["code"] == "orders.not_found"
    peek = await world.client.get(other.url(f"/after-sales/cases/{case['id']}"),
                                  headers=other.h("agent"))
    assert peek.status_code == 404
    for bad in ({"order_id": order["id"], "what": "x" * 2001},
                {"order_id": order["id"], "why": "\x00"}, {"order_id": order["id"], "x": 1},
                {"order_id": "nope"}):
        assert (await world.client.post(shop.url("/after-sales/cases"), json=bad,
                                        headers=shop.h("agent"))).status_code in (400, 422)
    verifier = await world.client.get(shop.url("/after-sales/cases"),
                                      headers=shop.h("verifier", "mobile"))
    assert verifier.status_code == 403


async def test_refunds_only_admins_and_bounded_by_paid(world) -> None:
    shop = await make_shop(world)
    order = await shop.order(total_minor=10_000, paid_minor=9_000)
    url = shop.url(f"/orders/{order['id']}/refunds")
    body = {"amount_minor": 5_000, "currency": "CNY", "reason": "质量问题"}
    agent = await world.client.post(url, json=body, headers=shop.h("agent"))
    assert agent.status_code == 403 and agent.json()["details"]["permission"] == "refunds:process"
    first = await world.client.post(url, json=body, headers=shop.h("admin"))
    assert first.status_code == 202, first.text
    over = await world.client.post(url, json=body, headers=shop.h("admin"))
    assert over.status_code == 409 and over.json()["code"] == "refunds.exceeds_paid"
    assert over.json()["details"]["refundable_minor"] == 4_000
    for bad, code in (({**body, "currency": "USD"}, "refunds.currency_mismatch"),):
        response = await world.client.post(url, json=bad, headers=shop.h("admin"))
        assert response.json()["code"] == code
    for bad in ({**body, "amount_minor": 0}, {**body, "amount_minor": 10**20},
                {**body, "amount_minor": 1.25}, {**body, "reason": ""}):
        assert (await world.client.post(url, json=bad, headers=shop.h("admin"))
                ).status_code in (400, 422)
    # A failed refund frees its amount; the applied ones reaching the total refund the order.
    await shop.confirm(first.json()["action"]["id"], "failed", "buyer account frozen")
    full = await world.client.post(url, json={**body, "amount_minor": 9_000},
                                   headers=shop.h("admin"))
    assert full.status_code == 202
    await shop.confirm(full.json()["action"]["id"])
    refunded = (await world.client.get(shop.url(f"/orders/{order['id']}"),
                                       headers=shop.h("agent"))).json()
    assert refunded["status"] == "refunded"
    listed = (await world.client.get(url, headers=shop.h("agent"))).json()
    assert [r["status"] for r in listed["items"]] == ["failed", "applied"]
    unpaid = await shop.order(status="pending_payment", paid_minor=None)
    response = await world.client.post(shop.url(f"/orders/{unpaid['id']}/refunds"), json=body,
                                       headers=shop.h("admin"))
    assert response.json()["code"] == "refunds.order_not_paid"
    other = await make_shop(world)
    foreign = await world.client.post(other.url(f"/orders/{order['id']}/refunds"), json=body,
                                      headers=other.h("admin"))
    assert foreign.status_code == 404


async def test_concurrent_refunds_never_exceed_paid(world) -> None:
    shop = await make_shop(world)
    order = await shop.order(total_minor=10_000, paid_minor=10_000)
    url = shop.url(f"/orders/{order['id']}/refunds")
    responses = await asyncio.gather(*[
        world.client.post(url, json={"amount_minor": 3_000, "currency": "CNY",
                                     "reason": f"r{i}"}, headers=shop.h("admin"))
        for i in range(6)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 202, 202, 409, 409, 409], [r.text for r in responses]
    # The same key at once is one refund and one action.
    other = await shop.order(total_minor=10_000, paid_minor=10_000)
    headers = {**shop.h("admin"), "Idempotency-Key": "refund-7"}
    same = await asyncio.gather(*[
        world.client.post(shop.url(f"/orders/{other['id']}/refunds"),
                          json={"amount_minor": 6_000, "currency": "CNY", "reason": "x"},
                          headers=headers) for _ in range(4)])
    assert [r.status_code for r in same] == [202] * 4
    assert len({r.json()["refund"]["id"] for r in same}) == 1


async def test_failed_refund_retried_with_its_key(world) -> None:
    shop = await make_shop(world)
    order = await shop.order(total_minor=10_000, paid_minor=10_000)
    url = shop.url(f"/orders/{order['id']}/refunds")
    headers = {**shop.h("admin"), "Idempotency-Key": "refund-retry"}
    body = {"amount_minor": 10_000, "currency": "CNY", "reason": "x"}
    first = (await world.client.post(url, json=body, headers=headers)).json()
    await shop.confirm(first["action"]["id"], "failed", "timeout at the bank")
    retry = await world.client.post(url, json=body, headers=headers)
    assert retry.status_code == 202
    assert retry.json()["refund"]["id"] == first["refund"]["id"]
    assert retry.json()["refund"]["status"] == "requested"
    assert retry.json()["action"]["attempts"] == 2


async def test_opening_a_case_twice_with_one_key_is_one_case(world) -> None:
    shop = await make_shop(world, roles=("agent",))
    order = await shop.order()
    headers = {**shop.h("agent"), "Idempotency-Key": "case-1"}
    body = {"order_id": order["id"], **FIVE_W}
    responses = await asyncio.gather(*[
        world.client.post(shop.url("/after-sales/cases"), json=body, headers=headers)
        for _ in range(3)])
    assert [r.status_code for r in responses] == [201] * 3
    assert len({r.json()["id"] for r in responses}) == 1
