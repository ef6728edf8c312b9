/*
 * json.h — the SQL expressions that shape what clients see (docs/api.md "Shapes"), written once
 * and pasted into the saved queries, so every function returns the same keys and the planner
 * sees plain expressions (no per-row function call).
 */
#ifndef CHAT_JSON_H
#define CHAT_JSON_H

#include "query.h"				/* QUERY_1_7_BEGIN, QUERY_1_7_END */

/* a message row m; from 1.7 with 'forwarded', and its attachments when it has any */
#define MESSAGE_JSON(m) \
	"(jsonb_build_object('id', " m ".id, 'seq', " m ".seq, 'conversationId', " m ".conversation_id, " \
	"'sender_id', " m ".sender_id, 'content', " m ".content, 'clientId', " m ".client_id, " \
	"'replyTo', " m ".reply_to_id, 'isEdited', " m ".is_edited, 'isDeleted', " m ".is_deleted, " \
	"'created_at', " m ".created_at, 'updatedAt', " m ".updated_at" \
	QUERY_1_7_BEGIN ", 'forwarded', " m ".is_forwarded" QUERY_1_7_END ")" \
	QUERY_1_7_BEGIN " || CASE WHEN " m ".attachments IS NULL THEN '{}'::jsonb " \
	"ELSE jsonb_build_object('attachments', " m ".attachments) END" QUERY_1_7_END ")"

/*
 * A user row u as other users see it: the presence-ready fields, never email or hash; the photo
 * and last seen given as expressions (as a viewer may see them). The one shape of a user in the
 * C queries. Its SQL twin is chat.user_json (sql/chat--1.0.sql, used by chat.me): released, so
 * never edited, and kept to these keys by a pgTAP test (test/sql/contacts.sql).
 */
#define USER_JSON_SHAPE(u, photo, last_seen) \
	"jsonb_build_object('id', " u ".id, 'username', " u ".username, 'displayName', " u ".display_name, " \
	"'status', " u ".status, 'bio', " u ".bio, 'profilePhoto', " photo ", " \
	"'lastSeenAt', " last_seen ", 'createdAt', " u ".created_at)"

/* a user row u with its own photo and last seen (before 1.4) */
#define USER_JSON(u) USER_JSON_WITH(u, u ".last_seen_at")

/* the same with lastSeenAt computed by an expression (LAST_SEEN_SEEN_BY) */
#define USER_JSON_WITH(u, last_seen) USER_JSON_SHAPE(u, u ".profile_photo", last_seen)

/*
 * When user row u was last seen, as the user whose id is the expression `viewer` may know it
 * (1.4, users.last_seen_privacy): their own always; another's only if u shows it to everyone, or
 * to contacts and keeps the viewer as one, and the viewer shows theirs to someone (who hides
 * theirs sees nobody's, as on WhatsApp). Else null. The viewer's setting is an uncorrelated
 * subquery, read once per statement; a user never seen costs no contact probe.
 */
#define LAST_SEEN_SEEN_BY(u, viewer) \
	"CASE WHEN " u ".last_seen_at IS NULL OR " u ".id = " viewer " THEN " u ".last_seen_at " \
	"WHEN " u ".last_seen_privacy = 'nobody' OR (SELECT v.last_seen_privacy = 'nobody' " \
	"  FROM chat.users v WHERE v.id = " viewer ") THEN NULL " \
	"WHEN " u ".last_seen_privacy = 'everyone' OR EXISTS (SELECT FROM chat.contacts k " \
	"  WHERE k.owner_id = " u ".id AND k.contact_id = " viewer ") THEN " u ".last_seen_at END"

/*
 * A conversation c as the participant row me sees it: participants, last message and unread
 * count, each one index lookup away from the conversation. As written before 1.4: every last
 * seen shown, the last message whoever sees it.
 */
#define CONVERSATION_JSON(c, me) CONVERSATION_JSON_AS(c, me, "u.last_seen_at", "true")

/*
 * From 1.4: the participants' last seen as me's user (the expression `viewer`) may know it, and
 * no last message from before me joined (unreadCount needs no test: the read mark starts at
 * joined_seq).
 */
#define CONVERSATION_JSON_SEEN_BY(c, me, viewer) \
	CONVERSATION_JSON_AS(c, me, LAST_SEEN_SEEN_BY("u", viewer), c ".last_seq > " me ".joined_seq")

#define CONVERSATION_JSON_AS(c, me, last_seen, last_message_shown) \
	CONVERSATION_JSON_FULL(c, me, "u.profile_photo", last_seen, last_message_shown, "")

/*
 * From 1.6 (blocks, per-user chat state): a participant who blocked the viewer shows neither
 * photo nor last seen, a last message the viewer deleted for themselves is not the last
 * message, and the caller's own state of the chat (STATE_JSON_KEYS) comes with it.
 */
