"""Auth fixtures: a second app with small login limits, and a crafted-token helper."""

from __future__ import annotations

import dataclasses
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from api.app import create_app
from tests.support.apps import running
from tests.support.database import TestDatabase
from tests.support.settings import NEWEST_KID, SIGNING_KEYS, make_settings


@pytest.fixture
async def strict_client(database: TestDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app allowing 3 failures per account and 4 per IP, from a fresh IP."""
    settings = make_settings(database, Path(tempfile.mkdtemp(prefix="shopdesk-strict-")))
    settings = dataclasses.replace(settings, auth=dataclasses.replace(
        settings.auth, login_max_failures_per_account=3, login_max_failures_per_ip=4))
    app = create_app(settings, database_url=database.app_url, start_policy_listener=False)
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://shopdesk.test") as http:
            http.ip = ip  # type: ignore[attr-defined]
            yield http




@pytest.fixture
def forge(settings):  # type: ignore[no-untyped-def]
    """Sign arbitrary claims: ``forge(user_id, kid=..., secret=..., alg=..., **claims)``.

    A claim given as ``None`` is left out.
    """

    def make(user_id: str, *, kid: str = NEWEST_KID, secret: str | None = None,
             alg: str = "HS256", **overrides: Any) -> str:
        now = time.time()
        payload = {"sub": user_id, "cli": "web", "jti": uuid.uuid4().hex, "iat": now,
                   "exp": int(now) + 600, "iss": settings.auth.issuer,
                   "aud": settings.auth.audience, **overrides}
        payload = {k: v for k, v in payload.items() if v is not None}
        key = secret if secret is not None else SIGNING_KEYS.get(kid, "x" * 48)
        return jwt.encode(payload, key if alg != "none" else None, algorithm=alg,
                          headers={"kid": kid})

    return make
