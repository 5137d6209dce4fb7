"""Signed audit checkpoints: what the chain alone cannot catch (a cut at its end, a rewrite of
the whole chain) is caught against a checkpoint kept outside the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.domain.audit.checkpoints import (
    _unb64,
    generate_signing_key,
    load_signer,
    signed_message,
    take_checkpoints,
)
from api.domain.auth.pruning import prune_login_attempts
from api.periodic import run_once_across_processes
from tests.integration.audit.chains import chain_of
from tests.support.world import Account, World


@pytest.fixture
def signer(world: World) -> Iterator[Any]:
    """The suite's app, signing with a fresh key for the length of one test."""
    key = load_signer(generate_signing_key())
    previous = world.app.state.audit_signer
    world.app.state.audit_signer = key
    yield key
    world.app.state.audit_signer = previous


async def _checkpoints(world: World, shop_id: uuid.UUID, account: Account) -> list[dict[str, Any]]:
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit/checkpoints",
                                      headers=account.headers())
    assert response.status_code == 200, response.text
    return response.json()


async def _verify(world: World, shop_id: uuid.UUID, account: Account,
                  checkpoint: dict[str, Any]) -> Any:
    return await world.client.post(f"/api/v1/shops/{shop_id}/audit/checkpoints/verify",
                                   json=checkpoint, headers=account.headers())


async def _owner_exec(owner: asyncpg.Connection, shop_id: uuid.UUID, *statements: str) -> None:
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        for statement in statements:
            await owner.execute(statement, shop_id)


async def test_checkpoint_signs_the_chain_head_and_verifies_with_the_public_key(
        world: World, signer: Any) -> None:
    shop_id, founder = await chain_of(world, 3)
    assert await take_checkpoints(world.app.state.engine, signer) >= 1
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    assert checkpoint["last_seq"] == 3 and checkpoint["key_id"] == signer.key_id
    # An outside verifier needs only the published public key and the documented message.
    key = (await world.client.get("/api/v1/audit/checkpoint-key")).json()
    public = Ed25519PublicKey.from_public_bytes(_unb64(key["public_key"]))
    from datetime import datetime
    public.verify(_unb64(checkpoint["signature"]), signed_message(
        shop_id, 3, bytes.fromhex(checkpoint["last_hash"]),
        datetime.fromisoformat(checkpoint["taken_at"])))

    # Nothing new in the chain: nothing new to sign.
    await take_checkpoints(world.app.state.engine, signer)
    assert len(await _checkpoints(world, shop_id, founder)) == 1


async def test_untouched_chain_matches_its_checkpoint_and_counts_entries_since(
        world: World, signer: Any) -> None:
    shop_id, founder = await chain_of(world, 3)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    await world.client.patch(f"/api/v1/shops/{shop_id}", json={"name": "later"},
                             headers=founder.headers())
    response = await _verify(world, shop_id, founder, checkpoint)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["signature_valid"] and body["entry_matches"]
    assert body["entries_since"] == 1


async def test_a_cut_at_the_end_of_the_chain_is_caught_by_the_checkpoint(
        world: World, signer: Any, owner: asyncpg.Connection) -> None:
    shop_id, founder = await chain_of(world, 4)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    await _owner_exec(owner, shop_id, "DELETE FROM audit_log WHERE shop_id = $1 AND seq >= 3")
    chain = (await world.client.get(f"/api/v1/shops/{shop_id}/audit/verify",
                                    headers=founder.headers())).json()
    assert chain["ok"] is True  # the chain alone cannot see it
    body = (await _verify(world, shop_id, founder, checkpoint)).json()
    assert body["ok"] is False and body["entry_present"] is False


async def test_a_rewritten_chain_no_longer_matches_its_checkpoint(
        world: World, signer: Any, owner: asyncpg.Connection) -> None:
    shop_id, founder = await chain_of(world, 3)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    # The owner rewrites history: everything deleted, a forged chain appended by the trigger
    # (so it verifies on its own), of the same length.
    await _owner_exec(owner, shop_id, "DELETE FROM audit_log WHERE shop_id = $1", *[
        "INSERT INTO audit_log (shop_id, seq, action, outcome, prev_hash, hash) "
        "VALUES ($1, 0, 'forged', 'success', '', '')"] * 3)
    body = (await _verify(world, shop_id, founder, checkpoint)).json()
    assert body["chain"]["ok"] is True
    assert body["entry_present"] is True and body["entry_matches"] is False
    assert body["ok"] is False


async def test_a_forged_checkpoint_fails_its_signature(world: World, signer: Any) -> None:
    shop_id, founder = await chain_of(world, 3)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    body = (await _verify(world, shop_id, founder, {**checkpoint, "last_seq": 2})).json()
    assert body["signature_valid"] is False and body["ok"] is False


