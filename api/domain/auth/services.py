"""Sign-in, refresh-token rotation, sign-out. Services never commit; the request does."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.passwords import hash_password, needs_rehash, verify_password
from api.auth.principal import Client
from api.auth.tokens import TokenService, hash_refresh_token, new_refresh_token
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.auth.models import LoginAttempt, RefreshToken
from api.domain.auth.schemas import TokenPair
from api.domain.users import services as users
from api.errors import ApiError
from api.settings import AuthSettings
from rbac.policy_store import record_change

__all__ = ["LoginOutcome", "login", "logout", "logout_everywhere", "refresh"]


def _now() -> datetime:
    return datetime.now(UTC)


class LoginOutcome:
    """A login's result: tokens, or the refusal to answer with.

    Failed attempts must be *stored* (they feed the rate limit), so a failed login is not an
    exception inside the transaction: the controller returns ``error`` as a response and the
    transaction commits.
    """

    def __init__(self, tokens: TokenPair | None = None, error: ApiError | None = None):
        self.tokens = tokens
        self.error = error


async def _recent_failures(session: AsyncSession, column: InstrumentedAttribute[str], value: str,
                           since: datetime) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= since)
    return int((await session.execute(query)).scalar_one())


_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def _serialise_attempts(session: AsyncSession, email: str, ip: str) -> None:
    """Make sign-ins for one account, or from one IP, count their failures one at a time.

    Without this, parallel wrong guesses all count the failures before any of them commits
    and all get through. An account has no business signing in twice at the same instant:
    a second attempt is refused at once rather than queued (a flood must not hold pooled
    connections). Colleagues behind one office address do sign in together: they queue,
    for a bounded time. Locks are transaction-scoped, taken email first, then IP.
    """
    if not (await session.execute(_TRY_LOCK, {"key": f"login:email:{email}"})).scalar_one():
        raise ApiError(429, "auth.attempt_in_progress",
                       "Another sign-in for this account is in progress.",
                       {"retry_after_seconds": 1})
    await session.execute(text("SET LOCAL lock_timeout = '3s'"))
    try:
        await session.execute(_LOCK, {"key": f"login:ip:{ip}"})
    except DBAPIError as exc:
        if getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None) != "55P03":
            raise
        raise ApiError(429, "auth.rate_limited", "Too many sign-ins at once. Try again shortly.",
                       {"retry_after_seconds": 3}) from exc


async def login(session: AsyncSession, tokens: TokenService, settings: AuthSettings, *,
                email: str, password: str, client: Client, ip: str, ctx: AuditContext
                ) -> LoginOutcome:
    """Check the rate limits, then the password (an unknown email costs the same time)."""
    email = users.normalise_email(email)
    await _serialise_attempts(session, email, ip)
    since = _now() - timedelta(seconds=settings.login_window_seconds)
    if (await _recent_failures(session, LoginAttempt.email, email, since)
            >= settings.login_max_failures_per_account
            or await _recent_failures(session, LoginAttempt.ip, ip, since)
            >= settings.login_max_failures_per_ip):
        return LoginOutcome(error=ApiError(
            429, "auth.rate_limited", "Too many failed sign-ins. Try again later.",
            {"retry_after_seconds": settings.login_window_seconds}))

    user = await users.get_user_by_email(session, email)
    # Always run argon2 (against a dummy hash for an unknown email): skipping it would let
    # response times tell which emails have accounts.
    # argon2 takes tens of milliseconds of CPU: off the event loop.
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None,
                                 password) and user is not None
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok or user is None:
        await audit.record_firm(session, ctx, action="auth.login", outcome="failure",
                                target=email, details={"client": client.value})
        return LoginOutcome(error=ApiError(401, "auth.invalid_credentials",
                                           "Email or password is wrong."))
    if not user.is_active:
        return LoginOutcome(error=ApiError(401, "auth.account_disabled", "This account is disabled."))
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    pair = await _issue(session, tokens, settings, user.id, client, family_id=uuid.uuid4())
    actor = AuditContext(str(user.id), client.value, ctx.ip, ctx.request_id)
    await audit.record_firm(session, actor, action="auth.login", target=email,
                            details={"client": client.value})
    return LoginOutcome(tokens=pair)


async def _issue(session: AsyncSession, tokens: TokenService, settings: AuthSettings,
                 user_id: uuid.UUID, client: Client, family_id: uuid.UUID) -> TokenPair:
    access, expires = tokens.issue_access_token(str(user_id), client, str(family_id))
    raw = new_refresh_token()
    # Stamped with this process's clock, like ``sessions_valid_after``: the two are compared,
    # and the database's now() is the transaction's start, possibly before "log out everywhere".
    now = _now()
    session.add(RefreshToken(
        id=uuid.uuid4(), user_id=user_id, family_id=family_id, token_hash=hash_refresh_token(raw),
        client=client.value, created_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_ttl_seconds)))
    await session.flush()
    return TokenPair(access_token=access, refresh_token=raw, token_type="Bearer",
                     expires_in=max(0, expires - int(time.time())), client=client,
                     user_id=str(user_id))


async def refresh(session: AsyncSession, tokens: TokenService, settings: AuthSettings,
                  raw_token: str) -> TokenPair | ApiError:
    """Rotate a refresh token. Presenting a used one revokes its whole family (theft)."""
    stored = (await session.execute(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(raw_token))
        .with_for_update())).scalar_one_or_none()
    invalid = ApiError(401, "auth.refresh_invalid", "The refresh token is invalid or expired.")
    if stored is None or stored.revoked_at is not None or stored.expires_at <= _now():
        return invalid
    if stored.used_at is not None:
        await _revoke_family(session, settings, stored.user_id, stored.family_id)
        return ApiError(401, "auth.refresh_reused",
                        "This refresh token was already used; its sessions are signed out.")
    user = await users.get_user(session, stored.user_id)
    if user is None or not user.is_active:
        return invalid
    if user.sessions_valid_after and stored.created_at < user.sessions_valid_after:
        return invalid
    stored.used_at = _now()
    return await _issue(session, tokens, settings, user.id, Client(stored.client),
                        family_id=stored.family_id)


async def _revoke_family(session: AsyncSession, settings: AuthSettings, user_id: uuid.UUID,
                         family_id: uuid.UUID) -> None:
    """Sign one session out: its refresh tokens stop working, and so, in every process, do
    its access tokens (``sid``), once this commits (the same journal as a removed member)."""
    now = _now()
    await session.execute(update(RefreshToken).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None)
    ).values(revoked_at=now))
    # Kept until the newest access token of the family has surely expired.
    await session.execute(_REVOKE_SESSION, {
        "family_id": family_id, "user_id": user_id,
        "expires_at": now + timedelta(seconds=settings.access_ttl_seconds + 60)})
    await session.execute(_FORGET_EXPIRED, {"user_id": user_id})
    await record_change(session, "user", user_id=user_id)


_REVOKE_SESSION = text(
    "INSERT INTO revoked_sessions (family_id, user_id, expires_at) "
    "VALUES (:family_id, :user_id, :expires_at) "
    "ON CONFLICT (family_id) DO UPDATE SET expires_at = EXCLUDED.expires_at")
_FORGET_EXPIRED = text(
    "DELETE FROM revoked_sessions WHERE user_id = :user_id AND expires_at <= now()")


async def logout(session: AsyncSession, settings: AuthSettings, user_id: uuid.UUID,
                 session_id: str | None, raw_token: str) -> None:
    """Sign this device out: the session of the access token used, and the refresh token's
    family (normally the same one). An unknown refresh token is ignored."""
    families: set[uuid.UUID] = set()
    if session_id is not None:
        families.add(uuid.UUID(session_id))
    stored = (await session.execute(select(RefreshToken).where(
        RefreshToken.token_hash == hash_refresh_token(raw_token),
        RefreshToken.user_id == user_id))).scalar_one_or_none()
    if stored is not None:
        families.add(stored.family_id)
    for family_id in sorted(families):
        await _revoke_family(session, settings, user_id, family_id)


async def logout_everywhere(session: AsyncSession, user_id: uuid.UUID, ctx: AuditContext) -> None:
    """Revoke every refresh token and every access token issued until now."""
    user = await users.get_user(session, user_id)
    if user is None:
        raise ApiError.not_found("user")
    user.sessions_valid_after = _now()
    await session.execute(update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    ).values(revoked_at=_now()))
    # Access tokens are checked against sessions_valid_after in every process's memory.
    await record_change(session, "user", user_id=user_id)
    await audit.record_firm(session, ctx, action="auth.logout_all", target=str(user_id))
