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
#define USER_JSON(u) \
	"jsonb_build_object('id', " u ".id, 'username', " u ".username, 'displayName', " u ".display_name, " \
	"'status', " u ".status, 'bio', " u ".bio, 'profilePhoto', " u ".profile_photo, " \
	"'lastSeenAt', " u ".last_seen_at, 'createdAt', " u ".created_at)"

/*
 * A conversation c as the participant row me sees it: participants, last message and unread
 * count, each one index lookup away from the conversation.
 */
#define CONVERSATION_JSON(c, me) \
	"jsonb_build_object('id', " c ".id, 'name', " c ".name, 'isGroup', " c ".is_group, " \
	"'createdBy', " c ".created_by, 'createdAt', " c ".created_at, 'updatedAt', " c ".updated_at, " \
	"'lastSeq', " c ".last_seq, 'myRole', " me ".role, " \
	"'unreadCount', greatest(" c ".last_seq - " me ".last_read_seq, 0), " \
	"'participants', (SELECT jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username, " \
	"    'displayName', u.display_name, 'profilePhoto', u.profile_photo, 'lastSeenAt', u.last_seen_at, " \
	"    'role', p.role, 'lastReadSeq', p.last_read_seq, 'lastDeliveredSeq', p.last_delivered_seq) " \
	"    ORDER BY p.joined_at, u.username) " \
	"  FROM chat.conversation_participants p JOIN chat.users u ON u.id = p.user_id " \
	"  WHERE p.conversation_id = " c ".id), " \
	"'lastMessage', (SELECT " MESSAGE_JSON("m") " FROM chat.messages m " \
	"  WHERE m.conversation_id = " c ".id AND m.seq = " c ".last_seq))"

#endif
