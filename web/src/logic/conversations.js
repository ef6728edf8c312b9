// The rules of the chat list: what a page of the list, a conversation_updated event and a new
// message do to the conversations held (a map by id), and the order the list shows them in.
import { timeOf } from './time.js';

// One member's entry in a conversation (null when absent or not known).
export function participantOf(conversation, userId) {
  return ((conversation && conversation.participants) || []).find((p) => p.id === userId) || null;
}

// The held conversations after a page of the list. The first page replaces them all (what we held
// may have been left or have changed), except the open chat; a later page adds those we don't
// hold, and keeps a held copy that is as new (it came from a live event while we paged).
export function conversationsAfterPage(current, page, { first, activeId }) {
  const next = first ? {} : { ...current };
  if (first && activeId && current[activeId]) next[activeId] = current[activeId];
  for (const c of page) {
    const held = next[c.id];
    if (!first && held && (held.lastSeq || 0) >= (c.lastSeq || 0)) continue;
    next[c.id] = c.id === activeId ? { ...c, unreadCount: 0 } : c;
  }
  return next;
}

// Whether an update still lists us among the members (one without participants says nothing).
export function stillMember(update, meId) {
  return !update.participants || update.participants.some((p) => p.id === meId);
}

// A held conversation after conversation_updated (or a fetch): what the event lacks is kept
// (unread count, our role), and so is a newer last message from a live event the update predates.
// The open chat reads as read.
export function conversationAfterUpdate(known, update, activeId) {
  const merged = { ...(known || {}), ...update };
  if (known) {
    if (update.unreadCount === undefined) merged.unreadCount = known.unreadCount;
    if (update.myRole === undefined) merged.myRole = known.myRole;
    if ((known.lastSeq || 0) > (update.lastSeq || 0)) {
      merged.lastSeq = known.lastSeq;
      merged.lastMessage = known.lastMessage;
    }
  }
  if (merged.unreadCount === undefined) merged.unreadCount = 0;
  if (activeId === update.id) merged.unreadCount = 0;
  return merged;
}

// The list without one conversation (left, removed, or deleted); it is no longer open either.
export function listWithout({ conversations, activeId }, conversationId) {
  const next = { ...conversations };
  delete next[conversationId];
  return { conversations: next, activeId: activeId === conversationId ? null : activeId };
}

// The conversation after a new stored message: last message, lastSeq, activity time and unread
// count. A message counts as unread only once (seq beyond what we knew), never our own, and not
// while the user is reading that conversation.
export function conversationAfterMessage(conversation, message, meId, reading) {
  const isNewer = message.seq > (conversation.lastSeq || 0);
  const lastIsThis = conversation.lastMessage && conversation.lastMessage.id === message.id;
  if (!isNewer && !lastIsThis) return conversation;
  const next = { ...conversation };
  if (isNewer) {
    next.lastSeq = message.seq;
    next.lastMessage = message;
    // WhatsApp's rule, as the server keeps it: a new message brings an archived chat back unless muted
    if (next.archived && !isMuted(next)) next.archived = false;
    next.updatedAt = message.created_at || conversation.updatedAt;
    if (message.sender_id !== meId && !reading) {
      next.unreadCount = (conversation.unreadCount || 0) + 1;
    }
  } else {
    next.lastMessage = message; // an edit or delete of the last message
  }
  return next;
}

// Where the "N unread" divider goes when a conversation is opened: our read mark, if anything is
// unread (null: no divider).
export function unreadFromOnOpen(conversation, meId) {
  const mine = participantOf(conversation, meId);
  return conversation && conversation.unreadCount && mine ? mine.lastReadSeq || 0 : null;
}

// Whether we muted the chat, now: for good (mutedUntil null), or until a time still to come.
export function isMuted(conversation, now = Date.now()) {
  if (!conversation || !conversation.muted) return false;
  return conversation.mutedUntil == null || timeOf(conversation.mutedUntil) > now;
}

// Pinned chats first (the last pinned on top), then newest activity first, as the server lists them.
export function sortConversations(conversations) {
  const activity = (c) => Math.max(timeOf(c.lastMessage && c.lastMessage.created_at), timeOf(c.updatedAt), timeOf(c.createdAt));
  const pin = (c) => (c.pinned ? timeOf(c.pinnedAt) || 1 : 0);
  return [...conversations].sort((a, b) => pin(b) - pin(a) || activity(b) - activity(a));
}

// The chats a list shows: the archived ones, or all the others.
export function listedConversations(conversations, archived) {
  return conversations.filter((c) => Boolean(c.archived) === Boolean(archived));
}

// At most 3 chats are pinned (the server refuses a fourth): whether one more may be.
export const PINNED_MAX = 3;
export function canPin(conversations) {
  return conversations.filter((c) => c.pinned).length < PINNED_MAX;
}
