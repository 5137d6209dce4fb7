"""Reading invitation tokens the way a person would: from the mail (the outbox mailer's .eml
files), then accepting them through the public API."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from typing import Any

from tests.support.world import PASSWORD, Account, World

__all__ = ["accept", "mail_count", "mailed_token", "mailed_tokens", "onboard_by_invitation"]

_TOKEN = re.compile(r"inv_[0-9a-f]{32}_[0-9a-f]{32}_[A-Za-z0-9_-]+")


def _messages(world: World) -> list[email.message.EmailMessage]:
    outbox = world.app.state.invitation_delivery.mailer.directory
    paths = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in paths]


def mailed_tokens(world: World, address: str) -> list[str]:
    """Every invitation token mailed to ``address``, oldest first."""
    tokens = []
    for message in _messages(world):
        if message["To"] == address:
            content = message.get_content()
            match = _TOKEN.search(content)
            assert match, content
            tokens.append(match.group(0))
    return tokens


def mailed_token(world: World, address: str) -> str:
    """The newest invitation token mailed to ``address``."""
    tokens = mailed_tokens(world, address)
    assert tokens, f"nothing was mailed to {address}"
    return tokens[-1]


def mail_count(world: World, address: str) -> int:
    return sum(1 for message in _messages(world) if message["To"] == address)


async def accept(world: World, token: str, **extra: Any) -> Any:
    return await world.client.post("/api/v1/invitations/accept", json={"token": token, **extra})


async def onboard_by_invitation(world: World, shop_id: uuid.UUID, inviter: Account, role: str
                                ) -> Account:
    """A new person invited into ``role`` by ``inviter``, accepted (choosing ``PASSWORD``) and
    signed in on the web."""
    address = f"staff-{uuid.uuid4().hex[:10]}@example.com"
    invited = await world.client.post(f"/api/v1/shops/{shop_id}/invitations",
                                      json={"email": address, "role": role},
                                      headers=inviter.headers())
    assert invited.status_code == 202, invited.text
    accepted = await accept(world, mailed_token(world, address), password=PASSWORD)
    assert accepted.status_code == 200, accepted.text
    account = Account(id=uuid.UUID(accepted.json()["user_id"]), email=address)
    await world.login(account)
    return account
