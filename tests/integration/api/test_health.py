"""Liveness and readiness probes need no sign-in; readiness proves the database answers."""

from __future__ import annotations

import httpx
from litestar import Litestar


async def test_live_answers_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_the_database_and_reports_the_policy_version(
        client: httpx.AsyncClient, app: Litestar) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert int(body["policy_version"]) == app.state.authz.version


async def test_ready_is_503_when_the_database_is_unreachable(
        client: httpx.AsyncClient, app: Litestar, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Unreachable:
        def connect(self):  # type: ignore[no-untyped-def]
            raise OSError("connection refused")

    monkeypatch.setattr(app.state, "engine", Unreachable())
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["code"] == "service.unavailable"
