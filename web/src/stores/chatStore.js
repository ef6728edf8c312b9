// useChatStore: conversations, messages, typing, presence and the connection state. Network calls
// go through the REST api and a transport (the Socket.IO connection, set by api/socket.js); the
// rules themselves live in chatLogic.js.
import { create } from 'zustand';
import { api } from '../api/rest.js';
import { uuid } from '../lib/uuid.js';
import { useAuthStore } from './authStore.js';
import {
  catchUpPlan,
  conversationAfterMessage,
  conversationsAfterPage,
  conversationAfterReceipt,
  fetchAllAfter,
  firstStoredSeq,
  olderExist,
  mergeMessages,
} from './chatLogic.js';

export const PAGE_SIZE = 50;
export const LIST_PAGE_SIZE = 50;
export const MAX_CONTENT = 65536;
const TYPING_TTL_MS = 6000;
const ACK_TIMEOUT_MS = 10000;

// Errors a retry can't fix: the send is marked failed instead of waiting for a reconnect.
const FINAL_ERROR_CODES = new Set(['400', '403', '404', '413', '22023', '22001', '23514', '22P02', '42501', 'P0002', '54000', 'bad_request', 'forbidden', 'not_found', 'payload_too_large']);

let transport = null; // {connected(): bool, emit(event, payload, timeoutMs): Promise<ack>}
const typingTimers = new Map();
const inFlight = new Set(); // clientIds being sent, so a reconnect doesn't send one twice at once

export function setTransport(next) {
  transport = next;
}

function meId() {
  const user = useAuthStore.getState().user;
  return user ? user.id : null;
}

function isReading(state, conversationId) {
  const visible = typeof document === 'undefined' || document.visibilityState !== 'hidden';
  return state.activeId === conversationId && visible;
}

// Fire-and-forget socket events (receipts, typing): lost ones are made good by the next one.
function notify(event, payload) {
  if (socketUp()) transport.emit(event, payload, ACK_TIMEOUT_MS).catch(() => {});
}

// Whatever reached us while we were away is now delivered to this device.
function markPageDelivered(conversations) {
  const me = meId();
  for (const c of conversations) {
    const mine = (c.participants || []).find((p) => p.id === me);
    if (mine && c.lastSeq > (mine.lastDeliveredSeq || 0)) notify('mark_delivered', { conversationId: c.id, seq: c.lastSeq });
  }
}

function socketUp() {
  return Boolean(transport && transport.connected());
}

// An ApiError a retry can't fix (bad input, not allowed, gone, too large).
function isFinal(error) {
  return [400, 403, 404, 413].includes(error.status);
}

function ackError(ack) {
  return ack && typeof ack === 'object' && ack.error ? ack.error : null;
}

const EMPTY = {
  conversations: {},
  listLoaded: false,
  listError: null,
  listCursor: null, // the nextCursor of the last page of the list we hold; null: nothing after it
  listLoadingMore: false,
  messages: {},
  history: {},
  activeId: null,
  unreadFrom: {}, // conversationId -> our read mark when it was opened: where "N unread" goes
  typing: {},
  online: {},
  lastSeen: {},
  connection: 'connecting',
  everConnected: false,
};

