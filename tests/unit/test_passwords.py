"""Password hashing: argon2id, and an unknown account costs a full verification."""

from __future__ import annotations

from api.auth import passwords


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "wrong horse battery")


def test_missing_hash_still_runs_a_verification_and_fails(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    real = passwords._hasher

    class Spy:
        def verify(self, hash_: str, password: str) -> bool:
            seen.append(hash_)
            return real.verify(hash_, password)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    # Even the dummy hash's own password is refused for an account without a hash.
    assert not passwords.verify_password(None, "shopdesk-timing-equaliser")
    assert seen == [passwords._dummy_hash]


def test_garbage_hash_is_a_refusal_not_an_error() -> None:
    assert not passwords.verify_password("not-a-hash", "whatever")


def test_fast_profile_is_refused_in_production(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from api.settings import load_settings

    monkeypatch.setenv("SHOPDESK_ENV", "production")
    monkeypatch.setenv("SHOPDESK_PASSWORD_HASHING", "fast-insecure")
    with pytest.raises(ValueError, match="production refuses"):
        load_settings()


def test_hashes_made_with_either_profile_verify_under_the_other() -> None:
    passwords.configure_hashing("argon2id")
    strong = passwords.hash_password("correct horse battery")
    passwords.configure_hashing("fast-insecure")
    try:
        cheap = passwords.hash_password("correct horse battery")
        assert passwords.verify_password(strong, "correct horse battery")
    finally:
        passwords.configure_hashing("argon2id")
    assert passwords.verify_password(cheap, "correct horse battery")
