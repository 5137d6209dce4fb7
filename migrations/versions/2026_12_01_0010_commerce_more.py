"""Commerce desk, second part: verifications, reviews, the rest of the matrix (issue 8).

Every table is shop-owned: ``shop_id`` leads the primary key and sits inside every foreign
key, RLS is enabled and forced with the one tenant policy. What the store pushes in carries
the store's own id (``platform_id``), unique per shop, so a re-push is an upsert.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("review_settings", "review_forbidden_phrases", "reviews", "review_replies",
          "review_follow_ups", "distribution_orders", "weibo_accounts", "weibo_mentions",
          "marketing_apps", "shop_documents", "polls", "poll_votes", "verification_codes",
          "verification_attempts")


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    _sql("""
    -- Reviews (seed 002). A rating at or below the threshold is a 中差评 (negative review).
    CREATE TABLE review_settings (
        shop_id uuid NOT NULL REFERENCES shops (id),
        negative_threshold smallint NOT NULL DEFAULT 3 CHECK (negative_threshold BETWEEN 1 AND 4),
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_review_settings PRIMARY KEY (shop_id)
    );
    -- Phrases a public reply may not contain (rewards or threats for a rating). Matching is
    -- on the normalised form (NFKC, case-folded, no white space).
    CREATE TABLE review_forbidden_phrases (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        phrase text NOT NULL CHECK (length(phrase) BETWEEN 1 AND 100),
        normalized text NOT NULL CHECK (length(normalized) BETWEEN 1 AND 100),
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_review_forbidden_phrases PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_review_forbidden_phrases_normalized UNIQUE (shop_id, normalized)
    );
    CREATE TABLE reviews (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_id text NOT NULL CHECK (length(platform_id) BETWEEN 1 AND 200),
        platform_order_id text CHECK (length(platform_order_id) <= 200),
        rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
        body text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
        buyer_name text NOT NULL DEFAULT '' CHECK (length(buyer_name) <= 200),
        reviewed_at timestamptz NOT NULL,
        revision integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_reviews PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_reviews_platform UNIQUE (shop_id, platform_id)
    );
    CREATE INDEX ix_reviews_listing ON reviews (shop_id, reviewed_at DESC, id DESC);
    -- One public reply per review: the primary key is the review.
    CREATE TABLE review_replies (
        shop_id uuid NOT NULL,
        review_id uuid NOT NULL,
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
        author_id uuid NOT NULL,
        action_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_review_replies PRIMARY KEY (shop_id, review_id),
        CONSTRAINT fk_review_replies_review FOREIGN KEY (shop_id, review_id)
            REFERENCES reviews (shop_id, id)
    );
    -- The follow-up of a negative review: apology, fix, and whether the buyer amended it.
    CREATE TABLE review_follow_ups (
        shop_id uuid NOT NULL,
        review_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        original_rating smallint NOT NULL,
        apologized_at timestamptz,
        apology_note text NOT NULL DEFAULT '',
        fixed_at timestamptz,
        fix_note text NOT NULL DEFAULT '',
        amended_at timestamptz,
        amended_rating smallint,
        updated_by uuid,
        opened_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_review_follow_ups PRIMARY KEY (shop_id, review_id),
        CONSTRAINT fk_review_follow_ups_review FOREIGN KEY (shop_id, review_id)
            REFERENCES reviews (shop_id, id)
    );

    -- Distribution (分销) purchase orders, pushed by the store.
    CREATE TABLE distribution_orders (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_id text NOT NULL CHECK (length(platform_id) BETWEEN 1 AND 200),
        supplier_name text NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 200),
        status text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'completed',
                                                'cancelled')),
        item_count integer NOT NULL CHECK (item_count BETWEEN 0 AND 100000),
        total_minor bigint NOT NULL CHECK (total_minor >= 0),
        currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        placed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_distribution_orders PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_distribution_orders_platform UNIQUE (shop_id, platform_id)
    );
    CREATE INDEX ix_distribution_orders_listing ON distribution_orders (shop_id, placed_at DESC, id DESC);

    -- Weibo: the shop's bound account and the mentions the store pushes in.
    CREATE TABLE weibo_accounts (
        shop_id uuid NOT NULL REFERENCES shops (id),
        weibo_uid text NOT NULL CHECK (length(weibo_uid) BETWEEN 1 AND 64),
        screen_name text NOT NULL CHECK (length(screen_name) BETWEEN 1 AND 100),
        bound_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_weibo_accounts PRIMARY KEY (shop_id)
    );
    CREATE TABLE weibo_mentions (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_id text NOT NULL CHECK (length(platform_id) BETWEEN 1 AND 200),
        author_name text NOT NULL CHECK (length(author_name) BETWEEN 1 AND 100),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
        posted_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_weibo_mentions PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_weibo_mentions_platform UNIQUE (shop_id, platform_id)
    );
    CREATE INDEX ix_weibo_mentions_listing ON weibo_mentions (shop_id, posted_at DESC, id DESC);

    -- Marketing apps (应用营销) the shop has on the store, and their configuration.
    CREATE TABLE marketing_apps (
        shop_id uuid NOT NULL REFERENCES shops (id),
        app_key text NOT NULL CHECK (app_key ~ '^[a-z][a-z0-9_]{0,63}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        enabled boolean NOT NULL,
        config jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_marketing_apps PRIMARY KEY (shop_id, app_key)
    );

    -- Small per-shop settings documents (storefront decoration, preview, mobile CS), each
    -- validated by its schema in the API; version is for optimistic concurrency.
    CREATE TABLE shop_documents (
        shop_id uuid NOT NULL REFERENCES shops (id),
        kind text NOT NULL CHECK (kind IN ('decoration', 'preview', 'mobile_cs')),
        doc jsonb NOT NULL,
        version integer NOT NULL DEFAULT 1,
        updated_by uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_shop_documents PRIMARY KEY (shop_id, kind)
    );

    -- Polls run on the storefront; the store pushes them and the buyers' votes.
    CREATE TABLE polls (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        platform_id text NOT NULL CHECK (length(platform_id) BETWEEN 1 AND 200),
        question text NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
        options jsonb NOT NULL,
        is_private boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_polls PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_polls_platform UNIQUE (shop_id, platform_id)
    );
    CREATE INDEX ix_polls_listing ON polls (shop_id, created_at DESC, id DESC);
    CREATE TABLE poll_votes (
        shop_id uuid NOT NULL,
        poll_id uuid NOT NULL,
        voter_ref text NOT NULL CHECK (length(voter_ref) BETWEEN 1 AND 200),
        option_id text NOT NULL,
        voted_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_poll_votes PRIMARY KEY (shop_id, poll_id, voter_ref),
        CONSTRAINT fk_poll_votes_poll FOREIGN KEY (shop_id, poll_id) REFERENCES polls (shop_id, id)
    );
    CREATE INDEX ix_poll_votes_tally ON poll_votes (shop_id, poll_id, option_id);

    -- Verification codes (核销). Only sha256(shop id || code) is kept: a lookup by that
    -- digest is an index probe, so no comparison leaks the code's characters by timing.
    CREATE TABLE verification_codes (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        order_id uuid NOT NULL,
        code_digest bytea NOT NULL,
        code_hint text NOT NULL,
        label text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
        status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'redeemed')),
        expires_at timestamptz NOT NULL,
        issued_by text NOT NULL,
        issued_at timestamptz NOT NULL DEFAULT now(),
        redeemed_by uuid,
        redeemed_client text,
        redeemed_at timestamptz,
        action_id uuid,
        CONSTRAINT pk_verification_codes PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_verification_codes_order FOREIGN KEY (shop_id, order_id)
            REFERENCES orders (shop_id, id),
        CONSTRAINT uq_verification_codes_digest UNIQUE (shop_id, code_digest),
        CONSTRAINT ck_verification_codes_redeemed CHECK (
            (status = 'redeemed') = (redeemed_by IS NOT NULL AND redeemed_at IS NOT NULL))
    );
    CREATE INDEX ix_verification_codes_redeemed ON verification_codes
        (shop_id, redeemed_at DESC, id DESC) WHERE status = 'redeemed';
    CREATE INDEX ix_verification_codes_redeemer ON verification_codes
        (shop_id, redeemed_by, redeemed_at DESC, id DESC) WHERE status = 'redeemed';
    CREATE INDEX ix_verification_codes_order ON verification_codes (shop_id, order_id);
    -- Failed redemptions per member, counted to bound guessing.
    CREATE TABLE verification_attempts (
        shop_id uuid NOT NULL REFERENCES shops (id),
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('unknown_code', 'expired', 'already_redeemed')),
        attempted_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_verification_attempts PRIMARY KEY (shop_id, id)
    );
    CREATE INDEX ix_verification_attempts_user ON verification_attempts
        (shop_id, user_id, attempted_at);
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT, UPDATE ON {", ".join(TABLES)} TO {app_role};
    GRANT DELETE ON review_forbidden_phrases, weibo_accounts TO {app_role};
    """)


def downgrade() -> None:
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")
