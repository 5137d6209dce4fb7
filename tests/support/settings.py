"""The settings every app under test runs with (and the signing keys behind its tokens)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from api.settings import Settings, load_settings
from tests.support.database import TestDatabase

__all__ = ["NEWEST_KID", "OLDER_KID", "SIGNING_KEYS", "TEST_SIGNING_KEYS", "make_settings"]

TEST_SIGNING_KEYS = "test-1:" + "k" * 48 + ",test-0:" + "o" * 48
# kid -> secret, newest first (the order the API signs with).
SIGNING_KEYS: dict[str, str] = dict(pair.split(":") for pair in TEST_SIGNING_KEYS.split(","))
NEWEST_KID, OLDER_KID = list(SIGNING_KEYS)


def make_settings(db: TestDatabase, data_dir: Path, **auth_overrides: Any) -> Settings:
    base = load_settings()
    auth_overrides = {"password_hashing": "fast-insecure", **auth_overrides}
    auth = dataclasses.replace(base.auth, signing_keys=TEST_SIGNING_KEYS,
                               login_max_failures_per_ip=1000, **auth_overrides)
    database = dataclasses.replace(base.database, url=db.owner_url, app_url=db.app_url)
    return dataclasses.replace(base, environment="test", data_dir=data_dir, auth=auth,
                               database=database, log_level="WARNING", authz_poll_seconds=0.5)
