// The rules of catching up after a reconnect: where each conversation starts, and paging through
// everything after that point.
import { lastStoredSeq } from './messages.js';

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

// Fetches every message after `fromSeq`, page by page, until an empty page says there is no more.
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
