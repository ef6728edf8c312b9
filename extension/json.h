/*
 * json.h — the SQL expressions that shape what clients see (docs/api.md "Shapes"), written once
 * and pasted into the saved queries, so every function returns the same keys and the planner
 * sees plain expressions (no per-row function call).
 */
#ifndef CHAT_JSON_H
#define CHAT_JSON_H

/* a message row m */
#define MESSAGE_JSON(m) \
	"jsonb_build_object('id', " m ".id, 'seq', " m ".seq, 'conversationId', " m ".conversation_id, " \
	"'sender_id', " m ".sender_id, 'content', " m ".content, 'clientId', " m ".client_id, " \
	"'replyTo', " m ".reply_to_id, 'isEdited', " m ".is_edited, 'isDeleted', " m ".is_deleted, " \
	"'created_at', " m ".created_at, 'updatedAt', " m ".updated_at)"

/* a user row u as other users see it: the presence-ready fields, never email or hash */
#define USER_JSON(u) USER_JSON_WITH(u, u ".last_seen_at")

/* the same with lastSeenAt computed by an expression (LAST_SEEN_SEEN_BY) */
#define USER_JSON_WITH(u, last_seen) \
	"jsonb_build_object('id', " u ".id, 'username', " u ".username, 'displayName', " u ".display_name, " \
	"'status', " u ".status, 'bio', " u ".bio, 'profilePhoto', " u ".profile_photo, " \
	"'lastSeenAt', " last_seen ", 'createdAt', " u ".created_at)"

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
	"jsonb_build_object('id', " c ".id, 'name', " c ".name, 'isGroup', " c ".is_group, " \
	"'createdBy', " c ".created_by, 'createdAt', " c ".created_at, 'updatedAt', " c ".updated_at, " \
	"'lastSeq', " c ".last_seq, 'myRole', " me ".role, " \
	"'unreadCount', greatest(" c ".last_seq - " me ".last_read_seq, 0), " \
	"'participants', (SELECT jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username, " \
	"    'displayName', u.display_name, 'profilePhoto', u.profile_photo, 'lastSeenAt', " last_seen ", " \
	"    'role', p.role, 'lastReadSeq', p.last_read_seq, 'lastDeliveredSeq', p.last_delivered_seq) " \
	"    ORDER BY p.joined_at, u.username) " \
	"  FROM chat.conversation_participants p JOIN chat.users u ON u.id = p.user_id " \
	"  WHERE p.conversation_id = " c ".id), " \
	"'lastMessage', (SELECT " MESSAGE_JSON("m") " FROM chat.messages m " \
	"  WHERE m.conversation_id = " c ".id AND m.seq = " c ".last_seq AND " last_message_shown "))"

#endif
