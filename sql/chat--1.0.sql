-- chat extension 1.0: the pgchat messenger inside PostgreSQL.
-- Every API function is SECURITY DEFINER with a pinned search_path (pg_temp last) and is granted
-- to nobody: chat.grant_api(role) lets the bridge's role call it; no role can read a table.

\echo Use "CREATE EXTENSION chat" to load this file. \quit

DO $$
BEGIN
  IF pg_catalog.current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'the chat extension needs a UTF8 database, not %',
      pg_catalog.current_setting('server_encoding');
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------

CREATE TABLE chat.users (
  id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._]{3,32}$'),
  email         text NOT NULL CHECK (pg_catalog.octet_length(email) <= 254),
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  display_name  text NOT NULL CHECK (pg_catalog.char_length(display_name) BETWEEN 1 AND 64),
  status        text NOT NULL DEFAULT '' CHECK (pg_catalog.char_length(status) <= 140),
  profile_photo text CHECK (pg_catalog.octet_length(profile_photo) <= 2048),
  bio           text NOT NULL DEFAULT '' CHECK (pg_catalog.char_length(bio) <= 500),
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX users_email_key ON chat.users (pg_catalog.lower(email));
COMMENT ON TABLE chat.users IS 'Accounts of pgchat. Usernames are stored lower case; emails are unique whatever their case.';
COMMENT ON COLUMN chat.users.password_hash IS 'argon2id PHC string (libsodium); no API function returns it.';
COMMENT ON COLUMN chat.users.last_seen_at IS 'When the user''s last device went offline (written by the bridge from Redis presence).';
COMMENT ON INDEX chat.users_email_key IS 'Emails are unique case-insensitively.';
SELECT pg_catalog.pg_extension_config_dump('chat.users', '');

CREATE TABLE chat.signing_key (
  id         integer PRIMARY KEY CHECK (id = 1),
  key        bytea NOT NULL CHECK (pg_catalog.length(key) = 32),
  rotated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE chat.signing_key IS 'The secret that signs tokens (HS256). Owner only; left out of dumps on purpose: a restored database signs with a new secret, so old sessions log in again.';

-- The JSON a client sees of a user, and of itself.
CREATE FUNCTION chat.user_json(u chat.users) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, chat, pg_temp AS $$
  SELECT jsonb_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name,
    'status', u.status, 'bio', u.bio, 'profilePhoto', u.profile_photo,
    'lastSeenAt', u.last_seen_at, 'createdAt', u.created_at)
$$;
COMMENT ON FUNCTION chat.user_json(chat.users) IS 'Internal: a user as other users see it (no email, no hash).';

CREATE FUNCTION chat.me_json(u chat.users) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, chat, pg_temp AS $$
  SELECT chat.user_json(u) || jsonb_build_object('email', u.email, 'updatedAt', u.updated_at)
$$;
COMMENT ON FUNCTION chat.me_json(chat.users) IS 'Internal: a user as the user sees itself (with email, never the hash).';

CREATE FUNCTION chat.register(username text, email text, password text, display_name text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_register'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.register(text, text, text, text) IS 'Creates an account and returns {token, user}. 22023 for an invalid field, 23505 when the username or email is taken.';

CREATE FUNCTION chat.login(login text, password text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_login'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.login(text, text) IS 'Logs in by username or email and returns {token, user}; 28000 for a wrong password or an unknown user alike.';

CREATE FUNCTION chat.authenticate(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_authenticate'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.authenticate(text) IS 'The user a token names; 28000 when it is invalid, expired, signed before a secret rotation, or its user is gone.';

CREATE FUNCTION chat.me(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_me'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.me(text) IS 'The caller''s own account, with email.';

CREATE FUNCTION chat.update_profile(token text, changes jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_update_profile'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.update_profile(text, jsonb) IS 'Changes displayName, status, bio or profilePhoto (null clears); returns the account.';

CREATE FUNCTION chat.issue_token(user_id uuid)
RETURNS text AS 'MODULE_PATHNAME', 'chat_issue_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.issue_token(uuid) IS 'Administration: a token for a user (support, scripts). Granted to nobody.';

CREATE FUNCTION chat.rotate_secret()
RETURNS void AS 'MODULE_PATHNAME', 'chat_rotate_secret'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.rotate_secret() IS 'Administration: a new signing secret from pg_strong_random; every token issued before is refused from the commit on.';

SELECT chat.rotate_secret();

-- ---------------------------------------------------------------------------------------------
-- Rights
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile TO %I', role);
END
$$;
COMMENT ON FUNCTION chat.grant_api(name) IS 'Administration: lets a role (the bridge''s) execute the API and nothing else; it still cannot read any table.';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA chat FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA chat FROM PUBLIC;
