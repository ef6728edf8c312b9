// Pure rules of the chat state, kept apart from Zustand so the unit tests exercise them directly:
// merging messages by id, ordering by seq, unread counts, receipt ticks and catch-up planning.

// A message without a seq is a local send not yet acknowledged; it sorts after every stored one.
export function compareMessages(a, b) {
  const aPending = a.seq == null;
  const bPending = b.seq == null;
  if (aPending !== bPending) return aPending ? 1 : -1;
  if (!aPending) return a.seq - b.seq;
  return (a.localTime || 0) - (b.localTime || 0);
}

function time(value) {
  const t = Date.parse(value || '');
  return Number.isNaN(t) ? 0 : t;
}

// Of two versions of one stored message, keeps the later edit (events may arrive out of order).
function newerVersion(current, incoming) {
  if (current.isDeleted && !incoming.isDeleted) return current;
  if (incoming.isDeleted && !current.isDeleted) return incoming;
  return time(incoming.updatedAt) >= time(current.updatedAt) ? incoming : current;
}

// Merges incoming messages into a list: one entry per id, an acked send replaces its pending
// copy (same clientId), and the result is ordered by seq. Returns the same array when nothing changed.
export function mergeMessages(list, incoming) {
  if (!incoming || incoming.length === 0) return list;
  const byId = new Map();
  const pendingByClientId = new Map();
  for (const m of list) {
    if (m.seq == null && m.clientId) pendingByClientId.set(m.clientId, m);
    else byId.set(m.id, m);
  }
  let changed = false;
  for (const m of incoming) {
    if (m.seq == null) {
      if (!pendingByClientId.has(m.clientId)) {
        pendingByClientId.set(m.clientId, m);
        changed = true;
      } else if (pendingByClientId.get(m.clientId) !== m) {
        pendingByClientId.set(m.clientId, m);
        changed = true;
      }
      continue;
    }
    if (m.clientId && pendingByClientId.has(m.clientId)) {
      pendingByClientId.delete(m.clientId);
      changed = true;
    }
    const current = byId.get(m.id);
    const next = current ? newerVersion(current, m) : m;
    if (next !== current) {
      byId.set(m.id, next);
      changed = true;
    }
  }
  if (!changed) return list;
  // A stored copy may already be present for a pending one (ack raced the event).
  const storedClientIds = new Set();
  for (const m of byId.values()) if (m.clientId) storedClientIds.add(m.clientId);
  const pending = [...pendingByClientId.values()].filter((m) => !storedClientIds.has(m.clientId));
  return [...byId.values(), ...pending].sort(compareMessages);
}

// The highest stored seq of a list (0 when none): where a catch-up starts.
export function lastStoredSeq(list) {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i].seq != null) return list[i].seq;
  }
  return 0;
}

// Whether a page of history leaves older messages to fetch. Seqs run from 1 with no gap, so that is
// whether its first seq is above 1; a page's length says nothing, since the server also cuts a
// page by size.
export function olderExist(page) {
  return page.length > 0 && page[0].seq > 1;
}

export function firstStoredSeq(list) {
  for (const m of list) if (m.seq != null) return m.seq;
  return null;
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
    next.updatedAt = message.created_at || conversation.updatedAt;
    if (message.sender_id !== meId && !reading) {
      next.unreadCount = (conversation.unreadCount || 0) + 1;
    }
  } else {
    next.lastMessage = message; // an edit or delete of the last message
  }
  return next;
}

// Newest activity first, as the server lists them.
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

export function sortConversations(conversations) {
  const activity = (c) => Math.max(time(c.lastMessage && c.lastMessage.created_at), time(c.updatedAt), time(c.createdAt));
  return [...conversations].sort((a, b) => activity(b) - activity(a));
}

// A receipt moves one participant's read/delivered marks forward, never back.
export function conversationAfterReceipt(conversation, receipt, meId) {
  let changed = false;
  const participants = (conversation.participants || []).map((p) => {
    if (p.id !== receipt.userId) return p;
    const lastReadSeq = Math.max(p.lastReadSeq || 0, receipt.readSeq || 0);
    const lastDeliveredSeq = Math.max(p.lastDeliveredSeq || 0, receipt.deliveredSeq || 0, lastReadSeq);
    if (lastReadSeq === p.lastReadSeq && lastDeliveredSeq === p.lastDeliveredSeq) return p;
    changed = true;
    return { ...p, lastReadSeq, lastDeliveredSeq };
  });
  let unreadCount = conversation.unreadCount || 0;
  // Read on another device of ours: what it read is no longer unread here.
  if (receipt.userId === meId && (receipt.readSeq || 0) >= (conversation.lastSeq || 0) && unreadCount) {
    unreadCount = 0;
    changed = true;
  }
  return changed ? { ...conversation, participants, unreadCount } : conversation;
}

// The tick of one of our messages: pending (clock), failed, sent, delivered to every other member,
// or read by every other member.
export function messageStatus(message, conversation, meId) {
  if (message.failed) return 'failed';
  if (message.seq == null) return 'pending';
  const others = ((conversation && conversation.participants) || []).filter((p) => p.id !== meId);
  if (others.length === 0) return 'sent';
  if (others.every((p) => (p.lastReadSeq || 0) >= message.seq)) return 'read';
  if (others.every((p) => Math.max(p.lastDeliveredSeq || 0, p.lastReadSeq || 0) >= message.seq)) return 'delivered';
  return 'sent';
}

// Where each conversation's catch-up starts after a reconnect: the newest seq we hold, or the
// conversation's lastSeq when none of its messages are loaded (only the list preview is then kept).
export function catchUpPlan(conversations, messagesByConversation) {
  const plan = {};
  for (const c of conversations) {
    const held = messagesByConversation[c.id];
    plan[c.id] = held && held.length ? lastStoredSeq(held) : c.lastSeq || 0;
  }
  return plan;
}

// Fetches every message after `fromSeq`, page by page, until a short page says there is no more.
// `fetchAfter(afterSeq, limit)` returns messages ascending by seq. Bounded by maxPages so a
// misbehaving server can't keep us looping.
export async function fetchAllAfter(fetchAfter, fromSeq, limit = 100, maxPages = 50) {
  const all = [];
  let after = fromSeq;
  for (let page = 0; page < maxPages; page++) {
    const batch = await fetchAfter(after, limit);
    all.push(...batch);
    // a short page is not the end: the server also cuts pages by size; an empty one is
    if (batch.length === 0) break;
    const last = lastStoredSeq(batch);
    if (last <= after) break;
    after = last;
  }
  return all;
}

// Unread messages of others in a loaded list after our read mark, for the "N unread" divider.
export function countUnread(list, readSeq, meId) {
  return list.filter((m) => m.seq != null && m.seq > readSeq && m.sender_id !== meId).length;
}

// Display name of a conversation: the group's name, or the other person in a direct chat.
export function conversationTitle(conversation, meId) {
  if (!conversation) return '';
  if (conversation.isGroup) return conversation.name || 'Group';
  const other = directPeer(conversation, meId);
  return other ? other.displayName || other.username : conversation.name || 'Chat';
}

export function directPeer(conversation, meId) {
  if (!conversation || conversation.isGroup) return null;
  const participants = conversation.participants || [];
  return participants.find((p) => p.id !== meId) || participants[0] || null;
}