#define CONVERSATION_JSON_1_6(c, me, viewer) \
	CONVERSATION_JSON_FULL(c, me, PHOTO_SEEN_BY("u", viewer), \
						   "CASE WHEN " BLOCKED_BY("u", viewer) " THEN NULL ELSE " \
						   LAST_SEEN_SEEN_BY("u", viewer) " END", \
						   "m.seq > " me ".joined_seq AND NOT " HIDDEN_FROM("m", viewer), \
						   ", " STATE_JSON_KEYS(c, me))

#define CONVERSATION_JSON_FULL(c, me, photo, last_seen, last_message_shown, state) \
	"jsonb_build_object('id', " c ".id, 'name', " c ".name, 'isGroup', " c ".is_group, " \
	"'createdBy', " c ".created_by, 'createdAt', " c ".created_at, 'updatedAt', " c ".updated_at, " \
	"'lastSeq', " c ".last_seq, 'myRole', " me ".role, " \
	"'unreadCount', greatest(" c ".last_seq - " me ".last_read_seq, 0), " \
	"'participants', (SELECT jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username, " \
	"    'displayName', u.display_name, 'profilePhoto', " photo ", 'lastSeenAt', " last_seen ", " \
	"    'role', p.role, 'lastReadSeq', p.last_read_seq, 'lastDeliveredSeq', p.last_delivered_seq) " \
	"    ORDER BY p.joined_at, u.username) " \
	"  FROM chat.conversation_participants p JOIN chat.users u ON u.id = p.user_id " \
	"  WHERE p.conversation_id = " c ".id), " \
	"'lastMessage', (SELECT " MESSAGE_JSON("m") " FROM chat.messages m " \
	"  WHERE m.conversation_id = " c ".id AND m.seq <= " c ".last_seq AND " last_message_shown \
	"  ORDER BY m.seq DESC LIMIT 1)" state ")"

/*
 * ---- 1.6: blocks, per-user chat state, reactions, delete for me ----
 *
 * Whether the user row u blocked the user whose id is `viewer`. The first EXISTS does not depend
 * on u: PostgreSQL runs it once per statement (an InitPlan), so a viewer nobody blocked pays no
 * probe per row.
 */
#define BLOCKED_BY(u, viewer) \
	"(EXISTS (SELECT FROM chat.blocks b WHERE b.blocked_id = " viewer ") AND EXISTS (SELECT FROM " \
	"chat.blocks b WHERE b.blocker_id = " u ".id AND b.blocked_id = " viewer "))"

/* A user's profile photo as viewer sees it: none from someone who blocked them. */
#define PHOTO_SEEN_BY(u, viewer) \
	"CASE WHEN " BLOCKED_BY(u, viewer) " THEN NULL ELSE " u ".profile_photo END"

/* A user row u as viewer sees it from 1.6: last seen (json.h's rule) and photo, unless blocked. */
#define USER_JSON_1_6(u, viewer) \
	USER_JSON_SHAPE(u, PHOTO_SEEN_BY(u, viewer), \
					"CASE WHEN " BLOCKED_BY(u, viewer) " THEN NULL ELSE " LAST_SEEN_SEEN_BY(u, viewer) " END")

/* Whether message row m is one viewer deleted for themselves (the same InitPlan trick). */
#define HIDDEN_FROM(m, viewer) \
	"(EXISTS (SELECT FROM chat.hidden_messages h WHERE h.user_id = " viewer ") AND EXISTS (SELECT " \
	"FROM chat.hidden_messages h WHERE h.user_id = " viewer " AND h.conversation_id = " m \
	".conversation_id AND h.seq = " m ".seq))"

/* Whether membership me of conversation c is archived: no message since, or muted. */
#define ARCHIVED(c, me) \
	"(" me ".archived_seq IS NOT NULL AND (" c ".last_seq <= " me ".archived_seq OR " \
	"coalesce(" me ".muted_until > now(), false)))"

/* The caller's state of conversation c, as keys of its object (membership me). */
#define STATE_JSON_KEYS(c, me) \
	"'muted', coalesce(" me ".muted_until > now(), false), " \
	"'mutedUntil', CASE WHEN " me ".muted_until > now() AND " me ".muted_until < 'infinity' " \
	"  THEN " me ".muted_until END, " \
	"'archived', " ARCHIVED(c, me) ", 'pinned', " me ".pinned_at IS NOT NULL, " \
	"'pinnedAt', " me ".pinned_at"

/* The reactions to message row m: [{emoji, count, userIds}], most given first. */
#define REACTIONS_JSON(m) \
	"(SELECT coalesce(jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, " \
	"  'userIds', r.users) ORDER BY r.n DESC, r.first), '[]') FROM (SELECT x.emoji, count(*) AS n, " \
	"  jsonb_agg(x.user_id ORDER BY x.created_at) AS users, min(x.created_at) AS first " \
	"  FROM chat.reactions x WHERE x.conversation_id = " m ".conversation_id AND x.seq = " m ".seq " \
	"  GROUP BY x.emoji) r)"

/* A message with its reactions (1.6): pages, catch-up and the bridge's fetches of a change. */
#define MESSAGE_JSON_REACTIONS(m) \
	"(" MESSAGE_JSON(m) " || jsonb_build_object('reactions', " REACTIONS_JSON(m) "))"

#endif
