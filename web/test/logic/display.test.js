// logic/display.js: what a conversation is called and who the other person is.
import { describe, expect, it } from 'vitest';
import { conversationTitle, directPeer } from '../../src/logic/display.js';
import { BOB, ME } from './fixtures.js';

const me = { id: ME, username: 'me' };
const bob = { id: BOB, username: 'bob', displayName: 'Bob B.' };

describe('conversation titles', () => {
  it('names a group by its name, or "Group"', () => {
    expect(conversationTitle({ isGroup: true, name: 'Friends', participants: [me, bob] }, ME)).toBe('Friends');
    expect(conversationTitle({ isGroup: true, name: null }, ME)).toBe('Group');
  });

  it('names a direct chat by the other person, display name first', () => {
    expect(conversationTitle({ isGroup: false, participants: [me, bob] }, ME)).toBe('Bob B.');
    expect(conversationTitle({ isGroup: false, participants: [me, { id: BOB, username: 'bob' }] }, ME)).toBe('bob');
    expect(conversationTitle({ isGroup: false, participants: [], name: null }, ME)).toBe('Chat');
    expect(conversationTitle(null, ME)).toBe('');
  });

  it('finds the peer of a direct chat (ourselves in a chat with no one else), none in a group', () => {
    expect(directPeer({ isGroup: false, participants: [me, bob] }, ME)).toBe(bob);
    expect(directPeer({ isGroup: false, participants: [me] }, ME)).toBe(me);
    expect(directPeer({ isGroup: true, participants: [me, bob] }, ME)).toBe(null);
    expect(directPeer(undefined, ME)).toBe(null);
  });
});