async def test_checkpoint_refusals(world: World, signer: Any) -> None:
    shop_id, founder = await chain_of(world, 2)
    other_shop, other_founder = await chain_of(world, 2)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    [other] = await _checkpoints(world, other_shop, other_founder)

    response = await _verify(world, shop_id, founder, other)
    assert (response.status_code, response.json()["code"]) == (422, "audit.checkpoint_other_chain")
    response = await _verify(world, shop_id, founder, {**checkpoint, "key_id": "someone-else"})
    assert (response.status_code, response.json()["code"]) == (422, "audit.checkpoint_unknown_key")
    # Another shop's founder: the shop does not exist for them.
    response = await _verify(world, shop_id, other_founder, checkpoint)
    assert (response.status_code, response.json()["code"]) == (404, "shop.not_found")
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit/checkpoints",
                                      headers=other_founder.headers())
    assert response.status_code == 404
    # An admin may not read the audit log (roles.md: founder and senior admin only).
    admin = await world.staff(shop_id, "admin")
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit/checkpoints",
                                      headers=admin.headers())
    assert (response.status_code, response.json()["code"]) == (403, "permission.denied")


@pytest.mark.parametrize("field, value", [
    ("last_hash", "zz" * 32), ("last_hash", "ab"), ("last_seq", 0), ("last_seq", 2**70),
    ("key_id", "a\x00b"), ("signature", "not base64!"), ("unexpected", 1),
])
async def test_malformed_checkpoints_are_refused_before_any_check(
        world: World, signer: Any, field: str, value: object) -> None:
    shop_id, founder = await chain_of(world, 2)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    response = await _verify(world, shop_id, founder, {**checkpoint, field: value})
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"].startswith("request.")


async def test_without_a_configured_key_checks_are_refused_with_their_own_code(
        world: World) -> None:
    shop_id, founder = await chain_of(world, 2)
    assert world.app.state.audit_signer is None
    fake = {"shop_id": str(shop_id), "taken_at": "2026-12-01T00:00:00Z", "last_seq": 1,
            "last_hash": "ab" * 32, "key_id": "k", "signature": "AAAA"}
    response = await _verify(world, shop_id, founder, fake)
    assert (response.status_code, response.json()["code"]) == (409,
                                                               "audit.checkpoints_not_configured")
    response = await world.client.get("/api/v1/audit/checkpoint-key")
    assert response.status_code == 404


async def test_firm_chain_has_checkpoints_for_firm_auditors(world: World, signer: Any) -> None:
    from rbac.catalog import FirmRole

    auditor = await world.user(platform_role=FirmRole.PLATFORM_AUDITOR)
    await take_checkpoints(world.app.state.engine, signer)
    response = await world.client.get("/api/v1/audit/checkpoints", headers=auditor.headers())
    assert response.status_code == 200, response.text
    [latest, *_] = response.json()
    response = await world.client.post("/api/v1/audit/checkpoints/verify", json=latest,
                                       headers=auditor.headers())
    assert response.status_code == 200 and response.json()["signature_valid"] is True
    founder = await world.user()
    response = await world.client.get("/api/v1/audit/checkpoints", headers=founder.headers())
    assert response.status_code == 403


async def test_old_sign_in_attempts_are_pruned_and_recent_ones_kept(
        world: World, owner: asyncpg.Connection) -> None:
    email = f"prune-{uuid.uuid4().hex[:8]}@example.com"
    await owner.execute(
        "INSERT INTO login_attempts (email, ip, succeeded, created_at) VALUES "
        "($1, '1.2.3.4', false, now() - interval '30 days'), "
        "($1, '1.2.3.4', false, now() - interval '1 minute')", email)
    await prune_login_attempts(world.app.state.engine, 7 * 24 * 3600)
    left = await owner.fetch("SELECT created_at FROM login_attempts WHERE email = $1", email)
    assert len(left) == 1


async def test_a_periodic_job_runs_in_one_process_at_a_time(world: World) -> None:
    engine = world.app.state.engine
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> None:
        inside.set()
        await release.wait()

    first = asyncio.create_task(run_once_across_processes(engine, "test-lock", slow))
    await inside.wait()
    # Another "process" (another connection) finds the job's lock taken and skips the pass.
    assert await run_once_across_processes(engine, "test-lock", slow) is False
    release.set()
    assert await first is True


async def test_a_taken_at_outside_utc_range_is_an_invalid_signature_not_a_500(
        world: World, signer: Any) -> None:
    # 0001-01-01T00:00+01:00 is before year 1 in UTC: no checkpoint of ours can carry it.
    shop_id, founder = await chain_of(world, 2)
    await take_checkpoints(world.app.state.engine, signer)
    [checkpoint] = await _checkpoints(world, shop_id, founder)
    response = await _verify(world, shop_id, founder,
                             {**checkpoint, "taken_at": "0001-01-01T00:00:00+01:00"})
    assert response.status_code == 200, response.text
    assert response.json()["signature_valid"] is False and response.json()["ok"] is False


async def test_a_before_outside_utc_range_is_a_400_not_a_500(world: World, signer: Any) -> None:
    shop_id, founder = await chain_of(world, 1)
    response = await world.client.get(f"/api/v1/shops/{shop_id}/audit/checkpoints",
                                      params={"before": "0001-01-01T00:00:00+01:00"},
                                      headers=founder.headers())
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "audit.time_out_of_range"
