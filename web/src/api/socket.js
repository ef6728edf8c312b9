// The Socket.IO connection of a signed-in user: connects with {token} in the auth payload, feeds
// server events into useChatStore, and after every (re)connect catches up what it missed.
// The browser's offline/online events drop and restore it at once instead of waiting for a ping
// timeout, so the banner and the catch-up follow the network.
import { io } from 'socket.io-client';
import { useChatStore } from '../stores/chatStore.js';
import { useAuthStore } from '../stores/authStore.js';

let socket = null;
let onOffline = null;
let onOnline = null;

function store() {
  return useChatStore.getState();
}

function bindEvents(s) {
  s.on('connect', () => {
    store().setConnection('connected');
    s.emit('user_online');
    store().catchUp();
  });
  s.on('disconnect', (reason) => {
    store().setConnection(navigator.onLine === false ? 'offline' : 'connecting');
    // A disconnect the server chose is not retried by socket.io itself.
    if (reason === 'io server disconnect' && useAuthStore.getState().token) s.connect();
  });
  s.on('connect_error', (error) => {
    const message = String((error && error.message) || '');
    store().setConnection(navigator.onLine === false ? 'offline' : 'connecting');
    if (s.active) return; // a network failure: socket.io retries by itself
    // The server refused the CONNECT: a bad or expired token ends the session, anything else is retried.
    const code = error && error.data && error.data.code;
    if (code === 'unauthorized' || (!code && /token|auth|expired|unauthor/i.test(message))) useAuthStore.getState().logout();
    else setTimeout(() => { if (socket === s && !s.connected) s.connect(); }, 3000);
  });
  // The server ended this session (logout elsewhere, password change, expiry): back to the login.
  s.on('session_ended', () => useAuthStore.getState().logout());
  s.on('message_received', (m) => store().receiveMessage(m));
  s.on('message_updated', (m) => store().updateMessage(m));
  s.on('message_deleted', (m) => store().updateMessage(m));
  s.on('message_reactions', (m) => store().updateMessage(m));
  s.on('message_hidden', (h) => store().dropHidden(h.conversationId, h.seq));
  s.on('blocks_updated', (b) => store().setBlocked(b.blocked));
  s.on('conversation_updated', (c) => store().upsertConversation(c));
  s.on('receipt', (r) => store().applyReceipt(r));
  s.on('user_typing', (t) => store().setTyping(t.conversationId, t.userId, t.username));
  s.on('user_stop_typing', (t) => store().clearTyping(t.conversationId, t.userId));
  s.on('users_online', (ids) => store().setOnline(ids));
  s.on('presence', (p) => store().applyPresence(p));
}

export function connectSocket(token) {
  disconnectSocket();
  store().setConnection('connecting');
  socket = io({ path: '/socket.io/', auth: { token }, reconnectionDelayMax: 5000 });
  bindEvents(socket);
  const current = socket;
  store().setTransport({
    connected: () => current.connected,
    emit: (event, payload, timeoutMs) => current.timeout(timeoutMs).emitWithAck(event, payload),
  });
  onOffline = () => {
    store().setConnection('offline');
    current.disconnect();
  };
  onOnline = () => {
    if (!current.connected) current.connect();
  };
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
}

export function disconnectSocket() {
  if (onOffline) window.removeEventListener('offline', onOffline);
  if (onOnline) window.removeEventListener('online', onOnline);
  onOffline = onOnline = null;
  store().setTransport(null);
  if (socket) {
    socket.removeAllListeners();
    socket.disconnect();
    socket = null;
  }
}
