// The chat store offline (no transport): what a received message, a send, a read, typing and
// presence do to the state, and what reset leaves.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useChatStore } from '../../src/stores/chatStore.js';
import { useAuthStore } from '../../src/stores/authStore.js';

const ME = 'me';
const BOB = 'bob';

function jwt(payload) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

function message(seq, fields = {}) {
  return {
    id: `m${seq}`, seq, conversationId: 'c1', sender_id: BOB, content: `message ${seq}`, clientId: null,
    replyTo: null, isEdited: false, isDeleted: false,
    created_at: new Date(Date.UTC(2024, 4, 1, 10, 0, seq)).toISOString(),
    updatedAt: new Date(Date.UTC(2024, 4, 1, 10, 0, seq)).toISOString(),
    ...fields,
  };
}

function conversation(fields = {}) {
  return {
    id: 'c1', name: null, isGroup: false, lastSeq: 2, unreadCount: 0, lastMessage: message(2),
    updatedAt: '2024-05-01T10:00:02Z',
    participants: [
      { id: ME, username: 'me', lastReadSeq: 2, lastDeliveredSeq: 2, role: 'member' },
      { id: BOB, username: 'bob', lastReadSeq: 2, lastDeliveredSeq: 2, role: 'member' },
    ],
    ...fields,
  };
}

beforeEach(() => {
  useChatStore.getState().setTransport(null);
  useAuthStore.getState().setSession(jwt({ sub: ME, exp: Math.floor(Date.now() / 1000) + 3600 }), { id: ME, username: 'me' });
  useChatStore.getState().reset();
  useChatStore.getState().upsertConversation(conversation());
});

describe('useChatStore', () => {
  it('counts a message that arrives for a chat that is not open', async () => {
    await useChatStore.getState().receiveMessage(message(3));
    await useChatStore.getState().receiveMessage(message(3));
    const c = useChatStore.getState().conversations.c1;
    expect(c.unreadCount).toBe(1);
    expect(c.lastMessage.seq).toBe(3);
  });

  it('merges live messages into an open chat by id and in seq order', async () => {
    const store = useChatStore.getState();
    store.setHistory('c1', { hasMore: false });
    store.mergeInto('c1', [message(1), message(2)]);
    await store.receiveMessage(message(4));
    await store.receiveMessage(message(3));
    await store.receiveMessage(message(4));
    expect(useChatStore.getState().messages.c1.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('clears the unread badge when the chat is read', async () => {
    await useChatStore.getState().receiveMessage(message(3));
    useChatStore.getState().markRead('c1');
    const c = useChatStore.getState().conversations.c1;
    expect(c.unreadCount).toBe(0);
    expect(c.participants.find((p) => p.id === ME).lastReadSeq).toBe(3);
  });

  it('keeps a send pending while offline and swaps it for the stored copy when it arrives', async () => {
    const store = useChatStore.getState();
    store.setHistory('c1', { hasMore: false });
    const sent = store.sendMessage('c1', 'hello', null);
    let list = useChatStore.getState().messages.c1;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ seq: null, clientId: sent.clientId, sender_id: ME });
    await store.receiveMessage(message(3, { sender_id: ME, clientId: sent.clientId, content: 'hello' }));
    list = useChatStore.getState().messages.c1;
    expect(list.map((m) => [m.seq, m.content])).toEqual([[3, 'hello']]);
    expect(useChatStore.getState().conversations.c1.unreadCount).toBe(0);
  });

  it('takes conversation_updated without losing the unread count or a newer last message', async () => {
    await useChatStore.getState().receiveMessage(message(3));
    useChatStore.getState().upsertConversation({ id: 'c1', name: 'renamed', lastSeq: 2, participants: conversation().participants });
    const c = useChatStore.getState().conversations.c1;
    expect(c).toMatchObject({ name: 'renamed', unreadCount: 1, lastSeq: 3 });
  });

  it('drops a conversation we were removed from', () => {
    useChatStore.getState().upsertConversation({ id: 'c1', participants: [{ id: BOB }] });
    expect(useChatStore.getState().conversations.c1).toBeUndefined();
  });

  it('shows and expires typing, and a message ends it', async () => {
    const store = useChatStore.getState();
    store.setTyping('c1', BOB, 'bob');
    store.setTyping('c1', ME, 'me');
    expect(useChatStore.getState().typing.c1).toEqual({ [BOB]: 'bob' });
    await store.receiveMessage(message(3));
    expect(useChatStore.getState().typing.c1).toEqual({});
  });

  it('tracks presence from users_online and presence events', () => {
    const store = useChatStore.getState();
    store.setOnline([BOB]);
    expect(useChatStore.getState().online[BOB]).toBe(true);
    store.applyPresence({ userId: BOB, online: false, lastSeen: '2024-05-01T12:00:00Z' });
    expect(useChatStore.getState().online[BOB]).toBeUndefined();
    expect(useChatStore.getState().lastSeen[BOB]).toBe('2024-05-01T12:00:00Z');
  });

  it('expires a typer after six seconds of silence', () => {
    vi.useFakeTimers();
    const store = useChatStore.getState();
    store.setTyping('c1', BOB, 'bob');
    vi.advanceTimersByTime(5900);
    expect(useChatStore.getState().typing.c1).toEqual({ [BOB]: 'bob' });
    vi.advanceTimersByTime(200);
    expect(useChatStore.getState().typing.c1).toEqual({});
  });

  it('reset empties every slice and drops the typing timers', async () => {
    vi.useFakeTimers();
    const store = useChatStore.getState();
    store.setConnection('connected');
    store.setOnline([BOB]);
    store.setTyping('c1', BOB, 'bob');
    store.setHistory('c1', { hasMore: false });
    store.mergeInto('c1', [message(1)]);
    store.reset();
    expect(vi.getTimerCount()).toBe(0);
    expect(useChatStore.getState()).toMatchObject({
      conversations: {}, messages: {}, history: {}, typing: {}, online: {}, lastSeen: {}, activeId: null,
      listLoaded: false, listCursor: null, connection: 'connecting', everConnected: false,
    });
  });
});

afterEach(() => {
  vi.useRealTimers();
});
