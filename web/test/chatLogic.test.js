// The pure chat rules: merge by id, order by seq, unread counts, receipts and catch-up paging.
import { describe, expect, it } from 'vitest';
import {
  catchUpPlan,
  conversationAfterMessage,
  conversationAfterReceipt,
  countUnread,
  fetchAllAfter,
  lastStoredSeq,
  olderExist,
  mergeMessages,
  messageStatus,
  sortConversations,
} from '../src/stores/chatLogic.js';

const ME = 'me';
const BOB = 'bob';
const CAROL = 'carol';

function msg(seq, fields = {}) {
  return {
    id: `m${seq}`,
    seq,
    conversationId: 'c1',
    sender_id: BOB,
    content: `message ${seq}`,
    clientId: null,
    isEdited: false,
    isDeleted: false,
    created_at: `2024-05-01T10:00:${String(seq).padStart(2, '0')}Z`,
    updatedAt: `2024-05-01T10:00:${String(seq).padStart(2, '0')}Z`,
    ...fields,
  };
}

function pending(clientId, localTime, fields = {}) {
  return { id: `local-${clientId}`, seq: null, clientId, localTime, conversationId: 'c1', sender_id: ME, content: 'hi', ...fields };
}

describe('mergeMessages', () => {
  it('orders by seq whatever the arrival order', () => {
    const list = mergeMessages([], [msg(3), msg(1), msg(2)]);
    expect(list.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('keeps one entry per id when a message arrives twice', () => {
    const list = mergeMessages(mergeMessages([], [msg(1), msg(2)]), [msg(2), msg(1), msg(3)]);
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('returns the same array when nothing changed', () => {
    const list = mergeMessages([], [msg(1), msg(2)]);
    expect(mergeMessages(list, [list[0]])).toBe(list);
    expect(mergeMessages(list, [])).toBe(list);
  });

  it('puts pending sends after every stored message, in the order they were typed', () => {
    const list = mergeMessages([], [pending('b', 20), msg(2), pending('a', 10), msg(1)]);
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2', 'local-a', 'local-b']);
  });

  it('replaces a pending send by its stored copy with the same clientId', () => {
    const before = mergeMessages([], [msg(1), pending('x', 5)]);
    const after = mergeMessages(before, [msg(2, { sender_id: ME, clientId: 'x', content: 'hi' })]);
    expect(after.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(after.some((m) => m.seq == null)).toBe(false);
  });

  it('does not bring a pending copy back once the stored one is held', () => {
    const stored = mergeMessages([], [msg(2, { sender_id: ME, clientId: 'x' })]);
    const again = mergeMessages(stored, [pending('x', 5)]);
    expect(again.map((m) => m.id)).toEqual(['m2']);
  });

  it('takes an edit and ignores an older version that arrives after it', () => {
    const edited = msg(1, { content: 'fixed', isEdited: true, updatedAt: '2024-05-01T11:00:00Z' });
    const list = mergeMessages(mergeMessages([], [msg(1)]), [edited]);
    expect(list[0].content).toBe('fixed');
    expect(mergeMessages(list, [msg(1)])[0].content).toBe('fixed');
  });

  it('keeps a delete even when an older edit arrives later', () => {
    const deleted = msg(1, { content: '', isDeleted: true, updatedAt: '2024-05-01T11:00:00Z' });
    const edited = msg(1, { content: 'late edit', isEdited: true, updatedAt: '2024-05-01T12:00:00Z' });
    const list = mergeMessages(mergeMessages([], [deleted]), [edited]);
    expect(list[0].isDeleted).toBe(true);
    expect(list[0].content).toBe('');
  });
});

describe('unread counts', () => {
  const conversation = { id: 'c1', lastSeq: 2, unreadCount: 0, lastMessage: msg(2), participants: [] };

  it('counts a new message of someone else', () => {
    const next = conversationAfterMessage(conversation, msg(3), ME, false);
    expect(next.unreadCount).toBe(1);
    expect(next.lastSeq).toBe(3);
    expect(next.lastMessage.id).toBe('m3');
  });

  it('counts each message once, even when it arrives twice', () => {
    const once = conversationAfterMessage(conversation, msg(3), ME, false);
    expect(conversationAfterMessage(once, msg(3), ME, false).unreadCount).toBe(1);
  });

  it('does not count our own messages', () => {
    expect(conversationAfterMessage(conversation, msg(3, { sender_id: ME }), ME, false).unreadCount).toBe(0);
  });

  it('does not count while the conversation is being read', () => {
    expect(conversationAfterMessage(conversation, msg(3), ME, true).unreadCount).toBe(0);
  });

  it('does not count an older message (history or catch-up)', () => {
    expect(conversationAfterMessage(conversation, msg(1), ME, false)).toBe(conversation);
  });

  it('updates the preview when the last message is edited, without counting it', () => {
    const edited = msg(2, { content: 'new text', isEdited: true });
    const next = conversationAfterMessage(conversation, edited, ME, false);
    expect(next.lastMessage.content).toBe('new text');
    expect(next.unreadCount).toBe(0);
  });

  it('clears when another device of ours read up to the last message', () => {
    const unread = { ...conversation, unreadCount: 2, participants: [{ id: ME, lastReadSeq: 0, lastDeliveredSeq: 0 }] };
    const next = conversationAfterReceipt(unread, { conversationId: 'c1', userId: ME, readSeq: 2, deliveredSeq: 2 }, ME);
    expect(next.unreadCount).toBe(0);
  });

  it('counts the loaded messages of others after a read mark', () => {
    const list = [msg(1), msg(2, { sender_id: ME }), msg(3), msg(4)];
    expect(countUnread(list, 1, ME)).toBe(2);
  });
});

describe('receipts and ticks', () => {
  const group = {
    id: 'c1',
    lastSeq: 5,
    participants: [
      { id: ME, lastReadSeq: 5, lastDeliveredSeq: 5 },
      { id: BOB, lastReadSeq: 0, lastDeliveredSeq: 0 },
      { id: CAROL, lastReadSeq: 0, lastDeliveredSeq: 0 },
    ],
  };
  const mine = msg(5, { sender_id: ME });

  it('shows a clock until the server acks', () => {
    expect(messageStatus(pending('x', 1), group, ME)).toBe('pending');
  });

  it('moves marks forward and never back', () => {
    const read = conversationAfterReceipt(group, { conversationId: 'c1', userId: BOB, readSeq: 5, deliveredSeq: 5 }, ME);
    const stale = conversationAfterReceipt(read, { conversationId: 'c1', userId: BOB, readSeq: 2, deliveredSeq: 3 }, ME);
    expect(stale).toBe(read);
    expect(read.participants[1]).toMatchObject({ lastReadSeq: 5, lastDeliveredSeq: 5 });
  });

  it('is sent, then delivered, then read only when every other member got there', () => {
    expect(messageStatus(mine, group, ME)).toBe('sent');
    let c = conversationAfterReceipt(group, { conversationId: 'c1', userId: BOB, readSeq: 5, deliveredSeq: 5 }, ME);
    expect(messageStatus(mine, c, ME)).toBe('sent');
    c = conversationAfterReceipt(c, { conversationId: 'c1', userId: CAROL, readSeq: 0, deliveredSeq: 5 }, ME);
    expect(messageStatus(mine, c, ME)).toBe('delivered');
    c = conversationAfterReceipt(c, { conversationId: 'c1', userId: CAROL, readSeq: 5, deliveredSeq: 5 }, ME);
    expect(messageStatus(mine, c, ME)).toBe('read');
  });

  it('treats read as delivered too', () => {
    const c = conversationAfterReceipt(group, { conversationId: 'c1', userId: BOB, readSeq: 5, deliveredSeq: 0 }, ME);
    expect(c.participants[1].lastDeliveredSeq).toBe(5);
  });
});

describe('conversation order', () => {
  it('lists the newest activity first', () => {
    const a = { id: 'a', updatedAt: '2024-05-01T10:00:00Z', lastMessage: msg(1, { created_at: '2024-05-03T10:00:00Z' }) };
    const b = { id: 'b', updatedAt: '2024-05-02T10:00:00Z', lastMessage: null };
    const c = { id: 'c', updatedAt: '2024-05-01T09:00:00Z', lastMessage: null };
    expect(sortConversations([c, b, a]).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('catch-up after a reconnect', () => {
  it('starts each loaded conversation after the newest message held, others at their lastSeq', () => {
    const plan = catchUpPlan(
      [{ id: 'c1', lastSeq: 9 }, { id: 'c2', lastSeq: 4 }],
      { c1: [msg(1), msg(2), pending('p', 1)] },
    );
    expect(plan).toEqual({ c1: 2, c2: 4 });
  });

  it('pages until an empty page and returns every missed message once', async () => {
    const server = Array.from({ length: 250 }, (_, i) => msg(i + 1));
    const asked = [];
    const fetchAfter = async (after, limit) => {
      asked.push(after);
      return server.filter((m) => m.seq > after).slice(0, limit);
    };
    const missed = await fetchAllAfter(fetchAfter, 30, 100);
    expect(missed.map((m) => m.seq)).toEqual(server.slice(30).map((m) => m.seq));
    expect(asked).toEqual([30, 130, 230, 250]);
    expect(lastStoredSeq(mergeMessages(server.slice(0, 30), missed))).toBe(250);
  });

  it('goes on after a page the server cut short by size', async () => {
    const server = Array.from({ length: 40 }, (_, i) => msg(i + 1));
    const fetchAfter = async (after, limit) => server.filter((m) => m.seq > after).slice(0, Math.min(limit, 7));
    const missed = await fetchAllAfter(fetchAfter, 0, 100);
    expect(missed.map((m) => m.seq)).toEqual(server.map((m) => m.seq));
  });

  it('knows older history exists while the first seq held is above 1', () => {
    expect(olderExist([msg(3), msg(4)])).toBe(true);
    expect(olderExist([msg(1), msg(2)])).toBe(false);
    expect(olderExist([])).toBe(false);
  });

  it('stops when a page does not move forward', async () => {
    const fetchAfter = async () => [msg(1), msg(2)];
    const missed = await fetchAllAfter(fetchAfter, 5, 2, 10);
    expect(missed).toHaveLength(2);
  });
});
