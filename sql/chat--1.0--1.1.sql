-- chat extension 1.0 -> 1.1: statistics views for DBAs.
-- Every view is owned by the extension and granted to nobody: superusers read them, and
-- chat.grant_stats(role) lets a monitoring role read them without reading any table.
-- The views count with cheap queries: the number of messages is the sum of the conversations'
-- last_seq (seq is gapless, deleted messages keep their row), recent messages are found through a
-- BRIN index on created_at, and table sizes come from the catalog.

\echo Use "ALTER EXTENSION chat UPDATE TO '1.1'" to load this file. \quit

-- Messages are appended in time order, so a BRIN index (a few pages for millions of rows, next to
-- nothing per insert) finds the last hour or day without reading the rest of the table.
CREATE INDEX messages_created_at_brin ON chat.messages USING brin (created_at);
COMMENT ON INDEX chat.messages_created_at_brin IS 'Recent messages for the statistics views; BRIN because messages arrive in time order.';

CREATE VIEW chat.stats AS
SELECT u.users, u.users_joined_last_day,
  c.conversations, c.direct_conversations, c.groups, c.conversations_active_last_day,
  p.memberships, k.contacts,
  c.messages, m.messages_last_hour, m.messages_last_day, m.senders_last_day,
  f.media_files, f.media_bytes,
  t.total_bytes, s.rotated_at AS secret_rotated_at
FROM
  (SELECT pg_catalog.count(*) AS users,
          pg_catalog.count(*) FILTER (WHERE created_at > pg_catalog.now() - interval '1 day') AS users_joined_last_day
     FROM chat.users) u,
  (SELECT pg_catalog.count(*) AS conversations,
          pg_catalog.count(*) FILTER (WHERE NOT is_group) AS direct_conversations,
          pg_catalog.count(*) FILTER (WHERE is_group) AS groups,
          pg_catalog.count(*) FILTER (WHERE updated_at > pg_catalog.now() - interval '1 day') AS conversations_active_last_day,
          coalesce(pg_catalog.sum(last_seq), 0)::bigint AS messages
     FROM chat.conversations) c,
  (SELECT pg_catalog.count(*) AS memberships FROM chat.conversation_participants) p,
  (SELECT pg_catalog.count(*) AS contacts FROM chat.contacts) k,
  (SELECT pg_catalog.count(*) FILTER (WHERE created_at > pg_catalog.now() - interval '1 hour') AS messages_last_hour,
          pg_catalog.count(*) AS messages_last_day,
          pg_catalog.count(DISTINCT sender_id) AS senders_last_day
     FROM chat.messages WHERE created_at > pg_catalog.now() - interval '1 day') m,
  (SELECT pg_catalog.count(*) AS media_files, coalesce(pg_catalog.sum(file_size), 0)::bigint AS media_bytes
     FROM chat.media) f,
  (SELECT coalesce(pg_catalog.sum(pg_catalog.pg_total_relation_size(r.oid)), 0)::bigint AS total_bytes
     FROM pg_catalog.pg_class r WHERE r.relnamespace = 'chat'::regnamespace AND r.relkind = 'r') t
  LEFT JOIN chat.signing_key s ON true;
COMMENT ON VIEW chat.stats IS 'One row for DBAs: users, conversations, groups, memberships, messages (all, last hour, last day), senders and media, the size of the chat tables and when the signing secret was last rotated. messages is the sum of last_seq (deleted ones included).';

CREATE VIEW chat.largest_conversations AS
SELECT c.id, c.name, c.is_group, c.last_seq AS messages,
  (SELECT pg_catalog.count(*) FROM chat.conversation_participants p
    WHERE p.conversation_id = c.id) AS members,
  c.created_at, c.updated_at AS last_activity
FROM chat.conversations c
ORDER BY c.last_seq DESC, c.id
LIMIT 100;
COMMENT ON VIEW chat.largest_conversations IS 'The 100 conversations with the most messages, with their member count and last activity: the candidates for hot shards on Citus.';

CREATE VIEW chat.messages_per_hour AS
WITH recent AS (
  SELECT pg_catalog.date_trunc('hour', m.created_at) AS hour,
    pg_catalog.count(*) AS messages,
    pg_catalog.count(DISTINCT m.sender_id) AS senders,
    pg_catalog.count(DISTINCT m.conversation_id) AS conversations
  FROM chat.messages m
  WHERE m.created_at >= pg_catalog.date_trunc('hour', pg_catalog.now()) - interval '23 hours'
  GROUP BY 1
)
SELECT h.hour,
  coalesce(r.messages, 0) AS messages,
  coalesce(r.senders, 0) AS senders,
  coalesce(r.conversations, 0) AS conversations
FROM pg_catalog.generate_series(pg_catalog.date_trunc('hour', pg_catalog.now()) - interval '23 hours',
       pg_catalog.date_trunc('hour', pg_catalog.now()), interval '1 hour') AS h(hour)
LEFT JOIN recent r ON r.hour = h.hour
ORDER BY h.hour;
COMMENT ON VIEW chat.messages_per_hour IS 'Messages, distinct senders and active conversations in each of the last 24 hours (the current hour last), zero rows included, for a graph.';

CREATE VIEW chat.table_sizes AS
SELECT c.relname AS table_name,
  nullif(c.reltuples, -1)::bigint AS estimated_rows,
  pg_catalog.pg_total_relation_size(c.oid) AS total_bytes,
  pg_catalog.pg_relation_size(c.oid) AS table_bytes,
  pg_catalog.pg_indexes_size(c.oid) AS index_bytes,
  pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size(c.oid)) AS total_size,
  s.n_live_tup AS live_rows, s.n_dead_tup AS dead_rows,
  s.seq_scan, s.idx_scan,
  s.last_autovacuum, s.last_autoanalyze
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind = 'r'
ORDER BY pg_catalog.pg_total_relation_size(c.oid) DESC, c.relname;
COMMENT ON VIEW chat.table_sizes IS 'Each chat table with its estimated rows, sizes (table, indexes, total), dead rows, scans and last autovacuum and autoanalyze, largest first.';

CREATE FUNCTION chat.grant_stats(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT SELECT ON chat.stats, chat.largest_conversations, chat.messages_per_hour,
    chat.table_sizes TO %I', role);
END
$$;
COMMENT ON FUNCTION chat.grant_stats(name) IS 'Administration: lets a role (monitoring, a DBA''s login in pgAdmin) read the statistics views; it still cannot read any table.';

REVOKE ALL ON chat.stats, chat.largest_conversations, chat.messages_per_hour, chat.table_sizes FROM PUBLIC;
REVOKE ALL ON FUNCTION chat.grant_stats(name) FROM PUBLIC;

-- Presence both ways: presence_audience(u) says who may see u's presence; presence_visible(u)
-- says whose presence u may see (u's chat partners and u's own contacts), for users_online.
CREATE FUNCTION chat.presence_visible(user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_presence_visible'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.presence_visible(uuid) IS 'For the bridge only: whose presence this user may see: those who share a conversation with them and their own contacts.';
REVOKE ALL ON FUNCTION chat.presence_visible(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations, chat.add_participants,
    chat.remove_participant, chat.set_participant_role, chat.leave_conversation, chat.send_message,
    chat.messages, chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.members, chat.event_message, chat.presence_audience, chat.presence_visible,
    chat.set_last_seen TO %I', role);
END
$$;

-- the roles granted the 1.0 API (the bridge's) get the new function too
DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.presence_audience(uuid)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.presence_visible(uuid) TO %I', grantee);
  END LOOP;
END
$$;
