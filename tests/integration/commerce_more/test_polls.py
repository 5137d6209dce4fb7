"""Polls: results for polls:read, a private poll's results only with polls:read_private."""

from __future__ import annotations

import asyncio

import httpx

from tests.integration.commerce_more.helpers import Desk, assert_refused_input, desk
from tests.support.world import World

OPTIONS = [{"id": "green", "label": "绿茶"}, {"id": "black", "label": "红茶"}]


async def _poll(client: httpx.AsyncClient, d: Desk, platform_id: str, *, private: bool,
                votes: dict[str, str]) -> str:
    created = await client.put(d.url("/sync/polls"), json={
        "platform_id": platform_id, "question": "您更喜欢哪种茶?", "options": OPTIONS,
        "is_private": private}, headers=d.store)
    assert created.status_code == 201, created.text
    for voter, option in votes.items():
        vote = await client.put(d.url("/sync/poll-votes"), json={
            "poll_platform_id": platform_id, "voter_ref": voter, "option_id": option},
            headers=d.store)
        assert vote.status_code == 200, vote.text
    return created.json()["id"]


async def test_results_public_and_private(world: World, client: httpx.AsyncClient) -> None:
    d = await desk(world, roles=("senior_admin", "admin", "agent"))
    public = await _poll(client, d, "p-public", private=False,
                         votes={"u1": "green", "u2": "green", "u3": "black"})
    private = await _poll(client, d, "p-private", private=True, votes={"u1": "black"})
    admin, senior = d["admin"].headers(), d["senior_admin"].headers()

    seen = (await client.get(d.url("/polls"), headers=admin)).json()["items"]
    by_id = {p["id"]: p for p in seen}
    assert by_id[public]["results"]["total_votes"] == 3
    assert [o["votes"] for o in by_id[public]["results"]["options"]] == [2, 1]
    # The admin sees the private poll's question, never its results (seed 000).
    assert by_id[private]["question"] == "您更喜欢哪种茶?"
    assert by_id[private]["results"] is None and by_id[private]["results_hidden"] is True
    one = (await client.get(d.url(f"/polls/{private}"), headers=admin)).json()
    assert one["results"] is None
    refused = await client.get(d.url(f"/polls/{private}/results"), headers=admin)
    assert refused.status_code == 403
    assert refused.json()["details"] == {"permission": "polls:read_private"}

    full = (await client.get(d.url(f"/polls/{private}"), headers=senior)).json()
    assert full["results_hidden"] is False and full["results"]["total_votes"] == 1
    results = (await client.get(d.url(f"/polls/{private}/results"), headers=senior)).json()
    assert [o["votes"] for o in results["options"]] == [0, 1]
    assert (await client.get(d.url("/polls"), headers=d["agent"].headers())).status_code == 403


async def test_revote_replaces_and_closed_poll_refuses(world: World,
                                                       client: httpx.AsyncClient) -> None:
    d = await desk(world)
    poll = await _poll(client, d, "p1", private=False, votes={"u1": "green"})
    await client.put(d.url("/sync/poll-votes"), json={
        "poll_platform_id": "p1", "voter_ref": "u1", "option_id": "black"}, headers=d.store)
    results = (await client.get(d.url(f"/polls/{poll}"), headers=d.founder.headers())).json()
    assert [o["votes"] for o in results["results"]["options"]] == [0, 1]
    unknown = await client.put(d.url("/sync/poll-votes"), json={
        "poll_platform_id": "p1", "voter_ref": "u2", "option_id": "oolong"}, headers=d.store)
    assert unknown.status_code == 422 and unknown.json()["code"] == "poll.unknown_option"
    missing = await client.put(d.url("/sync/poll-votes"), json={
        "poll_platform_id": "nope", "voter_ref": "u2", "option_id": "green"}, headers=d.store)
    assert missing.status_code == 404 and missing.json()["code"] == "poll.not_found"
    closed = await client.put(d.url("/sync/polls"), json={
        "platform_id": "p1", "question": "您更喜欢哪种茶?", "options": OPTIONS, "status": "closed"},
        headers=d.store)
    assert closed.status_code == 200
    late = await client.put(d.url("/sync/poll-votes"), json={
        "poll_platform_id": "p1", "voter_ref": "u3", "option_id": "green"}, headers=d.store)
    assert late.status_code == 409 and late.json()["code"] == "poll.closed"


async def test_concurrent_votes_of_one_buyer_count_once(world: World,
                                                        client: httpx.AsyncClient) -> None:
    d = await desk(world)
    poll = await _poll(client, d, "p1", private=False, votes={})
    responses = await asyncio.gather(*(client.put(d.url("/sync/poll-votes"), json={
        "poll_platform_id": "p1", "voter_ref": "same", "option_id": option}, headers=d.store)
        for option in ("green", "black", "green")))
    assert {r.status_code for r in responses} == {200}
    results = (await client.get(d.url(f"/polls/{poll}/results"), headers=d.founder.headers())).json()
    assert results["total_votes"] == 1


async def test_polls_other_shop_and_bad_input(world: World, client: httpx.AsyncClient) -> None:
    d, other = await desk(world), await desk(world)
    poll = await _poll(client, d, "p1", private=True, votes={})
    for url in (f"/polls/{poll}", f"/polls/{poll}/results"):
        response = await client.get(other.url(url), headers=other.founder.headers())
        assert response.status_code == 404 and response.json()["code"] == "poll.not_found"
    dup = await client.put(d.url("/sync/polls"), json={
        "platform_id": "p2", "question": "q", "options": [OPTIONS[0], OPTIONS[0]]}, headers=d.store)
    assert dup.status_code == 422 and dup.json()["code"] == "poll.duplicate_option"
    for bad in ({"platform_id": "p3", "question": "q", "options": OPTIONS[:1]},
                {"platform_id": "p3", "question": "", "options": OPTIONS},
                {"platform_id": "p3", "question": "q", "options": OPTIONS * 11},
                {"platform_id": "p3", "question": "q", "options": [{"id": "a b", "label": "x"}] * 2},
                {"platform_id": "p3", "question": "q\x00", "options": OPTIONS},
                {"platform_id": "p3", "question": "q", "options": OPTIONS, "status": "paused"}):
        response = await client.put(d.url("/sync/polls"), json=bad, headers=d.store)
        assert_refused_input(response, bad)
