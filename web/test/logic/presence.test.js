// logic/presence.js: the online, last seen and typing maps.
import { describe, expect, it } from 'vitest';
import { onlineFrom, presenceAfter, typingWith, typingWithout } from '../../src/logic/presence.js';
import { BOB, CAROL } from './fixtures.js';

describe('presence', () => {
  it('takes users_online as the whole online set', () => {
    expect(onlineFrom([BOB, CAROL])).toEqual({ [BOB]: true, [CAROL]: true });
    expect(onlineFrom(null)).toEqual({});
  });

  it('moves one user on or off line, keeping when they were last seen', () => {
    const start = { online: { [BOB]: true }, lastSeen: {} };
    const off = presenceAfter(start, { userId: BOB, online: false, lastSeen: '2024-05-01T12:00:00Z' });
    expect(off).toEqual({ online: {}, lastSeen: { [BOB]: '2024-05-01T12:00:00Z' } });
    const on = presenceAfter(off, { userId: BOB, online: true });
    expect(on.online).toEqual({ [BOB]: true });
    expect(on.lastSeen).toBe(off.lastSeen);
    expect(start.online).toEqual({ [BOB]: true });
  });
});

describe('typing', () => {
  it('adds typers per conversation', () => {
    const one = typingWith({}, 'c1', BOB, 'bob');
    const two = typingWith(one, 'c1', CAROL, undefined);
    expect(two).toEqual({ c1: { [BOB]: 'bob', [CAROL]: '' } });
    expect(one).toEqual({ c1: { [BOB]: 'bob' } });
  });

  it('removes a typer, and answers the same map when they were not typing', () => {
    const typing = typingWith({}, 'c1', BOB, 'bob');
    expect(typingWithout(typing, 'c1', BOB)).toEqual({ c1: {} });
    expect(typingWithout(typing, 'c1', CAROL)).toBe(typing);
    expect(typingWithout(typing, 'c2', BOB)).toBe(typing);
  });
});
