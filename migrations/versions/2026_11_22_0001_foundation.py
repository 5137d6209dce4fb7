"""Foundation: identity, shops, membership (the Casbin groupings), policy, audit log.

Every shop-owned table gets row-level security, enabled and forced, keyed on
``NULLIF(current_setting('app.shop_id', true), '')``. The API's role owns nothing and cannot
bypass RLS; it gets exactly the privileges each table needs (the audit log: insert and
select only; users: no column that grants a firm role or disables an account). Keys that matter for a later distribution by ``shop_id`` include it.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SHOP_ROLES = "('founder', 'senior_admin', 'admin', 'agent', 'verifier')"


def _sql(script: str) -> None:
    """Run a multi-statement script (asyncpg's simple query protocol allows several)."""
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def _roles() -> tuple[str, str]:
    app_role = context.config.attributes["app_role"]
    return app_role, context.config.attributes["loader_role"]


def upgrade() -> None:
    app_role, loader_role = _roles()

    _sql("""
    CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
        phone text,
        display_name text NOT NULL DEFAULT '',
        password_hash text,
        platform_role text CHECK (platform_role IN ('platform_admin', 'platform_auditor')),
        is_active boolean NOT NULL DEFAULT true,
        sessions_valid_after timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX uq_users_email ON users (email);
    CREATE UNIQUE INDEX uq_users_phone ON users (phone) WHERE phone IS NOT NULL;

    CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        client text NOT NULL CHECK (client IN ('web', 'mobile')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash)
    );
    CREATE INDEX ix_refresh_tokens_user_id ON refresh_tokens (user_id);
    CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id);

    CREATE TABLE login_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email text NOT NULL,
        ip text NOT NULL,
        succeeded boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ix_login_attempts_email ON login_attempts (email, created_at);
    CREATE INDEX ix_login_attempts_ip ON login_attempts (ip, created_at);

    CREATE TABLE shops (
        id uuid PRIMARY KEY,
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        timezone text NOT NULL,
        wechat_bound boolean NOT NULL DEFAULT false,
        contact_seller_enabled boolean NOT NULL DEFAULT true,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        suspended_reason text,
        founder_removed boolean NOT NULL DEFAULT false,
        policy_version bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_shops_slug UNIQUE (slug)
    );
    """)

    # Membership is the Casbin grouping policy ("g, user, role, shop"): one row per
    # (shop, user), so a duplicate grouping cannot exist, and the primary key is the index
    # that loads one shop. Removed members keep their row (status 'removed') for history.
    _sql(f"""
    CREATE TABLE shop_members (
        shop_id uuid NOT NULL REFERENCES shops (id),
        user_id uuid NOT NULL REFERENCES users (id),
        role text NOT NULL CHECK (role IN {SHOP_ROLES}),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
        added_by uuid REFERENCES users (id),
        removed_by uuid REFERENCES users (id),
        removed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_shop_members PRIMARY KEY (shop_id, user_id)
    );
    CREATE UNIQUE INDEX uq_shop_members_one_founder ON shop_members (shop_id)
        WHERE role = 'founder' AND status = 'active';
    CREATE INDEX ix_shop_members_user_id ON shop_members (user_id);
    """)
    _sql(tenant_table_sql("shop_members"))

    # Role -> permission lines ("p, perm, role, cond"), stored once for every shop.
    _sql("""
    CREATE TABLE authz_role_permissions (
        perm text NOT NULL,
        role text NOT NULL,
        cond text NOT NULL CHECK (cond IN ('always', 'wechat', 'mobile')),
        CONSTRAINT pk_authz_role_permissions PRIMARY KEY (perm, role)
    );
    CREATE TABLE authz_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
    );
    INSERT INTO authz_state (id, version) VALUES (1, 0);

    -- One row per committed authorization change, numbered by authz_state.version. Every
    -- process replays rows past the last version it applied: a NOTIFY is only a wake-up,
    -- so a lost notification delays a change by one poll instead of losing it.
    CREATE TABLE authz_changes (
        version bigint PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('shop', 'user', 'policy')),
        shop_id uuid,
        user_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
    );

    -- The one way an authorization change is journalled: bump the version (the row lock
    -- orders concurrent changes), journal it, stamp the shop, and queue the notification
    -- (sent at commit, dropped on rollback). Runs as the caller, under its privileges.
    CREATE FUNCTION authz_record_change(p_kind text, p_shop_id uuid, p_user_id uuid)
    RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        new_version bigint;
    BEGIN
        UPDATE public.authz_state SET version = version + 1 WHERE id = 1
            RETURNING version INTO new_version;
        INSERT INTO public.authz_changes (version, kind, shop_id, user_id)
            VALUES (new_version, p_kind, p_shop_id, p_user_id);
        IF p_shop_id IS NOT NULL THEN
            UPDATE public.shops SET policy_version = new_version WHERE id = p_shop_id;
        END IF;
        PERFORM pg_notify('shopdesk_authz', json_build_object('version', new_version)::text);
        RETURN new_version;
    END
    $$;
    """)

    # Append-only audit log, hash-chained per shop (the nil UUID is the firm's chain).
    _sql("""
    CREATE TABLE audit_log (
        shop_id uuid NOT NULL,
        seq bigint NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_id uuid,
        client text,
        ip text,
        request_id text,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
        target text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash bytea NOT NULL,
        hash bytea NOT NULL,
        CONSTRAINT pk_audit_log PRIMARY KEY (shop_id, seq)
    );
    CREATE INDEX ix_audit_log_shop_time ON audit_log (shop_id, occurred_at);
    CREATE INDEX ix_audit_log_shop_actor ON audit_log (shop_id, actor_id, seq);
    CREATE INDEX ix_audit_log_shop_action ON audit_log (shop_id, action, seq);

    -- The digest of one entry: the previous hash followed by every field in a fixed,
    -- unambiguous text form. The verify endpoint recomputes exactly this.
    CREATE FUNCTION audit_entry_digest(
        prev_hash bytea, shop_id uuid, seq bigint, id uuid, occurred_at timestamptz,
        actor_id uuid, client text, ip text, request_id text, action text, outcome text,
        target text, details jsonb
    ) RETURNS bytea LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
        SELECT sha256(prev_hash || convert_to(concat_ws(chr(31),
            shop_id::text, seq::text, id::text,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            coalesce(actor_id::text, ''), coalesce(client, ''), coalesce(ip, ''),
            coalesce(request_id, ''), action, outcome, coalesce(target, ''),
            details::text), 'UTF8'))
    $$;

    -- The trigger runs as the caller, so nothing the caller controls may steer it: a fixed
    -- search_path with pg_temp last and a qualified table (a temporary "audit_log" would
    -- otherwise shadow the real one and choose seq and prev_hash), and the entry's id and
    -- time always its own (a caller cannot backdate an entry or reuse an id).
    CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
    DECLARE
        last_seq bigint;
        last_hash bytea;
    BEGIN
        -- Serialise appends per shop so two writers never take the same link.
        PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || NEW.shop_id::text, 0));
        SELECT a.seq, a.hash INTO last_seq, last_hash
          FROM public.audit_log a WHERE a.shop_id = NEW.shop_id ORDER BY a.seq DESC LIMIT 1;
        NEW.seq := coalesce(last_seq, 0) + 1;
        NEW.prev_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
        NEW.id := gen_random_uuid();
        NEW.occurred_at := date_trunc('microseconds', clock_timestamp());
        NEW.hash := public.audit_entry_digest(NEW.prev_hash, NEW.shop_id, NEW.seq, NEW.id,
            NEW.occurred_at, NEW.actor_id, NEW.client, NEW.ip, NEW.request_id, NEW.action,
            NEW.outcome, NEW.target, NEW.details);
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
    """)
    _sql(tenant_table_sql("audit_log"))

    # The enforcer in every process loads all groupings at start-up and reloads one shop
    # when it changes. Those reads cross shops, so they go through two narrow functions
    # owned by a NOLOGIN role that a dedicated policy lets read membership; the API may
    # execute them but has no other way around RLS.
    _sql(f"""
    CREATE POLICY authz_loader_read ON shop_members FOR SELECT TO {loader_role} USING (true);
    GRANT SELECT ON shop_members TO {loader_role};

    CREATE FUNCTION authz_all_groupings()
    RETURNS TABLE (shop_id uuid, user_id uuid, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT m.shop_id, m.user_id, m.role FROM public.shop_members m WHERE m.status = 'active'
    $$;
    CREATE FUNCTION authz_shop_groupings(p_shop_id uuid)
    RETURNS TABLE (user_id uuid, role text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT m.user_id, m.role FROM public.shop_members m
         WHERE m.shop_id = p_shop_id AND m.status = 'active'
    $$;
    ALTER FUNCTION authz_all_groupings() OWNER TO {loader_role};
    ALTER FUNCTION authz_shop_groupings(uuid) OWNER TO {loader_role};
    REVOKE ALL ON FUNCTION authz_all_groupings() FROM PUBLIC;
    REVOKE ALL ON FUNCTION authz_shop_groupings(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION authz_all_groupings() TO {app_role};
    GRANT EXECUTE ON FUNCTION authz_shop_groupings(uuid) TO {app_role};
    """)

    _sql(f"""
    GRANT USAGE ON SCHEMA public TO {app_role};
    -- A firm role reaches every shop, so only the owner grants one (the CLI); the API
    -- writes only the columns sign-up, sign-in and "log out everywhere" need.
    GRANT SELECT ON users TO {app_role};
    GRANT INSERT (id, email, phone, display_name, password_hash, is_active, created_at,
        updated_at) ON users TO {app_role};
    GRANT UPDATE (display_name, phone, password_hash, sessions_valid_after, updated_at)
        ON users TO {app_role};
    GRANT SELECT, INSERT, UPDATE ON refresh_tokens, shops, shop_members TO {app_role};
    GRANT SELECT, INSERT, DELETE ON login_attempts TO {app_role};
    GRANT SELECT ON authz_role_permissions TO {app_role};
    GRANT SELECT, UPDATE ON authz_state TO {app_role};
    GRANT SELECT, INSERT, DELETE ON authz_changes TO {app_role};
    GRANT EXECUTE ON FUNCTION authz_record_change(text, uuid, uuid) TO {app_role};
    GRANT SELECT, INSERT ON audit_log TO {app_role};
    GRANT EXECUTE ON FUNCTION audit_entry_digest(bytea, uuid, bigint, uuid, timestamptz, uuid,
        text, text, text, text, text, text, jsonb) TO {app_role};
    """)


def downgrade() -> None:
    _sql("""
    DROP FUNCTION IF EXISTS authz_shop_groupings(uuid);
    DROP FUNCTION IF EXISTS authz_all_groupings();
    DROP TABLE IF EXISTS audit_log;
    DROP FUNCTION IF EXISTS audit_log_chain();
    DROP FUNCTION IF EXISTS audit_entry_digest(bytea, uuid, bigint, uuid, timestamptz, uuid,
        text, text, text, text, text, text, jsonb);
    DROP FUNCTION IF EXISTS authz_record_change(text, uuid, uuid);
    DROP TABLE IF EXISTS authz_changes;
    DROP TABLE IF EXISTS authz_state;
    DROP TABLE IF EXISTS authz_role_permissions;
    DROP TABLE IF EXISTS shop_members;
    DROP TABLE IF EXISTS shops;
    DROP TABLE IF EXISTS login_attempts;
    DROP TABLE IF EXISTS refresh_tokens;
    DROP TABLE IF EXISTS users;
    """)
