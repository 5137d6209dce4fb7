"""Signed checkpoints of the audit chains: proof, kept outside the database, of each chain's head.

The hash chain catches an edited or removed entry inside a chain, but not a cut at its very
end, nor a rewrite of the whole chain by someone with the owner's rights. A checkpoint closes
that gap: ``(shop_id, last_seq, last_hash, taken_at)`` signed with an Ed25519 key that only
the API's environment holds (``SHOPDESK_AUDIT_CHECKPOINT_KEY``). The database keeps copies
(to list and export them) but could not forge one; anyone with the public key can check a
checkpoint, and ``verify_against_checkpoint`` checks a chain against one: the entry at
``last_seq`` must still carry ``last_hash``, and the chain must still verify.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db.shop_context import bind_shop
from api.domain.audit.schemas import CheckpointRead, CheckpointVerification
from api.domain.audit.verify import verify_chain
from api.errors import ApiError

__all__ = [
    "CheckpointSigner",
    "generate_signing_key",
    "list_checkpoints",
    "load_signer",
    "public_key_text",
    "signed_message",
    "take_checkpoints",
    "verify_against_checkpoint",
    "verify_signature",
]

logger = structlog.get_logger(__name__)

_HEADS = text("SELECT shop_id, last_seq, last_hash FROM audit_chain_heads()")
_LATEST = text("SELECT last_seq FROM audit_checkpoints WHERE shop_id = :shop_id "
               "ORDER BY taken_at DESC LIMIT 1")
_INSERT = text("INSERT INTO audit_checkpoints (shop_id, taken_at, last_seq, last_hash, key_id, "
               "signature) VALUES (:shop_id, :taken_at, :last_seq, :last_hash, :key_id, :sig)")
_LIST = text("SELECT shop_id, taken_at, last_seq, last_hash, key_id, signature "
             "FROM audit_checkpoints WHERE shop_id = :shop_id "
             "AND (CAST(:before AS timestamptz) IS NULL OR taken_at < :before) "
             "ORDER BY taken_at DESC LIMIT :limit")
_ENTRY_HASH = text("SELECT hash FROM audit_log WHERE shop_id = :shop_id AND seq = :seq")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text_: str) -> bytes:
    return base64.urlsafe_b64decode(text_ + "=" * (-len(text_) % 4))


def signed_message(shop_id: uuid.UUID, last_seq: int, last_hash: bytes, taken_at: datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers (documented for outside verifiers)."""
    moment = taken_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"shopdesk-audit-checkpoint:v1:{shop_id}:{last_seq}:{last_hash.hex()}:{moment}".encode()


@dataclass(frozen=True, slots=True)
class CheckpointSigner:
    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def generate_signing_key() -> str:
    """A new key in the setting's format: ``<key id>:<base64url private key>``."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return f"ck-{uuid.uuid4().hex[:8]}:{_b64(raw)}"


def load_signer(setting: str | None) -> CheckpointSigner | None:
    """The signer from ``SHOPDESK_AUDIT_CHECKPOINT_KEY`` (``<key id>:<base64url 32 bytes>``)."""
    if not setting:
        return None
    key_id, sep, encoded = setting.partition(":")
    try:
        if not sep or not key_id:
            raise ValueError("expected '<key id>:<key>'")
        return CheckpointSigner(key_id, Ed25519PrivateKey.from_private_bytes(_unb64(encoded)))
    except ValueError as exc:
        raise ValueError(f"SHOPDESK_AUDIT_CHECKPOINT_KEY is not a valid key: {exc}") from None


def public_key_text(signer: CheckpointSigner) -> str:
    return f"{signer.key_id}:{_b64(signer.public_key.public_bytes_raw())}"


async def take_checkpoints(engine: AsyncEngine, signer: CheckpointSigner) -> int:
    """Sign the head of every chain that moved since its last checkpoint; returns how many."""
    async with engine.connect() as conn:
        heads = (await conn.execute(_HEADS)).all()
    taken = 0
    for head in heads:
        async with engine.begin() as conn:
            await bind_shop(conn, head.shop_id)
            latest = (await conn.execute(_LATEST, {"shop_id": head.shop_id})).scalar()
            if latest is not None and latest >= head.last_seq:
                continue
            taken_at = datetime.now(UTC)
            message = signed_message(head.shop_id, head.last_seq, bytes(head.last_hash), taken_at)
            await conn.execute(_INSERT, {
                "shop_id": head.shop_id, "taken_at": taken_at, "last_seq": head.last_seq,
                "last_hash": bytes(head.last_hash), "key_id": signer.key_id,
                "sig": signer.sign(message)})
            taken += 1
    return taken


def _to_read(row) -> CheckpointRead:  # type: ignore[no-untyped-def]
    return CheckpointRead(shop_id=row.shop_id, taken_at=row.taken_at, last_seq=row.last_seq,
                          last_hash=bytes(row.last_hash).hex(), key_id=row.key_id,
                          signature=_b64(bytes(row.signature)))


async def list_checkpoints(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                           before: datetime | None) -> list[CheckpointRead]:
    """A chain's checkpoints, newest first (the session must be bound to ``shop_id``)."""
    try:  # the driver converts to UTC: 0001-01-01 at +01:00 would fail there, a 500
        if before is not None:
            before.astimezone(UTC)
    except OverflowError:
        raise ApiError(400, "audit.time_out_of_range",
                       "This time has no date in UTC (before year 1 or after 9999).",
                       {"parameter": "before"}) from None
    rows = (await session.execute(_LIST, {"shop_id": shop_id, "limit": limit,
                                          "before": before})).all()
    return [_to_read(row) for row in rows]


def verify_signature(checkpoint: CheckpointRead, public_key: Ed25519PublicKey) -> bool:
    try:
        last_hash = bytes.fromhex(checkpoint.last_hash)
        signature = _unb64(checkpoint.signature)
        # A moment that has no UTC date (0001-01-01 at +01:00) was never signed by us.
        message = signed_message(checkpoint.shop_id, checkpoint.last_seq, last_hash,
                                 checkpoint.taken_at)
    except (ValueError, OverflowError):
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


async def verify_against_checkpoint(session: AsyncSession, shop_id: uuid.UUID,
                                    checkpoint: CheckpointRead,
                                    signer: CheckpointSigner | None) -> CheckpointVerification:
    """Check ``shop_id``'s chain against a checkpoint kept outside (bound session)."""
    if checkpoint.shop_id != shop_id:
        raise ApiError(422, "audit.checkpoint_other_chain",
                       "This checkpoint is for another chain.")
    if signer is None:
        raise ApiError(409, "audit.checkpoints_not_configured",
                       "No checkpoint key is configured, so signatures cannot be checked.")
    if checkpoint.key_id != signer.key_id:
        raise ApiError(422, "audit.checkpoint_unknown_key",
                       "The checkpoint was signed with a key this server does not know.",
                       {"key_id": checkpoint.key_id})
    signature_valid = verify_signature(checkpoint, signer.public_key)
    stored = (await session.execute(_ENTRY_HASH, {"shop_id": shop_id,
                                                  "seq": checkpoint.last_seq})).scalar()
    entry_matches = stored is not None and bytes(stored).hex() == checkpoint.last_hash.lower()
    report = await verify_chain(session, shop_id)
    ok = signature_valid and entry_matches and report.ok
    return CheckpointVerification(
        ok=ok, signature_valid=signature_valid, entry_present=stored is not None,
        entry_matches=entry_matches, chain=report,
        entries_since=max(0, (report.last_seq or 0) - checkpoint.last_seq))
