"""Webhooks, rate limits, idempotency (issue 9).

- ``webhook_endpoints``: a shop's receivers; ``fanout_seq`` is how far into the shop's
  event log the endpoint's deliveries have been created (advanced in the transaction that
  creates them, so a crash never loses or invents one).
- ``webhook_deliveries``: one event for one endpoint, retried until delivered or failed;
  ``webhook_attempts`` is its log (status code, timing, truncated body).
- ``shop_rate_limits`` (set by the firm) and ``rate_limit_counters`` (one fixed-window row
  per bucket, shared by every server process).
- ``idempotency_keys``: the first answer to a creating POST, replayed for 24 hours.

Cross-shop work (which shops have due deliveries, the rate-limit counter, pruning) goes
through narrow SECURITY DEFINER functions owned by the loader role, like the policy loader's.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("webhook_endpoints", "webhook_deliveries", "webhook_attempts", "shop_rate_limits",
          "rate_limit_counters", "idempotency_keys")
FUNCTIONS = ("webhook_fanout_due()", "webhook_deliveries_due(integer)",
             "rate_limit_hit(uuid, uuid, integer, integer, integer)", "idempotency_prune(integer)")


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    loader_role = context.config.attributes["loader_role"]
    _sql("""
    CREATE TABLE webhook_endpoints (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
        event_types text[] NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        disabled_reason text,
        disabled_at timestamptz,
        -- HMAC keys (the receiver holds the same bytes, so they cannot be hashed). During a
        -- rotation the previous one keeps signing until previous_expires_at.
        secret bytea NOT NULL,
        previous_secret bytea,
        previous_expires_at timestamptz,
        fanout_seq bigint NOT NULL,
        failure_streak integer NOT NULL DEFAULT 0,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhook_endpoints PRIMARY KEY (shop_id, id)
    );
    CREATE INDEX ix_webhook_endpoints_list ON webhook_endpoints (shop_id, created_at, id);

    CREATE TABLE webhook_deliveries (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        endpoint_id uuid NOT NULL,
        event_seq bigint NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        -- Deliveries sharing a key go out one at a time, in event order (NULL: unordered).
        ordering_key text,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        -- When pending: when it is next due. A claimed attempt pushes it past its lease, so
        -- a process that dies mid-attempt leaves it due again, never lost.
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error text,
        redelivery_of uuid,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        delivered_at timestamptz,
        CONSTRAINT pk_webhook_deliveries PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_webhook_deliveries_endpoint FOREIGN KEY (shop_id, endpoint_id)
            REFERENCES webhook_endpoints (shop_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_webhook_deliveries_event FOREIGN KEY (shop_id, event_seq)
            REFERENCES events (shop_id, seq)
    );
    -- One fan-out per event and endpoint (manual redeliveries are extra rows).
    CREATE UNIQUE INDEX uq_webhook_deliveries_fanout ON webhook_deliveries
        (shop_id, endpoint_id, event_seq) WHERE redelivery_of IS NULL;
    CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status = 'pending';
    CREATE INDEX ix_webhook_deliveries_chain ON webhook_deliveries
        (shop_id, endpoint_id, ordering_key, event_seq) WHERE status = 'pending';
    CREATE INDEX ix_webhook_deliveries_list ON webhook_deliveries
        (shop_id, endpoint_id, created_at, id);

    CREATE TABLE webhook_attempts (
        shop_id uuid NOT NULL,
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        response_body text NOT NULL DEFAULT '',
        CONSTRAINT pk_webhook_attempts PRIMARY KEY (shop_id, delivery_id, attempt),
        CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (shop_id, delivery_id)
            REFERENCES webhook_deliveries (shop_id, id) ON DELETE CASCADE
    );

    CREATE TABLE shop_rate_limits (
        shop_id uuid NOT NULL REFERENCES shops (id),
        per_key integer NOT NULL CHECK (per_key BETWEEN 1 AND 1000000),
        per_shop integer NOT NULL CHECK (per_shop BETWEEN 1 AND 1000000),
        window_seconds integer NOT NULL CHECK (window_seconds BETWEEN 1 AND 86400),
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_shop_rate_limits PRIMARY KEY (shop_id)
    );
    -- bucket: 'shop' or 'key:<key id>'. One row per bucket: a fixed window, reset in place.
    -- UNLOGGED: a hit writes no WAL, so its commit never waits for the disk; a crash (or a
    -- failover) resets the counters to zero, which only forgives one window.
    CREATE UNLOGGED TABLE rate_limit_counters (
        shop_id uuid NOT NULL,
        bucket text NOT NULL,
        window_start timestamptz NOT NULL,
        hits integer NOT NULL,
        CONSTRAINT pk_rate_limit_counters PRIMARY KEY (shop_id, bucket)
    );

    -- shop_id is the nil UUID for firm-level routes (the firm's scope, as in the audit log).
    CREATE TABLE idempotency_keys (
        shop_id uuid NOT NULL,
        caller text NOT NULL,
        key text NOT NULL,
        route text NOT NULL,
        request_hash bytea NOT NULL,
        response_status integer NOT NULL DEFAULT 0,
        response_body bytea NOT NULL DEFAULT ''::bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (shop_id, caller, key)
    );
    CREATE INDEX ix_idempotency_keys_expiry ON idempotency_keys (expires_at);
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO {app_role};
    GRANT SELECT, INSERT, UPDATE ON webhook_deliveries, webhook_attempts TO {app_role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON shop_rate_limits TO {app_role};
    GRANT SELECT, INSERT, UPDATE ON idempotency_keys TO {app_role};
    GRANT SELECT ON rate_limit_counters TO {app_role};
    """)
    _sql(f"""
    CREATE POLICY webhooks_loader_read ON webhook_endpoints FOR SELECT TO {loader_role}
        USING (true);
    CREATE POLICY webhooks_loader_read ON webhook_deliveries FOR SELECT TO {loader_role}
        USING (true);
    CREATE POLICY webhooks_loader_read ON shop_event_counters FOR SELECT TO {loader_role}
        USING (true);
    CREATE POLICY rate_limits_loader_read ON shop_rate_limits FOR SELECT TO {loader_role}
        USING (true);
    CREATE POLICY rate_limits_loader_write ON rate_limit_counters FOR ALL TO {loader_role}
        USING (true) WITH CHECK (true);
    CREATE POLICY idempotency_loader_prune ON idempotency_keys FOR ALL TO {loader_role}
        USING (true);
    GRANT SELECT ON webhook_endpoints, webhook_deliveries, shop_event_counters,
        shop_rate_limits TO {loader_role};
    GRANT SELECT, INSERT, UPDATE ON rate_limit_counters TO {loader_role};
    GRANT SELECT, DELETE ON idempotency_keys TO {loader_role};

    -- Endpoints whose deliveries lag behind their shop's event log.
    CREATE FUNCTION webhook_fanout_due()
    RETURNS TABLE (shop_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT e.shop_id, e.id FROM public.webhook_endpoints e
          JOIN public.shop_event_counters c ON c.shop_id = e.shop_id
         WHERE e.status = 'active' AND c.last_seq > e.fanout_seq
    $$;

    -- Due deliveries of active endpoints that head their ordering chain.
    CREATE FUNCTION webhook_deliveries_due(p_limit integer)
    RETURNS TABLE (shop_id uuid, id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT d.shop_id, d.id FROM public.webhook_deliveries d
          JOIN public.webhook_endpoints e ON e.shop_id = d.shop_id AND e.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.status = 'active'
           AND (d.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM public.webhook_deliveries p
                 WHERE p.shop_id = d.shop_id AND p.endpoint_id = d.endpoint_id
                   AND p.ordering_key = d.ordering_key AND p.status = 'pending'
                   AND p.event_seq < d.event_seq))
         ORDER BY d.next_attempt_at
         LIMIT least(greatest(p_limit, 1), 1000)
    $$;

    -- One fixed-window hit on the key's and the shop's buckets, in one statement: the
    -- counts after this hit, the limits in force and the seconds until the window ends.
    -- PL/pgSQL rather than SQL: its plans are cached per session, not made on every call.
    CREATE FUNCTION rate_limit_hit(p_shop uuid, p_key uuid, p_window integer,
                                   p_per_key integer, p_per_shop integer)
    RETURNS TABLE (bucket text, hits integer, max_hits integer, reset_seconds integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    #variable_conflict use_column
    DECLARE
        v_key integer; v_shop integer; v_win integer; v_start timestamptz;
    BEGIN
        SELECT l.per_key, l.per_shop, l.window_seconds INTO v_key, v_shop, v_win
          FROM public.shop_rate_limits l WHERE l.shop_id = p_shop;
        v_key := coalesce(v_key, p_per_key);
        v_shop := coalesce(v_shop, p_per_shop);
        v_win := coalesce(v_win, p_window);
        v_start := to_timestamp(floor(extract(epoch FROM now()) / v_win) * v_win);
        RETURN QUERY
        INSERT INTO public.rate_limit_counters AS c (shop_id, bucket, window_start, hits)
        VALUES (p_shop, 'shop', v_start, 1), (p_shop, 'key:' || p_key::text, v_start, 1)
        ON CONFLICT (shop_id, bucket) DO UPDATE
           SET hits = CASE WHEN c.window_start = EXCLUDED.window_start THEN c.hits + 1 ELSE 1 END,
               window_start = EXCLUDED.window_start
        RETURNING c.bucket, c.hits, CASE WHEN c.bucket = 'shop' THEN v_shop ELSE v_key END,
                  greatest(1, ceil(extract(epoch FROM
                      v_start + make_interval(secs => v_win) - now())))::integer;
    END
    $$;

    CREATE FUNCTION idempotency_prune(p_limit integer)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        WITH gone AS (
            DELETE FROM public.idempotency_keys k
             WHERE (k.shop_id, k.caller, k.key) IN (
                   SELECT x.shop_id, x.caller, x.key FROM public.idempotency_keys x
                    WHERE x.expires_at < now() LIMIT least(greatest(p_limit, 1), 10000))
            RETURNING 1)
        SELECT count(*)::integer FROM gone
    $$;
    """)
    for fn in FUNCTIONS:
        _sql(f"""
        ALTER FUNCTION {fn} OWNER TO {loader_role};
        REVOKE ALL ON FUNCTION {fn} FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {fn} TO {app_role};
        """)


def downgrade() -> None:
    for fn in FUNCTIONS:
        _sql(f"DROP FUNCTION IF EXISTS {fn}")
    _sql("DROP POLICY IF EXISTS webhooks_loader_read ON shop_event_counters")
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")
