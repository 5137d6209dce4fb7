-- Distribute ShopDesk's schema on Citus, after `shopdesk migrate` ran on the coordinator.
--
-- Every table with a shop_id column is shop-owned: shop_id leads its primary key and sits
-- inside every foreign key (a test in tests/integration/db checks the catalog for it), so it
-- can be distributed by shop_id, colocated with every other shop table: a request for one
-- shop touches one shard group. Everything else becomes a reference table (copied to every
-- node): users, shops, the policy tables, the rate-limit and idempotency bookkeeping that is
-- not keyed by shop.
--
-- Tables are distributed in foreign-key order (a referenced table first), found from the
-- catalog, so this script needs no edit when a slice adds a table. Idempotent: tables that
-- are already distributed or reference tables are skipped.
\set ON_ERROR_STOP on

DO $$
DECLARE
    pending text[];
    progressed boolean;
    t text;
BEGIN
    -- Reference tables: no shop_id column.
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version'
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                            AND a.attname = 'shop_id' AND NOT a.attisdropped)
           AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
         ORDER BY c.relname
    LOOP
        PERFORM create_reference_table(t);
    END LOOP;

    -- Shop-owned tables, referenced ones first.
    SELECT array_agg(c.relname ORDER BY c.relname) INTO pending
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r'
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                    AND a.attname = 'shop_id' AND NOT a.attisdropped)
       AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid);
    WHILE pending IS NOT NULL AND cardinality(pending) > 0 LOOP
        progressed := false;
        FOREACH t IN ARRAY pending LOOP
            IF NOT EXISTS (
                SELECT 1 FROM pg_constraint k
                 WHERE k.contype = 'f' AND k.conrelid = t::regclass
                   AND k.confrelid <> k.conrelid
                   AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p
                                    WHERE p.logicalrelid = k.confrelid)
            ) THEN
                -- 'default' colocation: every uuid-distributed table with the default shard
                -- count lands in one colocation group, so shop joins stay on one node.
                PERFORM create_distributed_table(t, 'shop_id', colocate_with => 'default');
                pending := array_remove(pending, t);
                progressed := true;
            END IF;
        END LOOP;
        IF NOT progressed THEN
            RAISE EXCEPTION 'cannot order these tables by their foreign keys: %', pending;
        END IF;
    END LOOP;
END
$$;
