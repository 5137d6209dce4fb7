"""Invitations: how an e-mail address becomes a shop's member, for new and existing accounts.

A shop learns nothing about people outside it. Inviting an address answers the same whether
or not an account has it; nothing joins the shop until the person behind the address accepts
with the single-use token mailed to it; until then the shop sees only what it typed. The
token reads ``inv_<shop hex>_<invitation hex>_<secret>``; only ``sha256(secret)`` is stored,
inviting the same address again renews the token (the old one stops working), and an
accepted, withdrawn or expired invitation refuses its token with a code of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.passwords import hash_password
from api.db.hooks import after_commit
from api.db.shop_context import bind_shop
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.invitations import errors
from api.domain.invitations.enums import InvitationStatus
from api.domain.invitations.schemas import InvitationAccepted, InvitationRead
from api.domain.users import services as users
from api.mail import Mailer
from api.pagination import Page, decode_cursor, page_of
from api.settings import MailSettings
from rbac.policy_store import record_change

__all__ = ["Delivery", "accept", "invite", "list_invitations", "parse_token", "resend", "revoke"]

_PREFIX = "inv_"
_COLUMNS = ("id, email, role, invited_by, created_at, expires_at, sent_count, accepted_at, "
            "revoked_at")
_UPSERT = text(f"""
INSERT INTO invitations (shop_id, id, email, role, secret_hash, invited_by, expires_at)
VALUES (:shop_id, :id, :email, :role, :secret_hash, :invited_by, :expires_at)
ON CONFLICT (shop_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL
DO UPDATE SET secret_hash = EXCLUDED.secret_hash, role = EXCLUDED.role,
              expires_at = EXCLUDED.expires_at, invited_by = EXCLUDED.invited_by,
              sent_count = invitations.sent_count + 1
RETURNING {_COLUMNS}
""")
_RENEW = text(f"""
UPDATE invitations SET secret_hash = :secret_hash, expires_at = :expires_at,
       sent_count = sent_count + 1
 WHERE shop_id = :shop_id AND id = :id AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING {_COLUMNS}
""")
_GET = text(f"SELECT {_COLUMNS}, secret_hash FROM invitations "
            "WHERE shop_id = :shop_id AND id = :id")
_LOCK = text(f"SELECT {_COLUMNS}, secret_hash FROM invitations "
             "WHERE shop_id = :shop_id AND id = :id FOR UPDATE")
_MEMBER_BY_EMAIL = text(
    "SELECT 1 FROM shop_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.shop_id = :shop_id AND u.email = :email AND m.status = 'active'")
_FOUNDER_TAKEN = text(
    "SELECT s.founder_removed OR EXISTS (SELECT 1 FROM shop_members m WHERE m.shop_id = s.id "
    "AND m.role = 'founder' AND m.status = 'active') FROM shops s WHERE s.id = :shop_id")
_JOIN = text("""
INSERT INTO shop_members (shop_id, user_id, role, status, added_by)
VALUES (:shop_id, :user_id, :role, 'active', :added_by)
ON CONFLICT (shop_id, user_id) DO UPDATE
   SET role = EXCLUDED.role, status = 'active', added_by = EXCLUDED.added_by,
       removed_at = NULL, removed_by = NULL, updated_at = now()
 WHERE shop_members.status <> 'active'
RETURNING user_id
""")
_MARK_ACCEPTED = text("UPDATE invitations SET accepted_at = now(), accepted_by = :user_id "
                      "WHERE shop_id = :shop_id AND id = :id")
_REVOKE = text("UPDATE invitations SET revoked_at = now() WHERE shop_id = :shop_id AND id = :id")


@dataclass(frozen=True, slots=True)
class Delivery:
    """How invitations reach people: the mailer, and where links point."""

    mailer: Mailer
    settings: MailSettings


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _status(row: Any, now: datetime) -> InvitationStatus:
    if row.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if row.revoked_at is not None:
        return InvitationStatus.REVOKED
    return InvitationStatus.EXPIRED if row.expires_at <= now else InvitationStatus.PENDING


def _read(row: Any) -> InvitationRead:
    return InvitationRead(id=row.id, email=row.email, role=row.role,
                          status=_status(row, datetime.now(UTC)), invited_by=row.invited_by,
                          created_at=row.created_at, expires_at=row.expires_at,
                          sent_count=row.sent_count, accepted_at=row.accepted_at)


def parse_token(token: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    """(shop id, invitation id, secret), or ``invitation.not_found`` for anything else."""
    if not token.startswith(_PREFIX):
        raise errors.not_found()
    shop_hex, _, rest = token[len(_PREFIX):].partition("_")
    invitation_hex, _, secret = rest.partition("_")
    try:
        return uuid.UUID(hex=shop_hex), uuid.UUID(hex=invitation_hex), secret
    except ValueError:
        raise errors.not_found() from None


def _mail_after_commit(session: AsyncSession, delivery: Delivery, email: str, shop_id: uuid.UUID,
                       invitation_id: uuid.UUID, secret: str, role: str) -> None:
    token = f"{_PREFIX}{shop_id.hex}_{invitation_id.hex}_{secret}"
    link = f"{delivery.settings.public_url}/invitations/accept?token={token}"
    body = (f"You are invited to join a shop on ShopDesk as {role.replace('_', ' ')}.\n\n"
            f"Accept: {link}\n\nOr send POST /api/v1/invitations/accept with this token:\n"
            f"{token}\n\nThe invitation expires in "
            f"{delivery.settings.invitation_ttl_seconds // 3600} hours and works once.\n")

    async def send() -> None:
        await delivery.mailer.send(email, "Your ShopDesk invitation", body)

    after_commit(session, send)


async def invite(session: AsyncSession, shop_id: uuid.UUID, *, email: str, role: str,
                 invited_by: uuid.UUID | None, ctx: AuditContext, delivery: Delivery,
                 allow_founder: bool = False) -> InvitationRead:
    """Invite ``email`` into ``role`` (renewing an open invitation of the same address).

    The answer does not depend on whether an account has this address.
    """
    email = users.normalise_email(email)
    if role == "founder" and not allow_founder:
        raise errors.founder_not_invitable()
    if (await session.execute(_MEMBER_BY_EMAIL, {"shop_id": shop_id, "email": email})).first():
        raise errors.already_member()
    secret = secrets.token_urlsafe(32)
    row = (await session.execute(_UPSERT, {
        "shop_id": shop_id, "id": uuid.uuid4(), "email": email, "role": role,
        "secret_hash": _hash(secret), "invited_by": invited_by,
        "expires_at": datetime.now(UTC) + timedelta(
            seconds=delivery.settings.invitation_ttl_seconds),
    })).one()
    _mail_after_commit(session, delivery, email, shop_id, row.id, secret, role)
    await audit.record(session, ctx, shop_id=shop_id, action="invitation.sent",
                       target=str(row.id), details={"email": email, "role": role,
                                                    "sent_count": row.sent_count})
    return _read(row)


async def resend(session: AsyncSession, shop_id: uuid.UUID, invitation_id: uuid.UUID, *,
                 ctx: AuditContext, delivery: Delivery) -> InvitationRead:
    """A fresh token and expiry for a pending (or lapsed) invitation; the old token dies."""
    current = await _get(session, shop_id, invitation_id)
    if current.accepted_at is not None or current.revoked_at is not None:
        raise errors.not_pending(_status(current, datetime.now(UTC)).value)
    secret = secrets.token_urlsafe(32)
    row = (await session.execute(_RENEW, {
        "shop_id": shop_id, "id": invitation_id, "secret_hash": _hash(secret),
        "expires_at": datetime.now(UTC) + timedelta(
            seconds=delivery.settings.invitation_ttl_seconds)})).one()
    _mail_after_commit(session, delivery, row.email, shop_id, row.id, secret, row.role)
    await audit.record(session, ctx, shop_id=shop_id, action="invitation.resent",
                       target=str(row.id), details={"sent_count": row.sent_count})
    return _read(row)


async def revoke(session: AsyncSession, shop_id: uuid.UUID, invitation_id: uuid.UUID, *,
                 ctx: AuditContext) -> None:
    current = await _get(session, shop_id, invitation_id, lock=True)
    if current.accepted_at is not None or current.revoked_at is not None:
        raise errors.not_pending(_status(current, datetime.now(UTC)).value)
    await session.execute(_REVOKE, {"shop_id": shop_id, "id": invitation_id})
    await audit.record(session, ctx, shop_id=shop_id, action="invitation.revoked",
                       target=str(invitation_id))


async def _get(session: AsyncSession, shop_id: uuid.UUID, invitation_id: uuid.UUID, *,
               lock: bool = False) -> Any:
    row = (await session.execute(_LOCK if lock else _GET,
                                 {"shop_id": shop_id, "id": invitation_id})).first()
    if row is None:
        raise errors.not_found()
    return row


async def list_invitations(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                           cursor: str | None, pending_only: bool) -> Page[InvitationRead]:
    """The shop's invitations in the order they were first sent."""
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    sql = (f"SELECT {_COLUMNS} FROM invitations WHERE shop_id = :shop_id"
           + (" AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
              if pending_only else "")
           + (" AND (created_at, id) > (:after_at, :after_id)" if after else "")
           + " ORDER BY created_at, id LIMIT :limit")
    params: dict[str, Any] = {"shop_id": shop_id, "limit": limit + 1}
    if after:
        params["after_at"], params["after_id"] = after
    rows = (await session.execute(text(sql), params)).all()
    page = page_of(rows, limit, lambda row: [row.created_at, row.id])
    return Page(items=[_read(row) for row in page.items], next_cursor=page.next_cursor)


async def accept(session: AsyncSession, token: str, *, password: str | None, display_name: str,
                 ctx: AuditContext) -> InvitationAccepted:
    """Turn a valid token into a membership (creating the account for a new address).

    The invitation row is locked, so two acceptances of one token cannot both succeed. An
    existing account keeps its password: an invitation never changes one.
    """
    shop_id, invitation_id, secret = parse_token(token)
    await bind_shop(session, shop_id)
    row = (await session.execute(_LOCK, {"shop_id": shop_id, "id": invitation_id})).first()
    if row is None or not hmac.compare_digest(bytes(row.secret_hash), _hash(secret)):
        raise errors.not_found()
    status = _status(row, datetime.now(UTC))
    if status is InvitationStatus.ACCEPTED:
        raise errors.used()
    if status is InvitationStatus.REVOKED:
        raise errors.revoked()
    if status is InvitationStatus.EXPIRED:
        raise errors.expired()
    if row.role == "founder" and (await session.execute(
            _FOUNDER_TAKEN, {"shop_id": shop_id})).scalar():
        raise errors.founder_exists()
    user, created = await _account_for(session, row.email, password, display_name)
    joined = (await session.execute(_JOIN, {"shop_id": shop_id, "user_id": user.id,
                                            "role": row.role,
                                            "added_by": row.invited_by})).first()
    if joined is None:
        raise errors.already_member()
    await session.execute(_MARK_ACCEPTED, {"shop_id": shop_id, "id": invitation_id,
                                           "user_id": user.id})
    await record_change(session, "shop", shop_id=shop_id)
    accepted_ctx = AuditContext(actor_id=str(user.id), client=ctx.client, ip=ctx.ip,
                                request_id=ctx.request_id)
    await audit.record(session, accepted_ctx, shop_id=shop_id, action="invitation.accepted",
                       target=str(invitation_id),
                       details={"role": row.role, "user_id": str(user.id)})
    return InvitationAccepted(shop_id=shop_id, user_id=user.id, role=row.role,
                              account_created=created)


async def _account_for(session: AsyncSession, email: str, password: str | None,
                       display_name: str) -> tuple[Any, bool]:
    existing = await users.get_user_by_email(session, email)
    if existing is not None and existing.password_hash is not None:
        if password is not None:
            raise errors.password_not_expected()
        return existing, False
    if password is None:
        raise errors.password_required()
    # argon2 takes tens of milliseconds of CPU: never on the event loop.
    hashed = await asyncio.to_thread(hash_password, password)
    # No account yet, or one an invitation created before this flow existed (no password).
    user = existing or await users.create_user(session, email=email, password=None,
                                               display_name=display_name)
    await users.set_password_hash(session, user, hashed, display_name=display_name or None)
    return user, True
