"""Recomputing a shop's hash chain in the database, with the trigger's own digest function.

One statement reads the whole chain: each entry's digest is recomputed from its stored
``prev_hash`` (was the entry edited?), its ``prev_hash`` is compared with the previous
entry's stored hash (was an entry removed or the chain reordered?), and its ``seq`` with the
previous ``seq`` (is a number missing?). Only problem rows and the last entry come back.
Entries removed from the *end* leave no trace inside the chain; compare ``last_seq`` and
``last_hash`` with a value kept outside the database to catch that.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.shop_context import FIRM_SCOPE, bind_shop
from api.domain.audit.schemas import ChainProblem, ChainReport

__all__ = ["verify_chain", "verify_firm_chain"]

GENESIS = bytes(32)  # the trigger's prev_hash for seq 1

_VERIFY = text("""
WITH chain AS (
    SELECT seq, hash, prev_hash,
           lag(seq) OVER w AS prev_seq,
           lag(hash) OVER w AS prev_row_hash,
           audit_entry_digest(prev_hash, shop_id, seq, id, occurred_at, actor_id, client, ip,
                              request_id, action, outcome, target, details) AS digest
      FROM audit_log
     WHERE shop_id = :shop_id
    WINDOW w AS (ORDER BY seq)
), checked AS (
    SELECT seq, hash,
           digest IS DISTINCT FROM hash AS hash_mismatch,
           prev_hash IS DISTINCT FROM coalesce(prev_row_hash, :genesis) AS broken_link,
           seq - coalesce(prev_seq, 0) - 1 AS missing,
           count(*) OVER () AS total,
           max(seq) OVER () AS last_seq
      FROM chain
)
SELECT seq, hash, hash_mismatch, broken_link, missing, total, last_seq
  FROM checked
 WHERE hash_mismatch OR broken_link OR missing <> 0 OR seq = last_seq
 ORDER BY seq
""")


async def verify_chain(session: AsyncSession, shop_id: uuid.UUID) -> ChainReport:
    """Check ``shop_id``'s chain (the session must be bound to that shop)."""
    rows = (await session.execute(_VERIFY, {"shop_id": shop_id, "genesis": GENESIS})).all()
    problems: list[ChainProblem] = []
    for row in rows:
        if row.missing:
            problems.append(ChainProblem(seq=row.seq - row.missing, problem="gap",
                                         missing=row.missing))
        if row.broken_link:
            problems.append(ChainProblem(seq=row.seq, problem="broken_link"))
        if row.hash_mismatch:
            problems.append(ChainProblem(seq=row.seq, problem="hash_mismatch"))
    last = rows[-1] if rows else None
    return ChainReport(
        ok=not problems,
        entries_checked=int(last.total) if last else 0,
        last_seq=int(last.last_seq) if last else None,
        last_hash=bytes(last.hash).hex() if last else None,
        problems=problems,
    )


async def verify_firm_chain(session: AsyncSession) -> ChainReport:
    """Check the firm's own chain."""
    await bind_shop(session, FIRM_SCOPE)
    return await verify_chain(session, FIRM_SCOPE)
