// useAuthStore: who is signed in. The session (token and user) is kept in localStorage so a reload
// keeps it until the token expires; logout forgets it and ends it on the server.
import { create } from 'zustand';
import { api } from '../api/rest.js';
import { tokenIsLive } from '../lib/token.js';

const SESSION_KEY = 'pgchat.session';

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}

const storage = typeof localStorage !== 'undefined' ? localStorage : memoryStorage();

export function loadSession(store = storage, now = Date.now()) {
  try {
    const saved = JSON.parse(store.getItem(SESSION_KEY) || 'null');
    if (saved && tokenIsLive(saved.token, now) && saved.user && saved.user.id) return saved;
  } catch {
    /* a corrupt entry is the same as none */
  }
  store.removeItem(SESSION_KEY);
  return null;
}

function saveSession(token, user) {
  if (token) storage.setItem(SESSION_KEY, JSON.stringify({ token, user }));
  else storage.removeItem(SESSION_KEY);
}

const initial = loadSession();

export const useAuthStore = create((set, get) => ({
  token: initial ? initial.token : null,
  user: initial ? initial.user : null,

  // Both resolve to the session or throw the server's ApiError for the form to show.
  async login(login, password) {
    const session = await api.login(login, password);
    get().setSession(session.token, session.user);
    return session;
  },

  async register(fields) {
    const session = await api.register(fields);
    get().setSession(session.token, session.user);
    return session;
  },

  setSession(token, user) {
    saveSession(token, user);
    set({ token, user });
  },

  setUser(user) {
    const { token } = get();
    saveSession(token, user);
    set({ user });
  },

  async updateProfile(changes) {
    const me = await api.updateMe(changes);
    get().setUser(me);
    return me;
  },

  // Who sees our last seen: 'everyone', 'contacts' or 'nobody' (the server answers the account).
  async setLastSeenPrivacy(lastSeen) {
    const me = await api.setPrivacy({ lastSeen });
    get().setUser(me);
    return me;
  },

  async refreshMe() {
    const me = await api.me();
    get().setUser(me);
    return me;
  },

  // Forgets the session here and takes its token back on the server (and so closes its sockets).
  logout() {
    const { token } = get();
    saveSession(null, null);
    set({ token: null, user: null });
    if (token) api.endSession(token);
  },
}));

// The signed-in user's id (null when signed out), for the chat store's rules about "mine".
export function currentUserId() {
  const { user } = useAuthStore.getState();
  return user ? user.id : null;
}
