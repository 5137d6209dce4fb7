"""Database steps of delivery, each in a short transaction bound to one shop.

- ``fan_out``: turn new events into deliveries and advance each endpoint's ``fanout_seq`` in
  the same transaction (endpoint rows locked ``FOR UPDATE SKIP LOCKED``: one process at a
  time per endpoint). Within a shop, commit order is ``seq`` order, so reading past the
  position never skips an event that commits later: nothing lost, nothing invented.
- ``claim``: take due deliveries (``FOR UPDATE SKIP LOCKED``), count the attempt and push
  ``next_attempt_at`` past a lease. One process makes each attempt; if it dies, the lease
  runs out and the delivery is due again (at-least-once).
- ``finish``: log a batch of attempts and decide: delivered, retry later (exponential backoff with
  jitter, at least what ``Retry-After`` asked), failed, and the endpoint's failure streak.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.webhooks.matching import matches, ordering_key
from api.settings import WebhookSettings

__all__ = ["Claimed", "Outcome", "backoff_seconds", "claim", "fan_out", "finish"]

FANOUT_BATCH = 500
BODY_LIMIT = 1024  # bytes of a receiver's answer kept in the log

_ENDPOINTS = text(
    "SELECT id, event_types, fanout_seq FROM webhook_endpoints "
    "WHERE shop_id = :s AND status = 'active' ORDER BY id FOR UPDATE SKIP LOCKED")
_EVENTS = text(
    "SELECT seq, id, type, data FROM events WHERE shop_id = :s AND seq > :after "
    "ORDER BY seq LIMIT :n")
_INSERT = text(
    "INSERT INTO webhook_deliveries (shop_id, id, endpoint_id, event_seq, event_id, event_type, "
    "ordering_key) SELECT :s, * FROM unnest(CAST(:ids AS uuid[]), CAST(:eps AS uuid[]), "
    "CAST(:seqs AS bigint[]), CAST(:eids AS uuid[]), CAST(:types AS text[]), "
    "CAST(:keys AS text[])) ON CONFLICT DO NOTHING")
_ADVANCE = text(
    "UPDATE webhook_endpoints SET fanout_seq = :seq WHERE shop_id = :s "
    "AND id = ANY(CAST(:ids AS uuid[])) AND fanout_seq < :seq")
_CLAIM = text("""
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
      JOIN webhook_endpoints e ON e.shop_id = d.shop_id AND e.id = d.endpoint_id
     WHERE d.shop_id = :s AND d.status = 'pending' AND d.next_attempt_at <= now()
       AND e.status = 'active'
       AND (d.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM webhook_deliveries p
             WHERE p.shop_id = d.shop_id AND p.endpoint_id = d.endpoint_id
               AND p.ordering_key = d.ordering_key AND p.status = 'pending'
               AND p.event_seq < d.event_seq))
     ORDER BY d.next_attempt_at, d.event_seq LIMIT :n
     FOR UPDATE OF d SKIP LOCKED)
UPDATE webhook_deliveries d SET attempts = d.attempts + 1,
       next_attempt_at = now() + make_interval(secs => :lease)
  FROM due WHERE d.shop_id = :s AND d.id = due.id
