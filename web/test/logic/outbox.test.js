// logic/outbox.js: pending sends, and which server answers give a send up.
import { describe, expect, it } from 'vitest';
import { ackError, isFinalAckError, isFinalRestError, pendingMessage, pendingSends, withoutPending } from '../../src/logic/outbox.js';
import { ME, msg, pending } from './fixtures.js';

describe('a pending send', () => {
  it('carries its clientId, no seq and the time it was typed', () => {
    const now = Date.UTC(2024, 4, 1, 10);
    const m = pendingMessage({ clientId: 'k1', conversationId: 'c1', senderId: ME, content: 'hi', replyTo: undefined, now });
    expect(m).toMatchObject({
      id: 'local-k1', clientId: 'k1', conversationId: 'c1', sender_id: ME, content: 'hi', replyTo: null,
      seq: null, failed: false, isEdited: false, isDeleted: false, localTime: now, created_at: '2024-05-01T10:00:00.000Z',
    });
    expect(m.updatedAt).toBe(m.created_at);
  });

  it('finds every send still waiting, in every conversation, but not the failed ones', () => {
    const byConversation = {
      c1: [msg(1), pending('a', 1)],
      c2: [pending('b', 2, { conversationId: 'c2' }), pending('c', 3, { conversationId: 'c2', failed: true })],
    };
    expect(pendingSends(byConversation).map((m) => m.clientId)).toEqual(['a', 'b']);
  });

  it('drops a given-up send but keeps a stored copy with the same clientId', () => {
    const list = [msg(1, { clientId: 'a' }), pending('a', 1), pending('b', 2)];
    expect(withoutPending(list, 'a').map((m) => m.id)).toEqual(['m1', 'local-b']);
  });
});

describe('server answers', () => {
  it('reads the error of an ack, and nothing from a result', () => {
    expect(ackError({ error: { code: 'forbidden', message: 'no' } })).toEqual({ code: 'forbidden', message: 'no' });
    expect(ackError(msg(1))).toBe(null);
    expect(ackError(null)).toBe(null);
    expect(ackError('text')).toBe(null);
  });

  it('gives up on errors a retry cannot fix, over the socket', () => {
    for (const code of ['400', 403, 'forbidden', '22001', 'payload_too_large', 'P0002']) {
      expect(isFinalAckError({ code })).toBe(true);
    }
    for (const code of ['503', 'unavailable', '40001', undefined]) {
      expect(isFinalAckError({ code })).toBe(false);
    }
    expect(isFinalAckError(null)).toBe(false);
  });

  it('gives up on errors a retry cannot fix, over REST', () => {
    for (const status of [400, 403, 404, 413]) expect(isFinalRestError({ status })).toBe(true);
    for (const status of [0, 429, 500, 503]) expect(isFinalRestError({ status })).toBe(false);
  });
});
