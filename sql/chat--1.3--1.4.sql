-- chat extension 1.3 -> 1.4: privacy. Members added to a group see its history from their
-- joining on; a last-seen setting (everyone, my contacts, nobody) as WhatsApp has; the bridge
-- learns each member's joining seq (so it sends no late joiner an event of an earlier message)
-- and who may see a user's last seen. Released upgrade steps are never edited; the next change is
-- a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.4'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- History from one's joining on
-- ---------------------------------------------------------------------------------------------
-- A member added to a group starts at the group's last_seq of that moment (read under the
-- conversation's row lock, which every send takes too, so no message falls between): every
-- function that answers messages, the conversation's last message and unread count, edits,
-- deletes and replies leave out what has seq <= joined_seq, and the bridge sends no event of such
-- a message to them. The read and delivered marks start there as well (nothing before is unread).
-- A member who leaves loses the row; added again, they start from the new joining. Direct chats
-- and the members a group is created with start at 0: a direct chat's history is both members'.
-- Memberships from before 1.4 keep 0 (whether someone was added late was never recorded): they
-- go on seeing what they saw. A constant default adds the column without rewriting the table.
ALTER TABLE chat.conversation_participants ADD COLUMN joined_seq bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN chat.conversation_participants.joined_seq IS 'The conversation''s last_seq when this member was added to a group (0 for a direct chat, a group''s first members and memberships from before 1.4): they see only messages with a greater seq.';

-- ---------------------------------------------------------------------------------------------
-- Who sees a user's last seen
-- ---------------------------------------------------------------------------------------------
-- Default "contacts": adding a contact takes no consent, so with "everyone" any stranger who adds
-- you would read when you were last online; your contacts are the people you chose. Accounts
-- from before 1.4 get the same default (docs/security.md says why). Whoever may not see a user's
-- last seen reads null for it (user objects, conversation participants, presence events), and a
-- user who shows it to nobody sees nobody's (WhatsApp's reciprocity); the user always sees their
-- own. Online/offline itself keeps its audience (presence_audience).
CREATE TYPE chat.last_seen_privacy AS ENUM ('everyone', 'contacts', 'nobody');
COMMENT ON TYPE chat.last_seen_privacy IS 'Who may see when a user was last online: everyone, the contacts the user keeps, or nobody.';

ALTER TABLE chat.users ADD COLUMN last_seen_privacy chat.last_seen_privacy NOT NULL DEFAULT 'contacts';
COMMENT ON COLUMN chat.users.last_seen_privacy IS 'Who may see last_seen_at: everyone, the user''s contacts (default), or nobody; a user with nobody sees no one else''s either.';

-- The account as its owner sees it now carries its settings.
CREATE OR REPLACE FUNCTION chat.me_json(u chat.users) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, chat, pg_temp AS $$
  SELECT chat.user_json(u) || jsonb_build_object('email', u.email, 'updatedAt', u.updated_at,
    'privacy', jsonb_build_object('lastSeen', u.last_seen_privacy))
$$;
COMMENT ON FUNCTION chat.me_json(chat.users) IS 'Internal: a user as the user sees itself (with email and privacy settings, never the hash).';

CREATE FUNCTION chat.set_privacy(token text, settings jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_set_privacy'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.set_privacy(text, jsonb) IS 'Changes the caller''s privacy settings: {"lastSeen": "everyone" | "contacts" | "nobody"}; returns the account (me), with privacy.';

-- ---------------------------------------------------------------------------------------------
-- For the bridge: members with their joining seq, and the two audiences of a presence change
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION chat.members_joined(conversation_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_members_joined'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.members_joined(uuid) IS 'For the bridge''s fan-out only: [[userId, joinedSeq], ...] of a conversation''s members, by user id; no member receives an event of a message with seq <= their joinedSeq.';

CREATE FUNCTION chat.presence_audiences(user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_presence_audiences'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.presence_audiences(uuid) IS 'For the bridge only: presence_audience(user_id) split in two, {"lastSeen": [ids who may see when the user was last online], "presenceOnly": [the others]}.';

COMMENT ON FUNCTION chat.register(text, text, text, text) IS 'Creates an account and returns {token, user}. 22023 for an invalid field; 23505 "username or email is not available" when either is taken, the same answer for both.';
COMMENT ON FUNCTION chat.messages(text, uuid, bigint, integer) IS 'A page of messages before before_seq (the newest when null), at most lim (1 to 100), in seq order; never one from before the caller joined the group.';
COMMENT ON FUNCTION chat.messages_after(text, uuid, bigint, integer) IS 'Catch-up: messages after after_seq, at most lim (1 to 500), in seq order; never one from before the caller joined the group.';

REVOKE ALL ON FUNCTION chat.set_privacy(text, jsonb), chat.members_joined(uuid),
  chat.presence_audiences(uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.4; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.session, chat.sessions, chat.logout, chat.logout_everywhere, chat.change_password,
    chat.update_profile, chat.set_privacy, chat.search_users, chat.contacts, chat.add_contact,
    chat.remove_contact, chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.conversations_json, chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.messages,
    chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.members, chat.members_joined, chat.event_message, chat.event_messages,
    chat.presence_audience, chat.presence_audiences, chat.presence_visible, chat.set_last_seen TO %I', role);
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
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.set_privacy(text, jsonb),
      chat.members_joined(uuid), chat.presence_audiences(uuid) TO %I', grantee);
  END LOOP;
END
$$;
