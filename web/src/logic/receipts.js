// The rules of read and delivered marks: how a receipt moves them, which marks we owe the server,
// and the tick each of our messages shows.
import { participantOf } from './conversations.js';

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

// The delivered marks a page of the list owes: whatever reached us while we were away is now
// delivered to this device. [{conversationId, seq}]
export function deliveredMarksOwed(conversations, meId) {
  const marks = [];
  for (const c of conversations) {
    const mine = participantOf(c, meId);
    if (mine && c.lastSeq > (mine.lastDeliveredSeq || 0)) marks.push({ conversationId: c.id, seq: c.lastSeq });
  }
  return marks;
}

// The read mark to send when a conversation is read: its lastSeq, unless nothing is stored or our
// mark is already there (null: nothing to send).
export function readMarkOwed(conversation, meId) {
  const seq = conversation.lastSeq || 0;
  const mine = participantOf(conversation, meId);
  return seq > 0 && (!mine || (mine.lastReadSeq || 0) < seq) ? seq : null;
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
