"""Run in a subprocess by test_logs: an app whose login crashes with secrets in reach.

The crash happens where a real bug would: inside the handler, with the password in a local
variable, the request (and its Authorization header) in the frames, and secrets quoted in
the exception's message. Prints nothing itself; the log goes to stderr.
"""

from __future__ import annotations

import asyncio
import sys

from api.app import create_app
from api.domain.auth import services
from api.settings import load_settings
from tests.support.apps import http_client, running

PASSWORD = "Plaintext-Pa55word-41"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2lnbmF0dXJlLXNlY3JldA"
KEY = "sdk_0123456789abcdef0123456789abcdef_KeySecretKeySecretKeySecret"
REFRESH = "rEfReSh-ToKeN-SeCrEt-0123456789abcdef"


async def _crash(*args, password: str, **kwargs):  # type: ignore[no-untyped-def]
    refresh_token = REFRESH  # noqa: F841 (a local, as real code has)
    raise RuntimeError(f"login failed: password={password!r} Authorization: Bearer {JWT} "
                       f"key {KEY} {{'refresh_token': '{REFRESH}'}}")


async def main() -> int:
    services.login = _crash  # type: ignore[assignment]
    app = create_app(load_settings())
    async with running(app), http_client(app) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": "a@b.co", "password": PASSWORD},
            headers={"Authorization": f"Bearer {JWT}", "X-Api-Key": KEY})
    return 0 if response.status_code == 500 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