RETURNING d.id, d.attempts
""")
_PAYLOADS = text(
    "SELECT d.id, d.endpoint_id, d.event_id, d.event_seq, ev.type, ev.occurred_at, "
    "ev.data::text AS data, e.url, e.secret, "
    "CASE WHEN e.previous_expires_at > now() THEN e.previous_secret END AS previous_secret "
    "FROM webhook_deliveries d "
    "JOIN events ev ON ev.shop_id = d.shop_id AND ev.seq = d.event_seq "
    "JOIN webhook_endpoints e ON e.shop_id = d.shop_id AND e.id = d.endpoint_id "
    "WHERE d.shop_id = :s AND d.id = ANY(CAST(:ids AS uuid[]))")


@dataclass(frozen=True, slots=True)
class Claimed:
    shop_id: uuid.UUID
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    attempt: int
    url: str
    secrets: tuple[bytes, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Outcome:
    started_at: Any
    duration_ms: int
    status_code: int | None
    error: str | None
    response_body: str
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def fan_out(session: AsyncSession, shop_id: uuid.UUID) -> tuple[int, bool, int]:
    """Deliveries for one batch of new events.

    (created, whether more events wait, active endpoints it could lock: 0 tells the
    dispatcher the shop has nothing to deliver to).
    """
    endpoints = (await session.execute(_ENDPOINTS, {"s": shop_id})).all()
    if not endpoints:
        return 0, False, 0
    after = min(e.fanout_seq for e in endpoints)
    events = (await session.execute(_EVENTS, {"s": shop_id, "after": after,
                                              "n": FANOUT_BATCH})).all()
    if not events:
        return 0, False, len(endpoints)
    cols: dict[str, list[Any]] = {k: [] for k in ("ids", "eps", "seqs", "eids", "types", "keys")}
    for event in events:
        data = json.loads(event.data) if isinstance(event.data, str) else event.data
        if isinstance(data, dict) and data.get("visibility") == "note":
            continue  # an internal note is for staff only: never sent to the shop's systems
        key = ordering_key(event.type, data if isinstance(data, dict) else {})
        for endpoint in endpoints:
            if event.seq > endpoint.fanout_seq and matches(endpoint.event_types, event.type):
                for name, value in zip(cols, (uuid.uuid4(), endpoint.id, event.seq, event.id,
                                              event.type, key), strict=True):
                    cols[name].append(value)
    if cols["ids"]:
        await session.execute(_INSERT, {"s": shop_id, **cols})
    last = events[-1].seq
    await session.execute(_ADVANCE, {"s": shop_id, "seq": last,
                                     "ids": [e.id for e in endpoints]})
    return len(cols["ids"]), len(events) == FANOUT_BATCH, len(endpoints)


def _body(row: Any, shop_id: uuid.UUID) -> bytes:
    # The Standard Webhooks payload shape: type, timestamp, data (and our ids).
    head = json.dumps({"id": str(row.event_id), "type": row.type,
                       "timestamp": row.occurred_at.isoformat().replace("+00:00", "Z"),
                       "shop_id": str(shop_id), "seq": row.event_seq},
                      separators=(",", ":"))
    return (head[:-1] + ',"data":' + row.data + "}").encode()


async def claim(session: AsyncSession, shop_id: uuid.UUID, limit: int,
                lease_seconds: float) -> list[Claimed]:
    claimed = (await session.execute(_CLAIM, {"s": shop_id, "n": limit,
                                              "lease": lease_seconds})).all()
    if not claimed:
        return []
    attempts = {row.id: row.attempts for row in claimed}
    rows = (await session.execute(_PAYLOADS, {"s": shop_id, "ids": list(attempts)})).all()
    return [Claimed(shop_id, r.id, r.endpoint_id, r.event_id, attempts[r.id], r.url,
                    tuple(bytes(s) for s in (r.secret, r.previous_secret) if s is not None),
                    _body(r, shop_id)) for r in rows]


def backoff_seconds(attempt: int, settings: WebhookSettings, retry_after: float | None) -> float:
    """Exponential in the attempt number, capped, with jitter (50-100 % of the step)."""
    step = min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempt - 1))
    delay = step * (0.5 + random.random() / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.retry_max_seconds))
    return delay


_ATTEMPTS = text(
    "INSERT INTO webhook_attempts (shop_id, delivery_id, attempt, started_at, duration_ms, "
    "status_code, error, response_body) SELECT :s, a.* FROM unnest(CAST(:ids AS uuid[]), "
    "CAST(:nums AS integer[]), CAST(:ts AS timestamptz[]), CAST(:ms AS integer[]), "
    "CAST(:codes AS integer[]), CAST(:errs AS text[]), CAST(:bodies AS text[])) "
    "AS a (id, attempt, started_at, duration_ms, status_code, error, body) "
    "WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.shop_id = :s AND d.id = a.id) "
    "ON CONFLICT DO NOTHING")
_DELIVERED = text(
    "UPDATE webhook_deliveries d SET status = 'delivered', delivered_at = now(), "
    "last_status_code = u.code, last_error = NULL "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:codes AS integer[])) AS u (id, code) "
    "WHERE d.shop_id = :s AND d.id = u.id AND d.status = 'pending'")
_HEALTHY = text(
    "UPDATE webhook_endpoints SET failure_streak = 0 WHERE shop_id = :s "
    "AND id = ANY(CAST(:eps AS uuid[])) AND failure_streak <> 0")


async def finish(session: AsyncSession, shop_id: uuid.UUID,
                 results: list[tuple[Claimed, Outcome]], settings: WebhookSettings) -> None:
    """Record a batch of one shop's attempts in one transaction (a busy endpoint's log is
    written in a few statements, not three per attempt)."""
    await session.execute(_ATTEMPTS, {
        "s": shop_id, "ids": [c.id for c, _ in results], "nums": [c.attempt for c, _ in results],
        "ts": [o.started_at for _, o in results], "ms": [o.duration_ms for _, o in results],
        "codes": [o.status_code for _, o in results], "errs": [o.error for _, o in results],
        "bodies": [o.response_body for _, o in results]})
    good = [(c, o) for c, o in results if o.delivered]
    if good:
        await session.execute(_DELIVERED, {"s": shop_id, "ids": [c.id for c, _ in good],
                                           "codes": [o.status_code for _, o in good]})
        await session.execute(_HEALTHY, {"s": shop_id,
                                         "eps": list({c.endpoint_id for c, _ in good})})
    for claimed, outcome in results:
        if not outcome.delivered:
            await _failed(session, claimed, outcome, settings)


async def _failed(session: AsyncSession, claimed: Claimed, outcome: Outcome,
                  settings: WebhookSettings) -> None:
    s, d = claimed.shop_id, claimed.id
    give_up = claimed.attempt >= settings.max_attempts
    delay = backoff_seconds(claimed.attempt, settings, outcome.retry_after)
    # Only the newest claim decides: a late answer to an expired lease changes nothing.
    await session.execute(text(
        "UPDATE webhook_deliveries SET status = CASE WHEN :give_up THEN 'failed' ELSE status END, "
        "next_attempt_at = now() + make_interval(secs => :delay), last_status_code = :code, "
        "last_error = :err WHERE shop_id = :s AND id = :d AND status = 'pending' "
        "AND attempts = :a"), {"s": s, "d": d, "a": claimed.attempt, "give_up": give_up,
                               "delay": delay, "code": outcome.status_code,
                               "err": outcome.error})
    gone = outcome.status_code == 410
    reason = ("the receiver answered 410 Gone" if gone else
              f"{settings.disable_after_failures} consecutive failed attempts "
              f"(last: {outcome.error or outcome.status_code})")
    await session.execute(text(
        "UPDATE webhook_endpoints SET failure_streak = failure_streak + 1, "
        "status = CASE WHEN :gone OR failure_streak + 1 >= :limit THEN 'disabled' ELSE status END, "
        "disabled_reason = CASE WHEN :gone OR failure_streak + 1 >= :limit THEN :reason "
        "  ELSE disabled_reason END, "
        "disabled_at = CASE WHEN :gone OR failure_streak + 1 >= :limit THEN now() "
        "  ELSE disabled_at END "
        "WHERE shop_id = :s AND id = :e AND status = 'active'"), {
            "s": s, "e": claimed.endpoint_id, "gone": gone,
            "limit": settings.disable_after_failures, "reason": reason[:500]})
