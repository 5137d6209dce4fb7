"""The API's paths, spelled once for every test."""

from __future__ import annotations

import uuid

__all__ = ["API", "LOGIN", "ME", "members_path", "shop_path"]

API = "/api/v1"
LOGIN = f"{API}/auth/login"
ME = f"{API}/me"


def shop_path(shop_id: uuid.UUID | str, *rest: str) -> str:
    """``/api/v1/shops/{shop_id}``, then ``rest`` joined by slashes: ``shop_path(s, "audit")``."""
    return "/".join([f"{API}/shops/{shop_id}", *(str(part).strip("/") for part in rest)])


def members_path(shop_id: uuid.UUID | str, user_id: uuid.UUID | str | None = None) -> str:
    base = shop_path(shop_id, "members")
    return base if user_id is None else f"{base}/{user_id}"
