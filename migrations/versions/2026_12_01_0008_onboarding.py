"""Signed audit checkpoints (issue 9): the head of every chain, signed outside the database.

A checkpoint is (shop, last_seq, last_hash, taken_at) signed with an Ed25519 key that only
the API's environment holds; the database keeps copies so they can be listed and exported,
but cannot forge one. Comparing a chain with a checkpoint kept elsewhere catches what the
chain alone cannot: a cut at its very end, or a rewrite of the whole chain.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    loader_role = context.config.attributes["loader_role"]
    _sql("""
    CREATE TABLE audit_checkpoints (
        shop_id uuid NOT NULL,
        taken_at timestamptz NOT NULL,
        last_seq bigint NOT NULL CHECK (last_seq >= 1),
        last_hash bytea NOT NULL CHECK (length(last_hash) = 32),
        key_id text NOT NULL,
        signature bytea NOT NULL,
        CONSTRAINT pk_audit_checkpoints PRIMARY KEY (shop_id, taken_at)
    );
    """)
    _sql(tenant_table_sql("audit_checkpoints"))
    # The checkpointer reads the head of every chain: a cross-shop read, through one narrow
    # function owned by the loader role (which alone gets a read policy on the log).
    _sql(f"""
    CREATE POLICY authz_loader_read ON audit_log FOR SELECT TO {loader_role} USING (true);
    GRANT SELECT ON audit_log TO {loader_role};
    GRANT SELECT (id) ON shops TO {loader_role};
    -- One index probe per chain (the shops, and the firm's chain under the nil UUID), not a
    -- scan of the whole log.
    CREATE FUNCTION audit_chain_heads()
    RETURNS TABLE (shop_id uuid, last_seq bigint, last_hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT c.id, h.seq, h.hash
          FROM (SELECT s.id FROM public.shops s
                UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid) c
          CROSS JOIN LATERAL (
              SELECT a.seq, a.hash FROM public.audit_log a
               WHERE a.shop_id = c.id ORDER BY a.seq DESC LIMIT 1) h
    $$;
    ALTER FUNCTION audit_chain_heads() OWNER TO {loader_role};
    REVOKE ALL ON FUNCTION audit_chain_heads() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION audit_chain_heads() TO {app_role};
    GRANT SELECT, INSERT ON audit_checkpoints TO {app_role};
    -- Pruning old sign-in attempts walks them by age.
    CREATE INDEX ix_login_attempts_created_at ON login_attempts (created_at);
    """)


def downgrade() -> None:
    _sql("""
    DROP INDEX IF EXISTS ix_login_attempts_created_at;
    DROP FUNCTION IF EXISTS audit_chain_heads();
    DROP POLICY IF EXISTS authz_loader_read ON audit_log;
    DROP TABLE IF EXISTS audit_checkpoints;
    """)
