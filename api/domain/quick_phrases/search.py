"""Substring search that indexes serve under forced row-level security.

RLS lets the planner use only leakproof operators as index conditions ahead of the tenant
policy; ``ILIKE`` is not one, so no trigram index would ever serve the API's role. A
searchable text is therefore also stored as its distinct lower-cased bigrams, in a side
table keyed ``(shop_id, gram, id)``: a query's bigrams are looked up by equality (leakproof,
btree), the rows holding all of them are the candidates, and ``ILIKE`` rechecks only those.
Bigrams suit Chinese (no word boundaries) as well as any other script. A one-character
query has no bigram: it falls back to ``ILIKE`` over the shop's rows (its index bounds it).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["GramTable", "escape_like", "grams"]


def escape_like(term: str) -> str:
    """``term`` as a literal inside an ILIKE pattern (``\\`` is the escape character)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def grams(*texts: str) -> list[str]:
    """The distinct bigrams of ``texts``, lower-cased as ``ILIKE`` compares them."""
    found: set[str] = set()
    for value in texts:
        lowered = value.lower()
        found.update(lowered[i:i + 2] for i in range(len(lowered) - 1))
    return sorted(found)


class GramTable:
    """One side table (``table``) of bigrams for the rows of an entity (``key`` column)."""

    def __init__(self, table: str, key: str) -> None:
        self.table = table
        self.key = key
        self._delete = text(f"DELETE FROM {table} WHERE shop_id = :shop_id AND {key} = :id")
        self._insert = text(f"INSERT INTO {table} (shop_id, gram, {key}) "
                            "SELECT :shop_id, g, :id FROM unnest(CAST(:grams AS text[])) g")

    async def store(self, session: AsyncSession, shop_id: uuid.UUID, row_id: uuid.UUID,
                    *texts: str, replace: bool = False) -> None:
        """Write a row's bigrams (``replace``: first drop the ones it had)."""
        if replace:
            await session.execute(self._delete, {"shop_id": shop_id, "id": row_id})
        values = grams(*texts)
        if values:
            await session.execute(self._insert, {"shop_id": shop_id, "id": row_id,
                                                 "grams": values})

    def condition(self, query: str, column: str, params: dict[str, Any]) -> str:
        """A WHERE condition for rows whose ``column`` contains ``query``; fills ``params``."""
        params["pattern"] = f"%{escape_like(query)}%"
        recheck = f"{column} ILIKE :pattern ESCAPE '\\'"
        wanted = grams(query)
        if not wanted:
            return recheck
        params["grams"], params["gram_count"] = wanted, len(wanted)
        # The candidates as an array (an InitPlan): the planner then always looks them up
        # by primary key, instead of trusting its guess of how selective the ILIKE is.
        return (f"id = ANY (ARRAY(SELECT {self.key} FROM {self.table} WHERE shop_id = :shop_id "
                f"AND gram = ANY (CAST(:grams AS text[])) GROUP BY {self.key} "
                f"HAVING count(*) = :gram_count)) AND {recheck}")
