"""``integration_keys.last_used_at``: written at most about once a minute per key.

A write per request would put a row update (and its lock) on every call a shop's systems
make. Each process remembers when it last stamped each key and stamps again only once the
interval has passed; the UPDATE itself also refuses a stamp younger than the interval, so
several processes together still write about once per interval. Registered as a commit
listener (``api.db.hooks.on_commit``): a request that did its work marks the key as used.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from litestar.connection import Request
from sqlalchemy import text

from api.auth.principal import IntegrationKeyPrincipal
from api.db.shop_context import bind_shop

__all__ = ["TOUCH_INTERVAL_SECONDS", "note_key_use"]

TOUCH_INTERVAL_SECONDS = 60.0
_TOUCH = text(
    "UPDATE integration_keys SET last_used_at = now() WHERE shop_id = :shop_id AND id = :id "
    "AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => :interval))")
_last_touch: dict[uuid.UUID, float] = {}


async def note_key_use(request: Request, _info: dict[str, Any], shop_id: uuid.UUID | None
                       ) -> None:
    key = request.scope.get("user")
    if not isinstance(key, IntegrationKeyPrincipal) or shop_id != key.shop_id:
        return
    now = time.monotonic()
    if now - _last_touch.get(key.key_id, float("-inf")) < TOUCH_INTERVAL_SECONDS:
        return
    _last_touch[key.key_id] = now
    if len(_last_touch) > 100_000:  # bounded: forget the oldest half
        for stale in sorted(_last_touch, key=_last_touch.__getitem__)[:50_000]:
            _last_touch.pop(stale, None)
    async with request.app.state.engine.begin() as conn:
        await bind_shop(conn, shop_id)
        await conn.execute(_TOUCH, {"shop_id": shop_id, "id": key.key_id,
                                    "interval": TOUCH_INTERVAL_SECONDS})
