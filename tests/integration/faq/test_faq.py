"""The FAQ library (seed 003): entries by problem type, searchable, staff read, faq:write keeps."""

from __future__ import annotations

import asyncio
import uuid

from tests.integration.members.helpers import assert_error
from tests.support.world import World

FADING = {"problem_type": "商品褪色", "cause": "洗涤方式不当或面料质量问题",
          "answer": "建议手洗,避免暴晒", "action": "如果是质量问题,走退换货流程+补偿券申请"}


def faq(shop_id: uuid.UUID, tail: str = "") -> str:
    return f"/api/v1/shops/{shop_id}/faq{tail}"


async def test_write_read_search(world: World) -> None:
    shop_id, founder = await world.shop()
    admin = await world.staff(shop_id, "admin")
    agent = await world.staff(shop_id, "agent")
    created = await world.client.post(faq(shop_id), headers=admin.headers(), json=FADING)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert {k: entry[k] for k in FADING} == FADING
    delayed = (await world.client.post(faq(shop_id), headers=founder.headers(), json={
        "problem_type": "物流延误", "answer": "我理解您着急收到商品的心情", "cause": "暴雨",
        "action": "申请优先派送,发放10元无门槛券"})).json()
    await world.client.post(faq(shop_id), headers=founder.headers(),
                            json={"problem_type": "发错货", "answer": "真的非常抱歉 100% 负责"})

    everything = (await world.client.get(faq(shop_id), headers=agent.headers())).json()
    assert [e["problem_type"] for e in everything["items"]] == sorted(
        ["商品褪色", "物流延误", "发错货"])
    for q, expected in (("暴晒", [entry["id"]]), ("补偿券", [entry["id"]]),
                        ("无门槛", [delayed["id"]]), ("物流", [delayed["id"]]),
                        ("0%", []), ("%", []), ("_", [])):
        found = (await world.client.get(faq(shop_id), params={"q": q},
                                        headers=agent.headers())).json()
        if q in ("0%", "%"):
            assert len(found["items"]) == 1 and found["items"][0]["problem_type"] == "发错货", q
        else:
            assert [e["id"] for e in found["items"]] == expected, q
    by_type = (await world.client.get(faq(shop_id), params={"problem_type": "商品褪色"},
                                      headers=agent.headers())).json()
    assert [e["id"] for e in by_type["items"]] == [entry["id"]]

    page = (await world.client.get(faq(shop_id), params={"limit": 2}, headers=agent.headers())).json()
    rest = (await world.client.get(faq(shop_id), params={"limit": 2, "cursor": page["next_cursor"]},
                                   headers=agent.headers())).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None

    got = await world.client.get(faq(shop_id, f"/{entry['id']}"), headers=agent.headers())
    assert got.status_code == 200 and got.json()["answer"] == FADING["answer"]
    patched = await world.client.patch(faq(shop_id, f"/{entry['id']}"), headers=admin.headers(),
                                       json={"answer": "建议冷水手洗"})
    assert patched.status_code == 200 and patched.json()["cause"] == FADING["cause"]
    found = (await world.client.get(faq(shop_id), params={"q": "冷水"}, headers=agent.headers())).json()
    assert [e["id"] for e in found["items"]] == [entry["id"]]  # search follows the edit
    assert (await world.client.delete(faq(shop_id, f"/{entry['id']}"),
                                      headers=admin.headers())).status_code == 204
    assert_error(await world.client.get(faq(shop_id, f"/{entry['id']}"), headers=agent.headers()),
                 404, "faq.not_found")


async def test_roles(world: World) -> None:
    shop_id, founder = await world.shop()
    agent = await world.staff(shop_id, "agent")
    verifier = await world.staff(shop_id, "verifier")
    body = assert_error(await world.client.post(faq(shop_id), headers=agent.headers(), json=FADING),
                        403, "permission.denied")
    assert body["details"]["permission"] == "faq:write"
    entry = (await world.client.post(faq(shop_id), headers=founder.headers(), json=FADING)).json()
    for method in ("PATCH", "DELETE"):
        body = assert_error(await world.client.request(method, faq(shop_id, f"/{entry['id']}"),
                                                       headers=agent.headers(), json={}),
                            403, "permission.denied")
    body = assert_error(await world.client.get(faq(shop_id), headers=verifier.headers("mobile")),
                        403, "permission.denied")
    assert body["details"]["permission"] == "cs:workspace"


async def test_another_shop_and_bad_input(world: World) -> None:
    shop_id, founder = await world.shop()
    other, other_founder = await world.shop()
    theirs = (await world.client.post(faq(other), headers=other_founder.headers(), json=FADING)).json()
    for method in ("GET", "PATCH", "DELETE"):
        assert_error(await world.client.request(method, faq(shop_id, f"/{theirs['id']}"),
                                                headers=founder.headers(), json={}),
                     404, "faq.not_found")
    assert (await world.client.get(faq(shop_id), params={"q": "暴晒"},
                                   headers=founder.headers())).json()["items"] == []
    bad = [{**FADING, "answer": ""}, {**FADING, "answer": "a" * 4001},
           {**FADING, "problem_type": "x" * 101}, {**FADING, "cause": "a\x00"},
           {**FADING, "unknown": 1}, {**FADING, "action": 7}, {"answer": "no type"}]
    for body in bad:
        response = await world.client.post(faq(shop_id), headers=founder.headers(), json=body)
        assert response.status_code in (400, 422), (body, response.text)
    for params in ({"q": "x" * 101}, {"q": "\x00"}, {"limit": 500}, {"cursor": "%%%"}):
        response = await world.client.get(faq(shop_id), params=params, headers=founder.headers())
        assert 400 <= response.status_code < 500, (params, response.text)


async def test_concurrent_writes_do_not_collide(world: World) -> None:
    shop_id, founder = await world.shop()
    responses = await asyncio.gather(*[
        world.client.post(faq(shop_id), headers=founder.headers(), json=FADING) for _ in range(4)])
    assert [r.status_code for r in responses] == [201] * 4
