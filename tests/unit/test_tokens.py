"""Token service without HTTP: claims, rotation between key rings, refusals."""

from __future__ import annotations

import dataclasses
import time
import uuid

import jwt
import pytest

from api.auth.keys import KeyRing
from api.auth.principal import Client
from api.auth.tokens import TokenService, hash_refresh_token, new_refresh_token
from api.errors import ApiError
from api.settings import load_settings

OLD = KeyRing("old", {"old": b"o" * 32})
NEW = KeyRing("new", {"new": b"n" * 32, "old": b"o" * 32})
AUTH = dataclasses.replace(load_settings().auth, issuer="shopdesk", audience="shopdesk-api")


def test_issued_token_carries_identity_but_never_roles() -> None:
    user = str(uuid.uuid4())
    token, expires = TokenService(NEW, AUTH).issue_access_token(user, Client.MOBILE)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sub", "cli", "jti", "iat", "exp", "iss", "aud"}
    assert claims["cli"] == "mobile" and claims["exp"] == expires
    assert abs(claims["iat"] - time.time()) < 5


def test_token_from_the_old_ring_verifies_after_rotation() -> None:
    user = str(uuid.uuid4())
    token, _ = TokenService(OLD, AUTH).issue_access_token(user, Client.WEB)
    principal = TokenService(NEW, AUTH).verify(token)
    assert principal.user_id == user and principal.client is Client.WEB


def test_token_signed_with_a_retired_key_is_refused() -> None:
    token, _ = TokenService(NEW, AUTH).issue_access_token(str(uuid.uuid4()), Client.WEB)
    with pytest.raises(ApiError) as refused:
        TokenService(OLD, AUTH).verify(token)
    assert refused.value.status == 401 and refused.value.code == "auth.token_unknown_key"


def test_issue_time_has_microsecond_precision_like_database_timestamps() -> None:
    # "Log out everywhere" compares it with a timestamptz: same precision, no rounding up.
    from datetime import UTC, datetime

    service = TokenService(NEW, AUTH)
    before = datetime.now(UTC).timestamp()
    token, _ = service.issue_access_token(str(uuid.uuid4()), Client.WEB)
    after = datetime.now(UTC).timestamp()
    issued = service.verify(token).issued_at
    assert before <= issued <= after
    assert issued == datetime.fromtimestamp(issued, UTC).timestamp()


def test_refresh_tokens_are_random_and_stored_hashed() -> None:
    a, b = new_refresh_token(), new_refresh_token()
    assert a != b and len(a) >= 40
    assert hash_refresh_token(a) != a.encode() and len(hash_refresh_token(a)) == 32
