"""Reports over the ledger: known figures per shop, agent, channel and bucket; CSV; firm."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from rbac.catalog import FirmRole
from tests.integration.sla.helpers import set_policy
from tests.integration.sla.script import Convo
from tests.support.world import World

T0 = datetime(2027, 6, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Asia/Shanghai
RANGE = {"since": "2027-06-07T00:00:00Z", "until": "2027-06-08T00:00:00Z"}


@pytest.fixture(scope="module")
async def scripted(world: World):  # type: ignore[no-untyped-def]
    """FRT 60, 120, 180 s by agent A, 240 s by B (target 150 s); one NRT of 300 s by A."""
    shop_id, founder = await world.shop()
    a, b = await world.staff(shop_id, "agent"), await world.staff(shop_id, "agent")
    await set_policy(world, shop_id, founder, targets=[{"metric": "frt", "seconds": 150}])
    for i, (seconds, agent, channel) in enumerate(
            [(60, a, "web"), (120, a, "wechat"), (180, a, "web"), (240, b, "web")]):
        start = T0 + timedelta(minutes=10 * i)
        convo = Convo(world, shop_id, channel=channel)
        await convo.open(start)
        await convo.reply(start + timedelta(seconds=seconds), agent.id)
        if i == 0:
            await convo.customer(start + timedelta(seconds=400))
            await convo.reply(start + timedelta(seconds=700), a.id)
    return shop_id, founder, a, b


async def _report(world: World, shop_id, founder, **params):  # type: ignore[no-untyped-def]
    response = await world.client.get(f"/api/v1/shops/{shop_id}/sla/report",
                                      params={**RANGE, **params}, headers=founder.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def test_shop_report_figures(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder, _, _ = scripted
    rows = {r["metric"]: r for r in (await _report(world, shop_id, founder))["rows"]}
    frt = rows["frt"]
    assert (frt["count"], frt["mean"], frt["p50"]) == (4, 150.0, 150.0)
    assert frt["p90"] == pytest.approx(222.0) and frt["p99"] == pytest.approx(238.2)
    assert (frt["attainment"], frt["breaches"]) == (0.5, 2)
    assert (rows["nrt"]["count"], rows["nrt"]["mean"], rows["nrt"]["attainment"]) == (1, 300, None)
    assert "resolution" not in rows  # nothing resolved


async def test_by_agent_channel_day_and_hour(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder, a, b = scripted
    by_agent = {(r["metric"], r["group"]): r for r in
                (await _report(world, shop_id, founder, group_by="agent"))["rows"]}
    assert (by_agent[("frt", str(a.id))]["count"], by_agent[("frt", str(a.id))]["mean"]) == (3, 120)
    assert by_agent[("frt", str(b.id))]["count"] == 1
    # Breaches go to the assignee at the deadline: nobody had claimed these, so the queue.
    assert (by_agent[("frt", None)]["count"], by_agent[("frt", None)]["breaches"]) == (0, 2)
    by_channel = {(r["metric"], r["group"]): r["count"] for r in
                  (await _report(world, shop_id, founder, group_by="channel"))["rows"]}
    assert (by_channel[("frt", "web")], by_channel[("frt", "wechat")]) == (3, 1)
    by_day = (await _report(world, shop_id, founder, group_by="day", metric="frt"))["rows"]
    assert [(r["group"], r["count"]) for r in by_day] == [("2027-06-07", 4)]
    by_hour = (await _report(world, shop_id, founder, group_by="hour", metric="frt"))["rows"]
    assert [(r["group"], r["count"]) for r in by_hour] == [("2027-06-07T10:00", 4)]


async def test_csv_download_and_openapi(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder, _, _ = scripted
    response = await world.client.get(f"/api/v1/shops/{shop_id}/sla/report.csv",
                                      params={**RANGE, "group_by": "agent"},
                                      headers=founder.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0].keys() >= {"metric", "group", "count", "p95", "attainment", "breaches"}
    assert sum(int(r["count"]) for r in rows if r["metric"] == "frt") == 4
    schema = (await world.client.get("/schema/openapi.json")).json()
    op = schema["paths"]["/api/v1/shops/{shop_id}/sla/report.csv"]["get"]
    assert "text/csv; charset=utf-8" in op["responses"]["200"]["content"]
    assert op["x-permission"] == "analytics:read"


async def test_report_refusals(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder, _, _ = scripted
    base = f"/api/v1/shops/{shop_id}/sla/report"
    cases = [({"since": "2027-06-08T00:00:00Z", "until": "2027-06-07T00:00:00Z"}, "sla.empty_range"),
             ({"since": "2020-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
              "sla.range_too_long"),
             ({"group_by": "planet"}, "request.validation_failed"),
             ({"since": "yesterday"}, "request.validation_failed")]
    for params, code in cases:
        response = await world.client.get(base, params=params, headers=founder.headers())
        assert response.status_code in (400, 422), response.text
        assert response.json()["code"] == code


async def test_firm_report_and_ranking(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, founder, _, _ = scripted
    admin = await world.user(platform_role=FirmRole.PLATFORM_ADMIN)
    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    response = await world.client.get("/api/v1/sla/report", params=RANGE, headers=admin.headers())
    assert response.status_code == 200, response.text
    rows = {(r["metric"], r["group"]): r for r in response.json()["rows"]}
    assert rows[("frt", str(shop_id))]["count"] == 4
    assert rows[("frt", None)]["count"] >= 4  # the firm's total
    ranking = await world.client.get("/api/v1/sla/ranking", params={**RANGE, "limit": 200},
                                     headers=admin.headers())
    assert ranking.status_code == 200, ranking.text
    mine = [i for i in ranking.json()["items"] if i["shop_id"] == str(shop_id)]
    assert mine and mine[0]["figures"]["attainment"] == 0.5 and mine[0]["shop_name"] == "Shop"
    firm_csv = await world.client.get("/api/v1/sla/report.csv", params=RANGE,
                                      headers=admin.headers())
    assert firm_csv.status_code == 200 and str(shop_id) in firm_csv.text
    for account in (founder, auditor):
        denied = await world.client.get("/api/v1/sla/report", params=RANGE,
                                        headers=account.headers())
        assert denied.status_code == 403
        assert denied.json()["details"]["permission"] == "analytics:firm"
    # A platform admin reads any one shop's report too (analytics:read in every shop).
    assert (await world.client.get(f"/api/v1/shops/{shop_id}/sla/report", params=RANGE,
                                   headers=admin.headers())).status_code == 200


async def test_other_shops_report_is_404(world: World, scripted) -> None:  # type: ignore[no-untyped-def]
    shop_id, _, _, _ = scripted
    _, stranger = await world.shop()
    response = await world.client.get(f"/api/v1/shops/{shop_id}/sla/report",
                                      headers=stranger.headers())
    assert response.status_code == 404
