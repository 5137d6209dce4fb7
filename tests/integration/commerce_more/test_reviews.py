"""Reviews (seed 002): pushed by the store, one public reply, follow-ups, forbidden phrases."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.integration.commerce_more.helpers import Desk, assert_refused_input, desk
from tests.support.world import World


def _review(platform_id: str | None = None, rating: int = 5, **extra: object) -> dict:
    return {"platform_id": platform_id or f"rv-{uuid.uuid4().hex[:8]}", "rating": rating,
            "reviewed_at": "2026-11-30T10:00:00Z", "body": "不错", "buyer_name": "买家",
            **extra}


async def _push(client: httpx.AsyncClient, d: Desk, body: dict) -> dict:
    response = await client.put(d.url("/sync/reviews"), json=body, headers=d.store)
    assert response.status_code in (200, 201), response.text
    assert (response.status_code == 201) == response.json()["created"]
    return response.json()


async def test_push_is_an_idempotent_upsert_and_a_change_is_an_amendment(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    body = _review(rating=2)
    first = await _push(client, d, body)
    assert (first["created"], first["changed"]) == (True, True)
    review = first["review"]
    assert review["negative"] is True and review["follow_up"]["status"] == "open"
    assert review["follow_up"]["original_rating"] == 2 and not review["follow_up"]["buyer_amended"]
    again = await _push(client, d, body)
    assert (again["created"], again["changed"]) == (False, False)
    assert again["review"]["revision"] == 1 and again["review"]["id"] == review["id"]
    amended = await _push(client, d, {**body, "rating": 5, "body": "问题解决了,好评"})
    assert amended["changed"] and amended["review"]["revision"] == 2
    follow_up = amended["review"]["follow_up"]
    assert follow_up["buyer_amended"] and follow_up["amended_rating"] == 5
    assert amended["review"]["negative"] is False


async def test_positive_review_opens_no_follow_up_and_lists_filter(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    good = (await _push(client, d, _review(rating=5)))["review"]
    bad = (await _push(client, d, _review(rating=3)))["review"]
    assert good["follow_up"] is None and bad["follow_up"] is not None
    admin = d["admin"].headers()
    negatives = (await client.get(d.url("/reviews?negative=true"), headers=admin)).json()
    assert [r["id"] for r in negatives["items"]] == [bad["id"]]
    page = (await client.get(d.url("/reviews?limit=1"), headers=admin)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (await client.get(d.url(f"/reviews?limit=1&cursor={page['next_cursor']}"),
                             headers=admin)).json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {good["id"], bad["id"]}
    bad_cursor = await client.get(d.url("/reviews?cursor=nope"), headers=admin)
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "pagination.invalid_cursor"


async def test_one_public_reply_which_becomes_a_store_action(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    review = (await _push(client, d, _review(rating=1)))["review"]
    url = d.url(f"/reviews/{review['id']}/reply")
    first = await client.post(url, json={"body": "非常抱歉,我们马上为您处理"},
                              headers=d["admin"].headers())
    assert first.status_code == 201, first.text
    reply = first.json()["reply"]
    assert reply["action_status"] == "requested" and reply["action_id"]
    second = await client.post(url, json={"body": "再次抱歉"}, headers=d.founder.headers())
    assert second.status_code == 409 and second.json()["code"] == "review.already_replied"


async def test_two_replies_at_once_one_wins(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    review = (await _push(client, d, _review(rating=4)))["review"]
    url = d.url(f"/reviews/{review['id']}/reply")
    responses = await asyncio.gather(*(
        client.post(url, json={"body": f"谢谢您的评价 {i}"}, headers=d["admin"].headers())
        for i in range(2)))
    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "review.already_replied"


async def test_forbidden_phrases_refuse_replies_and_are_shop_editable(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    admin = d["admin"].headers()
    review = (await _push(client, d, _review(rating=2)))["review"]
    url = d.url(f"/reviews/{review['id']}/reply")
    for text, phrase in (("亲,好评 返现 5 元哦", "好评返现"),
                         ("We offer CASH BACK for a good review!", "cash back for a good review")):
        refused = await client.post(url, json={"body": text}, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "review.forbidden_phrase"
        assert refused.json()["details"] == {"phrase": phrase}
    listed = (await client.get(d.url("/reviews/forbidden-phrases"), headers=admin)).json()
    assert {"好评返现", "for a 5-star review"} <= {p["phrase"] for p in listed}
    added = await client.post(d.url("/reviews/forbidden-phrases"), json={"phrase": "送红包"},
                              headers=admin)
    assert added.status_code == 201, added.text
    dup = await client.post(d.url("/reviews/forbidden-phrases"), json={"phrase": "送 红包"},
                            headers=admin)
    assert dup.status_code == 409 and dup.json()["code"] == "review.phrase_exists"
    refused = await client.post(url, json={"body": "修改评价就送红包"}, headers=admin)
    assert refused.json()["details"] == {"phrase": "送红包"}
    removed = await client.delete(d.url(f"/reviews/forbidden-phrases/{added.json()['id']}"),
                                  headers=admin)
    assert removed.status_code == 204
    gone = await client.delete(d.url(f"/reviews/forbidden-phrases/{added.json()['id']}"),
                               headers=admin)
    assert gone.status_code == 404 and gone.json()["code"] == "review.phrase_not_found"
    # Seed 002: after fixing the problem, inviting the buyer to amend is fine.
    ok = await client.post(url, json={"body": "问题已解决,方便的话可以修改评价,谢谢您"},
                           headers=admin)
    assert ok.status_code == 201, ok.text


async def test_follow_up_tracks_apology_fix_and_closing(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    admin = d["admin"].headers()
    review = (await _push(client, d, _review(rating=2)))["review"]
    url = d.url(f"/reviews/{review['id']}/follow-up")
    early = await client.patch(url, json={"status": "closed"}, headers=admin)
    assert early.status_code == 409 and early.json()["code"] == "review.follow_up_incomplete"
    step = await client.patch(url, json={"apologized": True, "apology_note": "电话道歉"},
                              headers=admin)
    assert step.status_code == 200, step.text
    assert step.json()["follow_up"]["apologized_at"] and step.json()["follow_up"]["fixed_at"] is None
    done = await client.patch(url, json={"fixed": True, "fix_note": "补发", "status": "closed"},
                              headers=admin)
    assert done.status_code == 200 and done.json()["follow_up"]["status"] == "closed"
    good = (await _push(client, d, _review(rating=5)))["review"]
    none = await client.patch(d.url(f"/reviews/{good['id']}/follow-up"), json={"fixed": True},
                              headers=admin)
    assert none.status_code == 404 and none.json()["code"] == "review.follow_up_not_found"


async def test_threshold_is_shop_editable(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    admin = d["admin"].headers()
    assert (await client.get(d.url("/reviews/settings"), headers=admin)).json() == {
        "negative_threshold": 3}
    changed = await client.patch(d.url("/reviews/settings"), json={"negative_threshold": 2},
                                 headers=admin)
    assert changed.json() == {"negative_threshold": 2}
    review = (await _push(client, d, _review(rating=3)))["review"]
    assert review["negative"] is False and review["follow_up"] is None
    for bad in (0, 5, [2], 10**30, None):
        response = await client.patch(d.url("/reviews/settings"),
                                      json={"negative_threshold": bad}, headers=admin)
        assert_refused_input(response, bad)


async def test_refusals_wrong_role_other_shop_and_bad_input(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    other = await desk(world)
    review = (await _push(client, d, _review(rating=2)))["review"]
    agent = await client.get(d.url("/reviews"), headers=d["agent"].headers())
    assert agent.status_code == 403 and agent.json()["details"] == {"permission": "reviews:manage"}
    # Staff cannot push as the store; the store cannot read as staff.
    staff_push = await client.put(d.url("/sync/reviews"), json=_review(),
                                   headers=d.founder.headers())
    assert staff_push.status_code == 403
    store_read = await client.get(d.url("/reviews"), headers=d.store)
    assert store_read.status_code == 403
    assert store_read.json()["code"] == "integration.staff_only"
    # Another shop's review is not found, from that shop's admin; another shop's key: 404.
    foreign = await client.get(other.url(f"/reviews/{review['id']}"),
                               headers=other["admin"].headers())
    assert foreign.status_code == 404 and foreign.json()["code"] == "review.not_found"
    foreign_reply = await client.post(other.url(f"/reviews/{review['id']}/reply"),
                                      json={"body": "hi"}, headers=other["admin"].headers())
    assert foreign_reply.status_code == 404
    foreign_follow_up = await client.patch(other.url(f"/reviews/{review['id']}/follow-up"),
                                           json={"fixed": True}, headers=other["admin"].headers())
    assert foreign_follow_up.status_code == 404
    assert foreign_follow_up.json()["code"] == "review.not_found"
    mine = (await client.get(d.url("/reviews/forbidden-phrases"),
                             headers=d["admin"].headers())).json()[0]
    foreign_phrase = await client.delete(other.url(f"/reviews/forbidden-phrases/{mine['id']}"),
                                         headers=other["admin"].headers())
    assert foreign_phrase.status_code == 404
    assert foreign_phrase.json()["code"] == "review.phrase_not_found"
    cross_key = await client.put(d.url("/sync/reviews"), json=_review(), headers=other.store)
    assert cross_key.status_code == 404 and cross_key.json()["code"] == "shop.not_found"
    for bad in (_review(rating=6), _review(rating=[5]), _review(body="x\x00y"),
                _review(body="x" * 5001), {**_review(), "extra": 1},
                {**_review(), "platform_id": ""}, _review(reviewed_at="yesterday"),
                _review(rating=10**30)):
        response = await client.put(d.url("/sync/reviews"), json=bad, headers=d.store)
        assert_refused_input(response, bad)
    url = d.url(f"/reviews/{review['id']}/reply")
    for bad in ({"body": ""}, {"body": "a\x00"}, {"body": "x" * 2001}, {"text": "hi"}):
        response = await client.post(url, json=bad, headers=d["admin"].headers())
        assert_refused_input(response, bad)
    blank = await client.post(url, json={"body": "   "}, headers=d["admin"].headers())
    assert blank.status_code == 422 and blank.json()["code"] == "review.reply_empty"


async def test_store_failed_reply_shows_reason_and_is_retried(
        world: World, client: httpx.AsyncClient) -> None:
    from tests.integration.commerce_more.helpers import store_key

    d = await desk(world)
    confirm = await store_key(world, d.shop_id, ("actions:confirm",))
    review = (await _push(client, d, _review(rating=2)))["review"]
    admin = d["admin"].headers()
    early = await client.post(d.url(f"/reviews/{review['id']}/reply/retry"), headers=admin)
    assert early.status_code == 404 and early.json()["code"] == "review.reply_not_found"
    replied = (await client.post(d.url(f"/reviews/{review['id']}/reply"),
                                 json={"body": "抱歉给您带来不便"}, headers=admin)).json()
    action_id = replied["reply"]["action_id"]
    pending = await client.post(d.url(f"/reviews/{review['id']}/reply/retry"), headers=admin)
    assert pending.status_code == 409 and pending.json()["code"] == "review.reply_not_failed"
    failed = await client.post(d.url(f"/store-actions/{action_id}/confirm"),
                               json={"outcome": "failed", "reason": "评价已被平台隐藏"},
                               headers=confirm)
    assert failed.status_code == 200, failed.text
    shown = (await client.get(d.url(f"/reviews/{review['id']}"), headers=admin)).json()
    assert shown["reply"]["action_status"] == "failed"
    assert shown["reply"]["action_reason"] == "评价已被平台隐藏"
    retried = await client.post(d.url(f"/reviews/{review['id']}/reply/retry"), headers=admin)
    assert retried.status_code == 201, retried.text
    assert retried.json()["reply"]["action_id"] == action_id
    assert retried.json()["reply"]["action_status"] == "requested"
    applied = await client.post(d.url(f"/store-actions/{action_id}/confirm"),
                                json={"outcome": "applied"}, headers=confirm)
    assert applied.status_code == 200
    final = (await client.get(d.url(f"/reviews/{review['id']}"), headers=admin)).json()
    assert final["reply"]["action_status"] == "applied"


async def test_same_review_pushed_twice_at_once_is_one_review(
        world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world)
    body = _review(rating=1)
    responses = await asyncio.gather(*(client.put(d.url("/sync/reviews"), json=body,
                                                  headers=d.store) for _ in range(3)))
    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert len({r.json()["review"]["id"] for r in responses}) == 1
    listed = (await client.get(d.url("/reviews"), headers=d["admin"].headers())).json()
    assert len(listed["items"]) == 1 and listed["items"][0]["follow_up"]["status"] == "open"
