// The outbox slice over a socket: a transport stands in for the Socket.IO connection and answers
// each event as the bridge would (an ack, an error ack, or a timeout).
import { beforeEach, describe, expect, it } from 'vitest';
import { useChatStore } from '../../src/stores/chatStore.js';
import { useAuthStore } from '../../src/stores/authStore.js';

const ME = 'me';
const BOB = 'bob';

function jwt(payload) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

// The stored copy of a send, as the bridge acks it.
function stored(payload, seq) {
  const at = new Date(Date.UTC(2024, 4, 1, 10, 0, seq)).toISOString();
  return { id: `m${seq}`, seq, conversationId: payload.conversationId, sender_id: ME, content: payload.content, clientId: payload.clientId, replyTo: null, isEdited: false, isDeleted: false, created_at: at, updatedAt: at };
}

// answer(event, payload) returns the ack, or throws for a timeout.
function transport(answer) {
  const sent = [];
  return {
    sent,
    connected: () => true,
    async emit(event, payload) {
      sent.push({ event, payload });
      return answer(event, payload);
    },
  };
}

const sends = (t) => t.sent.filter((e) => e.event === 'send_message');
const list = () => useChatStore.getState().messages.c1;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  useAuthStore.getState().setSession(jwt({ sub: ME, exp: Math.floor(Date.now() / 1000) + 3600 }), { id: ME, username: 'me' });
  useChatStore.getState().reset();
  useChatStore.getState().setTransport(null);
  useChatStore.getState().upsertConversation({
    id: 'c1', isGroup: false, lastSeq: 0, unreadCount: 0, lastMessage: null,
    participants: [{ id: ME, lastReadSeq: 0 }, { id: BOB, lastReadSeq: 0 }],
  });
  useChatStore.getState().setHistory('c1', { hasMore: false });
});

describe('sending over the socket', () => {
  it('swaps the pending copy for the stored one the ack answers', async () => {
    const t = transport((event, payload) => (event === 'send_message' ? stored(payload, 1) : {}));
    useChatStore.getState().setTransport(t);
    const pending = useChatStore.getState().sendMessage('c1', 'hello', null);
    expect(list()).toMatchObject([{ seq: null, clientId: pending.clientId }]);
    await settle();
    expect(sends(t)[0].payload).toEqual({ conversationId: 'c1', content: 'hello', clientId: pending.clientId });
    expect(list().map((m) => [m.seq, m.content])).toEqual([[1, 'hello']]);
    expect(useChatStore.getState().conversations.c1.lastSeq).toBe(1);
  });

  it('marks a send failed on an error a retry cannot fix, and a retry sends the same clientId', async () => {
    let refuse = true;
    const t = transport((event, payload) => (refuse ? { error: { code: 'forbidden', message: 'not a member' } } : stored(payload, 1)));
    useChatStore.getState().setTransport(t);
    const pending = useChatStore.getState().sendMessage('c1', 'hello', null);
    await settle();
    expect(list()).toMatchObject([{ seq: null, failed: true, error: 'not a member' }]);
    useChatStore.getState().resendPending();
    expect(sends(t)).toHaveLength(1);
    refuse = false;
    useChatStore.getState().retry(list()[0]);
    await settle();
    expect(sends(t).map((e) => e.payload.clientId)).toEqual([pending.clientId, pending.clientId]);
    expect(list().map((m) => m.seq)).toEqual([1]);
  });

  it('keeps a send pending through a timeout and sends it again, once, after a reconnect', async () => {
    let release;
    const t = transport((event, payload) => {
      if (sends(t).length === 1) throw new Error('operation has timed out');
      return new Promise((resolve) => { release = () => resolve(stored(payload, 1)); });
    });
    useChatStore.getState().setTransport(t);
    useChatStore.getState().sendMessage('c1', 'hello', null);
    await settle();
    expect(list()).toMatchObject([{ seq: null, failed: false }]);
    useChatStore.getState().resendPending();
    useChatStore.getState().resendPending(); // still in flight: not sent twice
    expect(sends(t)).toHaveLength(2);
    release();
    await settle();
    expect(list().map((m) => m.seq)).toEqual([1]);
  });

  it('discards a failed send', async () => {
    const t = transport(() => ({ error: { code: '22001', message: 'too long' } }));
    useChatStore.getState().setTransport(t);
    useChatStore.getState().sendMessage('c1', 'hello', null);
    await settle();
    useChatStore.getState().discard(list()[0]);
    expect(list()).toEqual([]);
  });
});

describe('editing and deleting over the socket', () => {
  it('takes the stored message the ack answers, and throws the error of an error ack', async () => {
    const original = stored({ conversationId: 'c1', content: 'helo', clientId: 'k' }, 1);
    useChatStore.getState().mergeInto('c1', [original]);
    const t = transport((event, payload) => (event === 'edit_message'
      ? { ...original, content: payload.content, isEdited: true, updatedAt: '2024-05-01T11:00:00.000Z' }
      : { error: { code: 'forbidden', message: 'not yours' } }));
    useChatStore.getState().setTransport(t);
    await useChatStore.getState().editMessage(original, 'hello');
    expect(list()[0]).toMatchObject({ content: 'hello', isEdited: true });
    await expect(useChatStore.getState().deleteMessage(original)).rejects.toThrow('not yours');
    expect(t.sent.map((e) => e.event)).toEqual(['edit_message', 'delete_message']);
  });
});
