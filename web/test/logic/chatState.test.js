// The chat list's per-user state (logic/conversations.js): muted now or not, pinned chats first,
// the archive's side of the list, and WhatsApp's rule that a new message brings an archived chat
// back unless it is muted.
import { describe, expect, it } from 'vitest';
import { canPin, conversationAfterMessage, isMuted, listedConversations, sortConversations } from '../../src/logic/conversations.js';
import { BOB, ME, msg } from './fixtures.js';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const chat = (id, extra = {}) => ({ id, lastSeq: 1, unreadCount: 0, updatedAt: '2030-01-01T10:00:00Z', ...extra });

describe('isMuted', () => {
  it('is muted until mutedUntil, and for good without one', () => {
    expect(isMuted(chat('a'), NOW)).toBe(false);
    expect(isMuted(chat('a', { muted: true, mutedUntil: '2030-01-01T13:00:00Z' }), NOW)).toBe(true);
    expect(isMuted(chat('a', { muted: true, mutedUntil: '2030-01-01T11:00:00Z' }), NOW)).toBe(false);
    expect(isMuted(chat('a', { muted: true, mutedUntil: null }), NOW)).toBe(true);
  });
});

describe('sortConversations with pins', () => {
  it('puts pinned chats first, the last pinned on top, then newest activity', () => {
    const list = [
      chat('old', { updatedAt: '2030-01-01T01:00:00Z' }),
      chat('new', { updatedAt: '2030-01-01T11:00:00Z' }),
      chat('pin1', { pinned: true, pinnedAt: '2030-01-01T02:00:00Z', updatedAt: '2029-01-01T00:00:00Z' }),
      chat('pin2', { pinned: true, pinnedAt: '2030-01-01T03:00:00Z', updatedAt: '2029-01-01T00:00:00Z' }),
    ];
    expect(sortConversations(list).map((c) => c.id)).toEqual(['pin2', 'pin1', 'new', 'old']);
  });

  it('allows a pin while fewer than 3 are pinned', () => {
    expect(canPin([chat('a', { pinned: true }), chat('b', { pinned: true })])).toBe(true);
    expect(canPin([chat('a', { pinned: true }), chat('b', { pinned: true }), chat('c', { pinned: true })])).toBe(false);
  });
});

describe('the archive', () => {
  const list = [chat('a'), chat('b', { archived: true })];
  it('shows one side of it', () => {
    expect(listedConversations(list, false).map((c) => c.id)).toEqual(['a']);
    expect(listedConversations(list, true).map((c) => c.id)).toEqual(['b']);
  });

  it('a new message brings an archived chat back', () => {
    const next = conversationAfterMessage(chat('b', { archived: true }), msg(2), ME, false);
    expect(next.archived).toBe(false);
  });

  it('unless it is muted', () => {
    const muted = chat('b', { archived: true, muted: true, mutedUntil: null });
    expect(conversationAfterMessage(muted, msg(2), ME, false).archived).toBe(true);
  });

  it('an old message changes nothing', () => {
    const archived = chat('b', { archived: true, lastSeq: 5 });
    expect(conversationAfterMessage(archived, { ...msg(2), sender_id: BOB }, ME, false)).toBe(archived);
  });
});
