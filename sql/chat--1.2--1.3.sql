-- chat extension 1.2 -> 1.3: the conversation list read nearly in order from an index of each
-- membership's list_at, and the whole list as json text for clients; sessions behind tokens
-- (logout, log out everywhere, password change); presence that takes consent; CONNECT granted by
-- grant_api and grant_stats. Released upgrade steps are never edited; the next change is a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.3'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Each membership carries where its conversation stands in lists
-- ---------------------------------------------------------------------------------------------

-- A user's list is newest activity first. Ranked from conversations it needs every one of the
-- user's conversations read and sorted before the first page is known (2,000 lookups for 50
-- rows). Each membership holds list_at, and an index on (user_id, list_at DESC) hands the list
-- out nearly in order: a page reads about its own rows, then sorts them by the exact updated_at.
-- For a direct chat list_at is the conversation's updated_at: a send writes the other member's
-- row too (the sender's is written for the read mark anyway). For a group it is the minute
-- updated_at falls in (date_bin from 1970, whatever the time zone): a send writes the other
-- members' rows only when a new minute starts, not 256 rows per message, and the sender's read
-- mark stays a HOT update within the minute. So list_at <= updated_at < list_at + 1 minute, and a
-- page reads the rows from the newest down to the oldest updated_at among its first rows, plus
-- the groups of that minute (extension/conversation_list.c). A send keeps list_at in the
-- statement that moves updated_at (chat.send_messages), a new membership starts with its
-- conversation's; extension/schema.h spells the expression. The default is the transaction's
-- time, a conversation's own default: a membership inserted by hand with its conversation, in one
-- transaction, agrees with it.
ALTER TABLE chat.conversation_participants
  ADD COLUMN list_at timestamptz NOT NULL DEFAULT pg_catalog.now();
UPDATE chat.conversation_participants p
SET list_at = CASE WHEN c.is_group
  THEN pg_catalog.date_bin('1 minute', c.updated_at, timestamptz '1970-01-01 00:00:00+00')
  ELSE c.updated_at END
FROM chat.conversations c WHERE c.id = p.conversation_id;
COMMENT ON COLUMN chat.conversation_participants.list_at IS 'Where the conversation stands in the member''s list: its updated_at for a direct chat, the minute of it for a group; kept by every write of updated_at.';

CREATE INDEX conversation_participants_list_idx
  ON chat.conversation_participants (user_id, list_at DESC);
COMMENT ON INDEX chat.conversation_participants_list_idx IS 'A user''s conversations by list_at, newest first: the conversation list and its keyset pages; also every lookup of a user''s memberships.';
-- its leading column serves every lookup by user_id: one index less to keep
DROP INDEX chat.conversation_participants_user_idx;

-- ---------------------------------------------------------------------------------------------
-- The whole list as json text
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION chat.conversations_json(token text)
RETURNS json AS 'MODULE_PATHNAME', 'chat_conversations_json'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversations_json(text) IS 'The caller''s whole conversation list, as conversations(token) answers it, written as json text for clients (REST sends it on unchanged).';
REVOKE ALL ON FUNCTION chat.conversations_json(text) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Sessions: every token names one, so a token can be taken back
-- ---------------------------------------------------------------------------------------------
-- A login or a registration opens a session; its token carries the session id ("sid") and every
-- call checks the session is live. Logout ends one, log out everywhere all of a user's, a password
-- change all but the caller's; each NOTIFYs sessions_ended so bridges close the sockets at once.
-- Tokens issued before 1.3 have no session and are refused: users log in again after the upgrade.

CREATE TABLE chat.sessions (
  id         uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  expires_at timestamptz NOT NULL,
  ended_at   timestamptz
);
CREATE INDEX sessions_user_idx ON chat.sessions (user_id);
COMMENT ON TABLE chat.sessions IS 'One row per token issued (a device''s login): live while ended_at is null and expires_at is ahead. Expired rows of a user are dropped when that user opens the next session.';
REVOKE ALL ON chat.sessions FROM PUBLIC;

CREATE FUNCTION chat.session(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_session'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.session(text) IS 'authenticate for the bridge: {user, sessionId, expiresAt} of a token whose session is live; the bridge closes the socket when the session ends or expires.';

CREATE FUNCTION chat.sessions(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_sessions'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.sessions(text) IS 'The caller''s live sessions (devices): {sessions: [{id, createdAt, expiresAt, current}]}, newest first.';

CREATE FUNCTION chat.logout(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_logout'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.logout(text) IS 'Ends the token''s session: {loggedOut: true}; the token stops working and its sockets are closed.';

CREATE FUNCTION chat.logout_everywhere(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_logout_everywhere'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.logout_everywhere(text) IS 'Ends every session of the caller, this one included: {sessionsEnded: n}.';

CREATE FUNCTION chat.change_password(token text, current_password text, new_password text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_change_password'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.change_password(text, text, text) IS 'Sets a new password after checking the current one (argon2id, slow); ends every other session of the caller: {sessionsEnded: n}.';

-- A user deleted by an administrator: their sessions go with the row (cascade); the bridges are
-- told, so the sockets close too.
CREATE FUNCTION chat.user_deleted() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('chat', pg_catalog.json_build_object(
    'type', 'sessions_ended', 'userId', OLD.id, 'all', true)::text);
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION chat.user_deleted() FROM PUBLIC;
COMMENT ON FUNCTION chat.user_deleted() IS 'Trigger: a deleted user''s sessions end with the row; this tells the bridges (sessions_ended) so the user''s sockets close.';
CREATE TRIGGER users_deleted AFTER DELETE ON chat.users
  FOR EACH ROW EXECUTE FUNCTION chat.user_deleted();

REVOKE ALL ON FUNCTION chat.session(text), chat.sessions(text), chat.logout(text),
  chat.logout_everywhere(text), chat.change_password(text, text, text) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Presence takes consent
-- ---------------------------------------------------------------------------------------------
-- Adding someone as a contact used to show you their presence; now it shows them yours. The
-- functions are the same C symbols; their comments say the new rule.

COMMENT ON FUNCTION chat.presence_audience(uuid) IS 'For the bridge only: who may see this user''s presence and typing: those who share a conversation with them, and the contacts the user keeps.';
COMMENT ON FUNCTION chat.presence_visible(uuid) IS 'For the bridge only: whose presence this user may see: those who share a conversation with them, and those who keep them as a contact.';
COMMENT ON FUNCTION chat.search_users(text, text, integer) IS 'Users whose username or display name starts with query (1 to 64 characters), at most lim (1 to 50); never emails, never when they were last seen.';

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.3; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------
-- A deployment revokes CONNECT on the database from PUBLIC (scripts/services.sh and the container
-- init do), so a role that may not use the product can't even LISTEN or NOTIFY on its channel;
-- grant_api and grant_stats give their role CONNECT back.

CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.session, chat.sessions, chat.logout, chat.logout_everywhere, chat.change_password,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.conversations_json, chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.messages,
    chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.members, chat.event_message, chat.event_messages, chat.presence_audience,
    chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;

DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.presence_audience(uuid)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.conversations_json(text),
      chat.session(text), chat.sessions(text), chat.logout(text), chat.logout_everywhere(text),
      chat.change_password(text, text, text) TO %I', grantee);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION chat.grant_stats(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT SELECT ON chat.stats, chat.largest_conversations, chat.messages_per_hour,
    chat.table_sizes TO %I', role);
END
$$;
