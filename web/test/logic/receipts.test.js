// logic/receipts.js: read and delivered marks, the marks we owe, and the ticks.
import { describe, expect, it } from 'vitest';
import { conversationAfterReceipt, deliveredMarksOwed, messageStatus, readMarkOwed } from '../../src/logic/receipts.js';
import { BOB, CAROL, ME, msg, pending } from './fixtures.js';

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

describe('receipts and ticks', () => {
  it('shows a clock until the server acks, and failed when given up', () => {
    expect(messageStatus(pending('x', 1), group, ME)).toBe('pending');
    expect(messageStatus(pending('x', 1, { failed: true }), group, ME)).toBe('failed');
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

  it('is only sent in a chat with no one else', () => {
    expect(messageStatus(mine, { participants: [{ id: ME }] }, ME)).toBe('sent');
  });

  it('treats read as delivered too', () => {
    const c = conversationAfterReceipt(group, { conversationId: 'c1', userId: BOB, readSeq: 5, deliveredSeq: 0 }, ME);
    expect(c.participants[1].lastDeliveredSeq).toBe(5);
  });

  it('clears the unread count when another device of ours read up to the last message', () => {
    const unread = { ...group, unreadCount: 2, participants: [{ id: ME, lastReadSeq: 0, lastDeliveredSeq: 0 }] };
    const next = conversationAfterReceipt(unread, { conversationId: 'c1', userId: ME, readSeq: 5, deliveredSeq: 5 }, ME);
    expect(next.unreadCount).toBe(0);
    const partly = conversationAfterReceipt(unread, { conversationId: 'c1', userId: ME, readSeq: 3, deliveredSeq: 3 }, ME);
    expect(partly.unreadCount).toBe(2);
  });
});

describe('the marks we owe', () => {
  it('owes a delivered mark for each listed chat with messages past ours', () => {
    const list = [
      { id: 'c1', lastSeq: 4, participants: [{ id: ME, lastDeliveredSeq: 2 }] },
      { id: 'c2', lastSeq: 4, participants: [{ id: ME, lastDeliveredSeq: 4 }] },
      { id: 'c3', lastSeq: 4, participants: [{ id: BOB }] },
    ];
    expect(deliveredMarksOwed(list, ME)).toEqual([{ conversationId: 'c1', seq: 4 }]);
  });

  it('owes a read mark up to the last message, unless ours is there already', () => {
    expect(readMarkOwed({ lastSeq: 5, participants: [{ id: ME, lastReadSeq: 3 }] }, ME)).toBe(5);
    expect(readMarkOwed({ lastSeq: 5, participants: [{ id: ME, lastReadSeq: 5 }] }, ME)).toBe(null);
    expect(readMarkOwed({ lastSeq: 5, participants: [] }, ME)).toBe(5);
    expect(readMarkOwed({ lastSeq: 0, participants: [] }, ME)).toBe(null);
  });
});
