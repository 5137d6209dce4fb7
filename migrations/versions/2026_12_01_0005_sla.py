"""Response-time SLA: policies, business-hours calendars, clocks and their ledger (issue 7).

Policies and calendars are append-only versions (a clock snapshots the versions it started
under, so a change applies to clocks that start after it and nothing stored is rewritten).
``sla_clocks`` holds each wait's running state; ``sla_ledger`` keeps every start, pause,
resume, fulfil, warning, breach and stop with its cause, and the reports sum over it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy.util import await_only

from api.db.tenancy_ddl import tenant_table_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("sla_policies", "sla_calendars", "sla_cycles", "sla_clocks", "sla_ledger")
METRICS = "('frt', 'nrt', 'resolution')"


def _sql(script: str) -> None:
    driver = op.get_bind().connection.dbapi_connection.driver_connection
    await_only(driver.execute(script))


def upgrade() -> None:
    app_role = context.config.attributes["app_role"]
    loader_role = context.config.attributes["loader_role"]
    _sql(f"""
    CREATE TABLE sla_policies (
        shop_id uuid NOT NULL REFERENCES shops (id),
        version integer NOT NULL CHECK (version > 0),
        business_hours boolean NOT NULL,
        frt_start text NOT NULL
            CHECK (frt_start IN ('first_customer_message', 'conversation_created', 'assignment')),
        warning_ratio double precision CHECK (warning_ratio > 0 AND warning_ratio < 1),
        escalate_reassign boolean NOT NULL DEFAULT false,
        escalate_notify boolean NOT NULL DEFAULT false,
        targets jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_sla_policies PRIMARY KEY (shop_id, version)
    );
    CREATE TABLE sla_calendars (
        shop_id uuid NOT NULL REFERENCES shops (id),
        version integer NOT NULL CHECK (version > 0),
        timezone text NOT NULL,
        intervals jsonb NOT NULL DEFAULT '[]'::jsonb,
        holidays jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_sla_calendars PRIMARY KEY (shop_id, version)
    );
    -- What the clocks need to know about one conversation cycle.
    CREATE TABLE sla_cycles (
        shop_id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        cycle integer NOT NULL,
        started_at timestamptz NOT NULL,
        channel text NOT NULL,
        priority text NOT NULL,
        assignee_id uuid,
        first_reply_at timestamptz,
        resolved_at timestamptz,
        CONSTRAINT pk_sla_cycles PRIMARY KEY (shop_id, conversation_id, cycle),
        CONSTRAINT fk_sla_cycles_conversation FOREIGN KEY (shop_id, conversation_id)
            REFERENCES conversations (shop_id, id)
    );
    -- One wait: an FRT, one NRT (seq numbers them within a cycle) or the resolution clock.
    -- accrued_* is the time counted before the running segment that began at segment_at.
    CREATE TABLE sla_clocks (
        shop_id uuid NOT NULL,
        id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        cycle integer NOT NULL,
        metric text NOT NULL CHECK (metric IN {METRICS}),
        seq integer NOT NULL DEFAULT 0,
        channel text NOT NULL,
        priority text NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'paused', 'fulfilled', 'stopped')),
        started_at timestamptz NOT NULL,
        segment_at timestamptz,
        accrued_calendar double precision NOT NULL DEFAULT 0,
        accrued_business double precision NOT NULL DEFAULT 0,
        target_seconds integer,
        business_hours boolean NOT NULL,
        policy_version integer NOT NULL,
        calendar_version integer NOT NULL,
        warning_ratio double precision,
        deadline_at timestamptz,
        warn_at timestamptz,
        warned_at timestamptz,
        breached_at timestamptz,
        ended_at timestamptz,
        calendar_seconds double precision,
        business_seconds double precision,
        agent_id uuid,
        CONSTRAINT pk_sla_clocks PRIMARY KEY (shop_id, id),
        CONSTRAINT uq_sla_clocks_wait UNIQUE (shop_id, conversation_id, cycle, metric, seq),
        CONSTRAINT fk_sla_clocks_cycle FOREIGN KEY (shop_id, conversation_id, cycle)
            REFERENCES sla_cycles (shop_id, conversation_id, cycle)
    );
    CREATE INDEX ix_sla_clocks_open ON sla_clocks (shop_id, conversation_id)
        WHERE state IN ('running', 'paused');
    -- The breach worker's two questions, across shops (through sla_due_clocks below).
    CREATE INDEX ix_sla_clocks_deadline ON sla_clocks (deadline_at)
        WHERE state = 'running' AND breached_at IS NULL;
    CREATE INDEX ix_sla_clocks_warn ON sla_clocks (warn_at)
        WHERE state = 'running' AND warned_at IS NULL;

    CREATE TABLE sla_ledger (
        shop_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        clock_id uuid NOT NULL,
        conversation_id uuid NOT NULL,
        cycle integer NOT NULL,
        metric text NOT NULL CHECK (metric IN {METRICS}),
        kind text NOT NULL CHECK (kind IN
            ('start', 'pause', 'resume', 'fulfil', 'warning', 'breach', 'stop')),
        at timestamptz NOT NULL,
        -- message | status | assignment | cycle | deadline | policy
        cause text NOT NULL,
        cause_message_id uuid,
        cause_status text,
        actor_id uuid,
        -- Who the row is attributed to: the replier (fulfil), the assignee at the deadline
        -- (breach); NULL is the queue.
        agent_id uuid,
        channel text NOT NULL,
        priority text NOT NULL,
        calendar_seconds double precision,
        business_seconds double precision,
        target_seconds integer,
        business_hours boolean NOT NULL,
        within_target boolean,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_sla_ledger PRIMARY KEY (shop_id, id),
        CONSTRAINT fk_sla_ledger_clock FOREIGN KEY (shop_id, clock_id)
            REFERENCES sla_clocks (shop_id, id)
    );
    -- Each clock starts, ends, warns and breaches at most once, whoever notices first.
    CREATE UNIQUE INDEX uq_sla_ledger_once ON sla_ledger (shop_id, clock_id, kind)
        WHERE kind IN ('start', 'fulfil', 'warning', 'breach', 'stop');
    CREATE INDEX ix_sla_ledger_clock ON sla_ledger (shop_id, clock_id, id);
    -- The reports: one range scan per shop and metric, answered from the index alone (a
    -- narrow partial index per kind keeps the scan to the rows a report reads).
    CREATE INDEX ix_sla_ledger_fulfil ON sla_ledger (shop_id, metric, at)
        INCLUDE (calendar_seconds, business_seconds, within_target, agent_id, channel)
        WHERE kind = 'fulfil';
    -- The per-agent report reads each agent's range on its own: no sort of the whole range.
    CREATE INDEX ix_sla_ledger_fulfil_agent ON sla_ledger (shop_id, metric, agent_id, at)
        INCLUDE (calendar_seconds, business_seconds, within_target) WHERE kind = 'fulfil';
    CREATE INDEX ix_sla_ledger_breach ON sla_ledger (shop_id, metric, at)
        INCLUDE (agent_id, channel) WHERE kind = 'breach';
    -- The firm-wide report scans every shop by time.
    CREATE INDEX ix_sla_ledger_firm ON sla_ledger (at)
        WHERE kind IN ('fulfil', 'breach');
    """)
    for table in TABLES:
        _sql(tenant_table_sql(table))
    _sql(f"""
    GRANT SELECT, INSERT ON sla_policies, sla_calendars, sla_ledger TO {app_role};
    GRANT SELECT, INSERT, UPDATE ON sla_cycles, sla_clocks TO {app_role};
    """)
    # The breach worker serves every shop, but RLS is forced and the API role cannot bypass
    # it: one narrow SECURITY DEFINER function, owned by the loader role, names the due
    # clocks (shop and id only); the worker then binds each shop to touch its rows. A second
    # one counts each shop's waiting conversations for /metrics, and a third lists shops
    # with ledger rows for the firm-wide report (the caller still binds each shop to read).
    _sql(f"""
    CREATE POLICY sla_loader_read ON sla_clocks FOR SELECT TO {loader_role} USING (true);
    GRANT SELECT ON sla_clocks TO {loader_role};
    CREATE FUNCTION sla_due_clocks(p_limit integer)
    RETURNS TABLE (shop_id uuid, clock_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        (SELECT c.shop_id, c.id FROM public.sla_clocks c
          WHERE c.state = 'running' AND c.breached_at IS NULL AND c.deadline_at < now()
          ORDER BY c.deadline_at LIMIT p_limit)
        UNION
        (SELECT c.shop_id, c.id FROM public.sla_clocks c
          WHERE c.state = 'running' AND c.warned_at IS NULL AND c.warn_at < now()
          ORDER BY c.warn_at LIMIT p_limit)
    $$;
    CREATE FUNCTION sla_queue_depths()
    RETURNS TABLE (shop_id uuid, channel text, waiting bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT c.shop_id, c.channel, count(DISTINCT c.conversation_id) FROM public.sla_clocks c
         WHERE c.state = 'running' AND c.metric IN ('frt', 'nrt')
         GROUP BY c.shop_id, c.channel
    $$;
    CREATE POLICY sla_loader_read ON sla_ledger FOR SELECT TO {loader_role} USING (true);
    GRANT SELECT ON sla_ledger TO {loader_role};
    -- Firm-wide figures (every shop and the firm's total): aggregates only, never rows.
    CREATE FUNCTION sla_firm_report(p_from timestamptz, p_to timestamptz, p_business boolean)
    RETURNS TABLE (shop_id uuid, metric text, n bigint, mean double precision,
                   p50 double precision, p90 double precision, p95 double precision,
                   p99 double precision, attained bigint, with_target bigint, breaches bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        WITH rows AS (
            SELECT l.shop_id, l.metric, l.kind, l.within_target, l.target_seconds,
                   CASE WHEN p_business THEN l.business_seconds ELSE l.calendar_seconds END AS s
              FROM public.sla_ledger l
             WHERE l.kind IN ('fulfil', 'breach') AND l.at >= p_from AND l.at < p_to)
        SELECT r.shop_id, r.metric,
               count(*) FILTER (WHERE r.kind = 'fulfil'),
               avg(r.s) FILTER (WHERE r.kind = 'fulfil'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY r.s) FILTER (WHERE r.kind = 'fulfil'),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY r.s) FILTER (WHERE r.kind = 'fulfil'),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY r.s) FILTER (WHERE r.kind = 'fulfil'),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY r.s) FILTER (WHERE r.kind = 'fulfil'),
               count(*) FILTER (WHERE r.kind = 'fulfil' AND r.within_target),
               count(*) FILTER (WHERE r.kind = 'fulfil' AND r.target_seconds IS NOT NULL),
               count(*) FILTER (WHERE r.kind = 'breach')
          FROM rows r GROUP BY GROUPING SETS ((r.shop_id, r.metric), (r.metric))
    $$;
    ALTER FUNCTION sla_firm_report(timestamptz, timestamptz, boolean) OWNER TO {loader_role};
    REVOKE ALL ON FUNCTION sla_firm_report(timestamptz, timestamptz, boolean) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION sla_firm_report(timestamptz, timestamptz, boolean) TO {app_role};
    ALTER FUNCTION sla_due_clocks(integer) OWNER TO {loader_role};
    ALTER FUNCTION sla_queue_depths() OWNER TO {loader_role};
    REVOKE ALL ON FUNCTION sla_due_clocks(integer) FROM PUBLIC;
    REVOKE ALL ON FUNCTION sla_queue_depths() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION sla_due_clocks(integer) TO {app_role};
    GRANT EXECUTE ON FUNCTION sla_queue_depths() TO {app_role};
    """)


def downgrade() -> None:
    _sql("DROP FUNCTION IF EXISTS sla_firm_report(timestamptz, timestamptz, boolean)")
    _sql("DROP FUNCTION IF EXISTS sla_queue_depths()")
    _sql("DROP FUNCTION IF EXISTS sla_due_clocks(integer)")
    for table in reversed(TABLES):
        _sql(f"DROP TABLE IF EXISTS {table}")
