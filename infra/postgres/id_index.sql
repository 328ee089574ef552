-- FerretDB 1.24 on PostgreSQL filters as _jsonb->'_id' @> '"k"' (JSON containment),
-- which its btree index on (_jsonb->'_id') cannot serve: every find or update by _id
-- scanned the table. A GIN index on the same expression serves @>; this event trigger
-- gives one to every table FerretDB creates. The server must run with
-- plan_cache_mode=force_custom_plan (FerretDB passes '_id' as a parameter). Applied to
-- FerretDB's database once, by bureau/embedded/postgres.py and the container
-- entrypoint (infra/postgres/container-entrypoint.sh). See docs/store.md.
CREATE OR REPLACE FUNCTION bureau_id_index() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE created record;
BEGIN
  FOR created IN SELECT objid, object_identity FROM pg_event_trigger_ddl_commands()
                 WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = created.objid
               AND attname = '_jsonb' AND NOT attisdropped) THEN
      EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb -> %L))',
                     created.object_identity, '_id');
    END IF;
  END LOOP;
END $$;
CREATE EVENT TRIGGER bureau_id_index ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION bureau_id_index();
