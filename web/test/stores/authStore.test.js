// useAuthStore: sessions kept across reloads while their token lives, and logout.
import { describe, expect, it } from 'vitest';
import { currentUserId, loadSession, useAuthStore } from '../../src/stores/authStore.js';
import { tokenIsLive } from '../../src/lib/token.js';

const ME = 'me';

function jwt(payload) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.signature`;
}

describe('useAuthStore', () => {
  function storage() {
    const items = new Map();
    return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k), items };
  }

  it('keeps a session whose token is still valid', () => {
    const s = storage();
    const token = jwt({ sub: ME, exp: 2000 });
    s.setItem('pgchat.session', JSON.stringify({ token, user: { id: ME } }));
    expect(loadSession(s, 1000 * 1000)).toMatchObject({ token });
  });

  it('forgets a session whose token expired, or that is corrupt', () => {
    const s = storage();
    s.setItem('pgchat.session', JSON.stringify({ token: jwt({ sub: ME, exp: 1000 }), user: { id: ME } }));
    expect(loadSession(s, 2000 * 1000)).toBeNull();
    expect(s.items.size).toBe(0);
    s.setItem('pgchat.session', '{not json');
    expect(loadSession(s, 0)).toBeNull();
  });

  it('refuses tokens that are not JWTs', () => {
    expect(tokenIsLive('abc')).toBe(false);
    expect(tokenIsLive(`a.${'x'.repeat(5000)}.c`)).toBe(false);
    expect(tokenIsLive(null)).toBe(false);
  });

  it('logout clears the session', () => {
    useAuthStore.getState().setSession(jwt({ sub: ME, exp: Math.floor(Date.now() / 1000) + 3600 }), { id: ME });
    expect(currentUserId()).toBe(ME);
    useAuthStore.getState().logout();
    expect(useAuthStore.getState()).toMatchObject({ token: null, user: null });
    expect(currentUserId()).toBe(null);
  });
});
