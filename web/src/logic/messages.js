// The rules of one conversation's message list: merged by id, ordered by seq, with local sends
// (no seq yet) after the stored ones, and the seqs that say where history and catch-up start.
import { timeOf } from './time.js';

// A message without a seq is a local send not yet acknowledged; it sorts after every stored one.
export function compareMessages(a, b) {
  const aPending = a.seq == null;
  const bPending = b.seq == null;
  if (aPending !== bPending) return aPending ? 1 : -1;
  if (!aPending) return a.seq - b.seq;
  return (a.localTime || 0) - (b.localTime || 0);
}

// Of two versions of one stored message, keeps the later edit (events may arrive out of order).
// Reactions change no updatedAt: the incoming ones win whenever they come (a send's ack and
// message_received carry none, and keep what is held).
function newerVersion(current, incoming) {
  let winner;
  if (current.isDeleted && !incoming.isDeleted) winner = current;
  else if (incoming.isDeleted && !current.isDeleted) winner = incoming;
  else winner = timeOf(incoming.updatedAt) >= timeOf(current.updatedAt) ? incoming : current;
  const reactions = incoming.reactions !== undefined ? incoming.reactions : current.reactions;
  if (reactions === winner.reactions) return winner;
  return { ...winner, reactions };
}

// The list without the stored message seq (deleted for me); the same array when it wasn't there.
export function withoutSeq(list, seq) {
  return list.some((m) => m.seq === seq) ? list.filter((m) => m.seq !== seq) : list;
}

// The emoji the user reacted with (null: none).
export function reactionOf(message, userId) {
  const found = (message.reactions || []).find((r) => (r.userIds || []).includes(userId));
  return found ? found.emoji : null;
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
      if (pendingByClientId.get(m.clientId) !== m) {
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

// The lowest stored seq of a list (null when none): the page before it is the next older one.
export function firstStoredSeq(list) {
  for (const m of list) if (m.seq != null) return m.seq;
  return null;
}

// Whether a page of history leaves older messages to fetch. Seqs run from 1 with no gap, so that is
// whether its first seq is above 1; a page's length says nothing, since the server also cuts a
// page by size.
export function olderExist(page) {
  return page.length > 0 && page[0].seq > 1;
}

// Whether a list holds the stored message seq.
export function holdsSeq(list, seq) {
  return list.some((m) => m.seq === seq);
}

// Unread messages of others in a loaded list after our read mark, for the "N unread" divider.
export function countUnread(list, readSeq, meId) {
  return list.filter((m) => m.seq != null && m.seq > readSeq && m.sender_id !== meId).length;
}
