"""One HTTP attempt: pinned to the checked address, strict timeouts, a bounded read."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import httpx

from api.domain.webhooks import signing
from api.domain.webhooks.fanout import BODY_LIMIT, Claimed, Outcome
from api.domain.webhooks.targets import TargetRefused, resolve

__all__ = ["new_client", "send"]

# httpx logs every request at INFO; each attempt is in the delivery log already, and a busy
# dispatcher would flood the server's output (and block on a full pipe).
logging.getLogger("httpx").setLevel(logging.WARNING)


def new_client(timeout_seconds: float) -> httpx.AsyncClient:
    connect = min(5.0, timeout_seconds)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds, connect=connect, pool=connect),
        follow_redirects=False, trust_env=False,  # no proxies from the environment
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after", "")
    # ASCII digits only: '²' is a digit to isdigit() but not to float(), and a crash here
    # would leave the attempt unrecorded (sent again, even when it was delivered).
    return float(raw) if raw.isascii() and raw.isdigit() else None


async def send(client: httpx.AsyncClient, claimed: Claimed, *, allow_private: bool,
               timeout_seconds: float) -> Outcome:
    started = datetime.now(UTC)
    clock = time.perf_counter()

    def outcome(code: int | None, error: str | None, body: str = "",
                retry_after: float | None = None) -> Outcome:
        ms = int((time.perf_counter() - clock) * 1000)
        return Outcome(started, ms, code, error, body, retry_after)

    try:
        # Checked again at every attempt: the name may point elsewhere since registration.
        target = await resolve(claimed.url, allow_private=allow_private,
                               timeout=min(5.0, timeout_seconds))
    except TargetRefused as refused:
        return outcome(None, f"{refused.code}: {refused.message}")
    timestamp = int(time.time())
    headers = signing.headers(claimed.secrets, str(claimed.event_id), timestamp, claimed.body)
    headers["host"] = target.host_header
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    try:
        async with asyncio.timeout(timeout_seconds):
            async with client.stream("POST", target.url, content=claimed.body, headers=headers,
                                     extensions=extensions) as response:
                kept = bytearray()
                async for chunk in response.aiter_raw():
                    kept += chunk[:BODY_LIMIT - len(kept)]
                    if len(kept) >= BODY_LIMIT:
                        break
                text = kept.decode("utf-8", "replace").replace("\x00", "")
                error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
                return outcome(response.status_code, error, text, _retry_after(response))
    except TimeoutError:
        return outcome(None, f"timed out after {timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {str(exc)[:300]}")