export const useChatStore = create((set, get) => ({
  ...EMPTY,

  reset() {
    for (const timer of typingTimers.values()) clearTimeout(timer);
    typingTimers.clear();
    set({ ...EMPTY });
  },

  setConnection(connection) {
    set((s) => ({ connection, everConnected: s.everConnected || connection === 'connected' }));
  },

  // The first page of the list (on start and after every reconnect); older pages come with
  // loadMoreConversations as the list is scrolled.
  async loadConversations() {
    let page;
    try {
      page = await api.conversationPage(null, LIST_PAGE_SIZE);
    } catch (error) {
      set({ listError: error.message });
      throw error;
    }
    set((s) => ({
      conversations: conversationsAfterPage(s.conversations, page.conversations, { first: true, activeId: s.activeId }),
      listLoaded: true,
      listError: null,
      listCursor: page.nextCursor,
      listLoadingMore: false,
    }));
    markPageDelivered(page.conversations);
    return page.conversations;
  },

  // The next page after the last one held; one at a time, and dropped if the list was loaded
  // afresh meanwhile (its cursor belongs to a list we no longer hold).
  async loadMoreConversations() {
    const { listCursor, listLoadingMore, listLoaded } = get();
    if (!listLoaded || !listCursor || listLoadingMore) return;
    set({ listLoadingMore: true });
    let page;
    try {
      page = await api.conversationPage(listCursor, LIST_PAGE_SIZE);
    } catch (error) {
      set((s) => (s.listCursor === listCursor ? { listLoadingMore: false, listError: error.message } : {}));
      return;
    }
    if (get().listCursor !== listCursor) return;
    set((s) => ({
      conversations: conversationsAfterPage(s.conversations, page.conversations, { first: false, activeId: s.activeId }),
      listCursor: page.nextCursor,
      listLoadingMore: false,
      listError: null,
    }));
    markPageDelivered(page.conversations);
  },

  // conversation_updated, or a conversation we created or fetched: keeps what the event may lack.
  upsertConversation(conversation) {
    const me = meId();
    // A new chat widens whose presence we may see: ask again (the answer is users_online).
    if (!get().conversations[conversation.id] && get().listLoaded) notify('user_online');
    set((s) => {
      const known = s.conversations[conversation.id];
      const stillMember = !conversation.participants || conversation.participants.some((p) => p.id === me);
      if (!stillMember) {
        const conversations = { ...s.conversations };
        delete conversations[conversation.id];
        return { conversations, activeId: s.activeId === conversation.id ? null : s.activeId };
      }
      const merged = { ...(known || {}), ...conversation };
      if (known) {
        if (conversation.unreadCount === undefined) merged.unreadCount = known.unreadCount;
        if (conversation.myRole === undefined) merged.myRole = known.myRole;
        if ((known.lastSeq || 0) > (conversation.lastSeq || 0)) {
          merged.lastSeq = known.lastSeq;
          merged.lastMessage = known.lastMessage;
        }
      }
      if (merged.unreadCount === undefined) merged.unreadCount = 0;
      if (s.activeId === conversation.id) merged.unreadCount = 0;
      return { conversations: { ...s.conversations, [conversation.id]: merged } };
    });
  },

  removeConversation(conversationId) {
    set((s) => {
      const conversations = { ...s.conversations };
      delete conversations[conversationId];
      return { conversations, activeId: s.activeId === conversationId ? null : s.activeId };
    });
  },

  async fetchConversation(conversationId) {
    const conversation = await api.conversation(conversationId);
    get().upsertConversation(conversation);
    return conversation;
  },

  async openConversation(conversationId) {
    const previous = get().activeId;
    if (previous && previous !== conversationId) notify('leave_conversation', { conversationId: previous });
    set({ activeId: conversationId });
    if (!conversationId) return;
    notify('join_conversation', { conversationId });
    if (!get().conversations[conversationId]) {
      try {
        await get().fetchConversation(conversationId);
      } catch {
        set((s) => (s.activeId === conversationId ? { activeId: null } : {}));
        return;
      }
    }
    const opened = get().conversations[conversationId];
    const mine = opened && (opened.participants || []).find((p) => p.id === meId());
    const unreadFrom = opened && opened.unreadCount && mine ? mine.lastReadSeq || 0 : null;
    set((s) => ({ unreadFrom: { ...s.unreadFrom, [conversationId]: unreadFrom } }));
    if (!get().history[conversationId]) await get().loadLatest(conversationId);
    get().markRead(conversationId);
  },

  setHistory(conversationId, changes) {
    set((s) => ({ history: { ...s.history, [conversationId]: { ...(s.history[conversationId] || {}), ...changes } } }));
  },

  mergeInto(conversationId, incoming) {
    set((s) => {
      const current = s.messages[conversationId] || [];
      const merged = mergeMessages(current, incoming);
      return merged === current && s.messages[conversationId] ? {} : { messages: { ...s.messages, [conversationId]: merged } };
    });
  },

  async loadLatest(conversationId) {
    get().setHistory(conversationId, { loading: true, error: null });
    try {
      const page = await api.messagesBefore(conversationId, null, PAGE_SIZE);
      get().mergeInto(conversationId, page);
      get().setHistory(conversationId, { loading: false, hasMore: olderExist(page) });
    } catch (error) {
      get().setHistory(conversationId, { loading: false, error: error.message });
    }
  },

  // Infinite scroll: the page before the oldest message we hold.
  async loadOlder(conversationId) {
    const history = get().history[conversationId];
    if (!history || history.loading || !history.hasMore) return;
    const before = firstStoredSeq(get().messages[conversationId] || []);
    if (before == null || before <= 1) {
      get().setHistory(conversationId, { hasMore: false });
      return;
    }
    get().setHistory(conversationId, { loading: true, error: null });
    try {
      const page = await api.messagesBefore(conversationId, before, PAGE_SIZE);
      get().mergeInto(conversationId, page);
      get().setHistory(conversationId, { loading: false, hasMore: olderExist(page) });
    } catch (error) {
      get().setHistory(conversationId, { loading: false, error: error.message });
    }
  },

  // message_received, a send's ack, or a catch-up page.
  async receiveMessage(message) {
    const me = meId();
    if (!get().conversations[message.conversationId]) {
      try {
        await get().fetchConversation(message.conversationId);
      } catch {
        return;
      }
    }
    if (get().history[message.conversationId]) get().mergeInto(message.conversationId, [message]);
    const reading = isReading(get(), message.conversationId);
    set((s) => {
      const conversation = s.conversations[message.conversationId];
      if (!conversation) return {};
      const next = conversationAfterMessage(conversation, message, me, reading);
      return next === conversation ? {} : { conversations: { ...s.conversations, [conversation.id]: next } };
    });
    if (message.sender_id !== me) {
      get().clearTyping(message.conversationId, message.sender_id);
      if (reading) get().markRead(message.conversationId);
      else notify('mark_delivered', { conversationId: message.conversationId, seq: message.seq });
    }
  },

  // message_updated / message_deleted, or the ack of our own edit or delete.
  updateMessage(message) {
    if (get().history[message.conversationId]) get().mergeInto(message.conversationId, [message]);
    set((s) => {
      const conversation = s.conversations[message.conversationId];
      if (!conversation || !conversation.lastMessage || conversation.lastMessage.id !== message.id) return {};
      const next = conversationAfterMessage(conversation, message, meId(), true);
      return { conversations: { ...s.conversations, [conversation.id]: next } };
    });
  },

  applyReceipt(receipt) {
    set((s) => {
      const conversation = s.conversations[receipt.conversationId];
      if (!conversation) return {};
      const next = conversationAfterReceipt(conversation, receipt, meId());
      return next === conversation ? {} : { conversations: { ...s.conversations, [conversation.id]: next } };
    });
  },

  markRead(conversationId) {
    const me = meId();
    const conversation = get().conversations[conversationId];
    if (!conversation) return;
    const seq = conversation.lastSeq || 0;
    const mine = (conversation.participants || []).find((p) => p.id === me);
    if (conversation.unreadCount) {
      set((s) => ({ conversations: { ...s.conversations, [conversationId]: { ...s.conversations[conversationId], unreadCount: 0 } } }));
    }
    if (seq > 0 && (!mine || (mine.lastReadSeq || 0) < seq)) {
      if (socketUp()) notify('mark_read', { conversationId, seq });
      else api.markRead(conversationId, seq).catch(() => {});
      get().applyReceipt({ conversationId, userId: me, readSeq: seq, deliveredSeq: seq });
    }
  },

  sendMessage(conversationId, content, replyTo) {
    const clientId = uuid();
    const now = new Date().toISOString();
    const pending = {
      id: `local-${clientId}`,
      clientId,
      conversationId,
      sender_id: meId(),
      content,
      replyTo: replyTo || null,
      seq: null,
      isEdited: false,
      isDeleted: false,
      created_at: now,
      updatedAt: now,
      localTime: Date.now(),
      failed: false,
    };
    get().mergeInto(conversationId, [pending]);
    get().deliver(pending);
    return pending;
  },

  // Sends one pending message over the socket, or over REST while the socket is down. On a
  // timeout or a lost connection it stays pending and is sent again (same clientId, so the
  // server stores it once) after the next connect.
  async deliver(pending) {
    if (inFlight.has(pending.clientId)) return;
    inFlight.add(pending.clientId);
    try {
      const stored = socketUp() ? await get().deliverBySocket(pending) : await get().deliverByRest(pending);
      if (stored && stored.id) await get().receiveMessage(stored);
    } finally {
      inFlight.delete(pending.clientId);
    }
  },

  async deliverBySocket(pending) {
    const payload = { conversationId: pending.conversationId, content: pending.content, clientId: pending.clientId };
    if (pending.replyTo) payload.replyTo = pending.replyTo;
    let ack;
    try {
      ack = await transport.emit('send_message', payload, ACK_TIMEOUT_MS);
    } catch {
      return null;
    }
    const error = ackError(ack);
    if (error && FINAL_ERROR_CODES.has(String(error.code))) get().markFailed(pending, error.message);
    return error ? null : ack;
  },

  async deliverByRest(pending) {
    try {
      return await api.sendMessage(pending.conversationId, pending.content, pending.clientId, pending.replyTo);
    } catch (error) {
      if (isFinal(error)) get().markFailed(pending, error.message);
      return null;
    }
  },

  markFailed(pending, message) {
    get().mergeInto(pending.conversationId, [{ ...pending, failed: true, error: message }]);
  },

  resendPending() {
    for (const list of Object.values(get().messages)) {
      for (const m of list) if (m.seq == null && !m.failed) get().deliver(m);
    }
  },

  retry(message) {
    const again = { ...message, failed: false, error: undefined };
    get().mergeInto(message.conversationId, [again]);
    get().deliver(again);
  },

  discard(message) {
    set((s) => {
      const list = (s.messages[message.conversationId] || []).filter((m) => m.clientId !== message.clientId || m.seq != null);
      return { messages: { ...s.messages, [message.conversationId]: list } };
    });
  },

  // Edits and deletes go over the socket when it is up, else REST; both answer the stored message.
  async editMessage(message, content) {
    const stored = socketUp()
      ? await transport.emit('edit_message', { messageId: message.id, content }, ACK_TIMEOUT_MS)
      : await api.editMessage(message.id, content);
    const error = ackError(stored);
    if (error) throw new Error(error.message);
    if (stored && stored.id) get().updateMessage(stored);
    return stored;
  },

  async deleteMessage(message) {
    const stored = socketUp()
      ? await transport.emit('delete_message', { messageId: message.id }, ACK_TIMEOUT_MS)
      : await api.deleteMessage(message.id);
    const error = ackError(stored);
    if (error) throw new Error(error.message);
    if (stored && stored.id) get().updateMessage(stored);
    return stored;
  },

  // After any (re)connect: the list's first page again (new chats, unread counts; older pages
  // come again on scroll), then every message after the newest we hold in each loaded
  // conversation; pending sends go out again.
  async catchUp() {
    const plan = catchUpPlan(Object.values(get().conversations), get().messages);
    try {
      await get().loadConversations();
    } catch {
      return;
    }
    for (const conversationId of Object.keys(get().history)) {
      if (!get().conversations[conversationId]) continue;
      const from = plan[conversationId] || 0;
      try {
        const missed = await fetchAllAfter((after, limit) => api.messagesAfter(conversationId, after, limit), from, 100);
        get().mergeInto(conversationId, missed);
        // Edits and deletions are not in the seq stream: the newest page again brings those of
        // recent messages (older ones show after a reload).
        get().mergeInto(conversationId, await api.messagesBefore(conversationId, null, PAGE_SIZE));
      } catch {
        /* the next reconnect tries again */
      }
    }
    const active = get().activeId;
    if (active) {
      notify('join_conversation', { conversationId: active });
      get().markRead(active);
    }
    get().resendPending();
  },

  setTyping(conversationId, userId, username) {
    if (userId === meId()) return;
    const key = `${conversationId}:${userId}`;
    clearTimeout(typingTimers.get(key));
    typingTimers.set(key, setTimeout(() => get().clearTyping(conversationId, userId), TYPING_TTL_MS));
    set((s) => ({ typing: { ...s.typing, [conversationId]: { ...(s.typing[conversationId] || {}), [userId]: username || '' } } }));
  },

  clearTyping(conversationId, userId) {
    const key = `${conversationId}:${userId}`;
    clearTimeout(typingTimers.get(key));
    typingTimers.delete(key);
    set((s) => {
      const current = s.typing[conversationId];
      if (!current || !(userId in current)) return {};
      const next = { ...current };
      delete next[userId];
      return { typing: { ...s.typing, [conversationId]: next } };
    });
  },

  setOnline(userIds) {
    const online = {};
    for (const id of userIds || []) online[id] = true;
    set({ online });
  },

  applyPresence({ userId, online, lastSeen }) {
    set((s) => {
      const nextOnline = { ...s.online };
      if (online) nextOnline[userId] = true;
      else delete nextOnline[userId];
      return { online: nextOnline, lastSeen: lastSeen ? { ...s.lastSeen, [userId]: lastSeen } : s.lastSeen };
    });
  },

  startTyping(conversationId) {
    notify('typing', { conversationId });
  },

  stopTyping(conversationId) {
    notify('stop_typing', { conversationId });
  },
}));
