// logic/conversations.js: the chat list after a page, an update and a message, and its order.
import { describe, expect, it } from 'vitest';
import {
  conversationAfterMessage,
  conversationAfterUpdate,
  conversationsAfterPage,
  listWithout,
  participantOf,
  sortConversations,
  stillMember,
  unreadFromOnOpen,
} from '../../src/logic/conversations.js';
import { BOB, ME, msg } from './fixtures.js';

const conversation = {
  id: 'c1', lastSeq: 2, unreadCount: 0, lastMessage: msg(2),
  participants: [{ id: ME, lastReadSeq: 1 }, { id: BOB, lastReadSeq: 2 }],
};

describe('conversationAfterMessage: unread counts and the preview', () => {
  it('counts a new message of someone else', () => {
    const next = conversationAfterMessage(conversation, msg(3), ME, false);
    expect(next.unreadCount).toBe(1);
    expect(next.lastSeq).toBe(3);
    expect(next.lastMessage.id).toBe('m3');
    expect(next.updatedAt).toBe(msg(3).created_at);
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
});

describe('conversationsAfterPage', () => {
  const chat = (n, fields = {}) => ({ id: `c${n}`, lastSeq: 1, unreadCount: 1, ...fields });
  const byId = (...list) => Object.fromEntries(list.map((c) => [c.id, c]));

  it('a first page replaces what was held, but not the open chat, which reads as read', () => {
    const next = conversationsAfterPage(byId(chat(1), chat(7)), [chat(1), chat(2)], { first: true, activeId: 'c7' });
    expect(Object.keys(next).sort()).toEqual(['c1', 'c2', 'c7']);
    const opened = conversationsAfterPage({}, [chat(1)], { first: true, activeId: 'c1' });
    expect(opened.c1.unreadCount).toBe(0);
  });

  it('a later page adds, and keeps a held copy at least as new', () => {
    const newer = chat(3, { lastSeq: 5 });
    const next = conversationsAfterPage(byId(chat(1), newer), [chat(3), chat(4)], { first: false, activeId: null });
    expect(Object.keys(next).sort()).toEqual(['c1', 'c3', 'c4']);
    expect(next.c3).toBe(newer);
    const older = chat(4, { lastSeq: 0 });
    expect(conversationsAfterPage(byId(older), [chat(4)], { first: false }).c4.lastSeq).toBe(1);
  });
});

describe('conversation_updated', () => {
  it('keeps the unread count, our role and a newer last message the update lacks', () => {
    const known = { ...conversation, unreadCount: 3, myRole: 'admin', lastSeq: 5, lastMessage: msg(5) };
    const merged = conversationAfterUpdate(known, { id: 'c1', name: 'renamed', lastSeq: 4, lastMessage: msg(4) }, null);
    expect(merged).toMatchObject({ name: 'renamed', unreadCount: 3, myRole: 'admin', lastSeq: 5 });
    expect(merged.lastMessage.id).toBe('m5');
  });

  it('takes what the update carries', () => {
    const merged = conversationAfterUpdate(conversation, { id: 'c1', unreadCount: 4, myRole: 'member', lastSeq: 6, lastMessage: msg(6) }, null);
    expect(merged).toMatchObject({ unreadCount: 4, myRole: 'member', lastSeq: 6 });
  });

  it('starts a new conversation at no unread, and the open one reads as read', () => {
    expect(conversationAfterUpdate(undefined, { id: 'c9' }, null).unreadCount).toBe(0);
    expect(conversationAfterUpdate(conversation, { id: 'c1', unreadCount: 2 }, 'c1').unreadCount).toBe(0);
  });

  it('knows whether we are still a member', () => {
    expect(stillMember({ id: 'c1' }, ME)).toBe(true);
    expect(stillMember({ id: 'c1', participants: [{ id: ME }] }, ME)).toBe(true);
    expect(stillMember({ id: 'c1', participants: [{ id: BOB }] }, ME)).toBe(false);
  });

  it('drops a conversation from the list, and closes it when it was open', () => {
    const state = { conversations: { c1: conversation, c2: { id: 'c2' } }, activeId: 'c1' };
    expect(listWithout(state, 'c1')).toEqual({ conversations: { c2: { id: 'c2' } }, activeId: null });
    expect(listWithout(state, 'c2').activeId).toBe('c1');
    expect(state.conversations.c2).toBeDefined();
  });
});

describe('opening a conversation', () => {
  it('finds our own entry among the members', () => {
    expect(participantOf(conversation, ME)).toMatchObject({ id: ME });
    expect(participantOf(conversation, 'stranger')).toBe(null);
    expect(participantOf(null, ME)).toBe(null);
  });

  it('puts the unread divider at our read mark, and none when nothing is unread', () => {
    expect(unreadFromOnOpen({ ...conversation, unreadCount: 1 }, ME)).toBe(1);
    expect(unreadFromOnOpen(conversation, ME)).toBe(null);
    expect(unreadFromOnOpen({ ...conversation, unreadCount: 1, participants: [] }, ME)).toBe(null);
    expect(unreadFromOnOpen(undefined, ME)).toBe(null);
  });
});

describe('conversation order', () => {
  it('lists the newest activity first', () => {
    const a = { id: 'a', updatedAt: '2024-05-01T10:00:00Z', lastMessage: msg(1, { created_at: '2024-05-03T10:00:00Z' }) };
    const b = { id: 'b', updatedAt: '2024-05-02T10:00:00Z', lastMessage: null };
    const c = { id: 'c', updatedAt: '2024-05-01T09:00:00Z', lastMessage: null };
    const d = { id: 'd', createdAt: '2024-05-01T09:30:00Z' };
    expect(sortConversations([c, d, b, a]).map((x) => x.id)).toEqual(['a', 'b', 'd', 'c']);
  });
});
