import { describe, expect, it } from 'vitest';
import { notificationText, shouldNotify } from '../../src/logic/notifications.js';

const me = 'me';
const direct = { id: 'c1', isGroup: false, participants: [{ id: me, username: 'me' }, { id: 'bo', username: 'bo', displayName: 'Bo' }] };
const group = { id: 'g1', isGroup: true, name: 'Trip', participants: [{ id: me, username: 'me' }, { id: 'bo', username: 'bo', displayName: 'Bo' }] };
const message = { id: 'm1', sender_id: 'bo', content: 'hello\nthere', isDeleted: false };

describe('shouldNotify', () => {
  const base = { message, conversation: direct, meId: me, hidden: true, permission: 'granted' };
  it('notifies a message of someone else while the tab is hidden, with permission', () => {
    expect(shouldNotify(base)).toBe(true);
  });
  it('not while the tab is in front, without permission, or for our own', () => {
    expect(shouldNotify({ ...base, hidden: false })).toBe(false);
    expect(shouldNotify({ ...base, permission: 'default' })).toBe(false);
    expect(shouldNotify({ ...base, message: { ...message, sender_id: me } })).toBe(false);
  });
  it('not for a muted chat, until the mute ends', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(shouldNotify({ ...base, now, conversation: { ...direct, muted: true, mutedUntil: null } })).toBe(false);
    expect(shouldNotify({ ...base, now, conversation: { ...direct, muted: true, mutedUntil: '2026-12-02T13:00:00Z' } })).toBe(false);
    expect(shouldNotify({ ...base, now, conversation: { ...direct, muted: true, mutedUntil: '2026-12-02T11:00:00Z' } })).toBe(true);
  });
});

describe('notificationText', () => {
  it('a direct chat: its title and the preview on one line', () => {
    expect(notificationText(message, direct, me)).toEqual({ title: 'Bo', body: 'hello there' });
  });
  it('a group: its name, and who wrote', () => {
    expect(notificationText(message, group, me)).toEqual({ title: 'Trip', body: 'Bo: hello there' });
  });
});
