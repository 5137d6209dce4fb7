"""DDL every migration uses for shop-owned tables, so the tenant pattern is written once.

A shop-owned table has ``shop_id`` leading its primary key and inside every foreign key
(ready for distribution by ``shop_id``), and row-level security enabled and *forced* with
the one tenant policy, so a query that forgets its shop filter still sees only the shop the
transaction is bound to (``api.db.shop_context.bind_shop``).
"""

from __future__ import annotations

__all__ = ["CURRENT_SHOP", "tenant_table_sql"]

CURRENT_SHOP = "NULLIF(current_setting('app.shop_id', true), '')::uuid"


def tenant_table_sql(table: str) -> str:
    """Enable and force RLS on ``table`` with the one tenant policy (reads and writes)."""
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n"
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (shop_id = {CURRENT_SHOP}) WITH CHECK (shop_id = {CURRENT_SHOP});\n"
    )
