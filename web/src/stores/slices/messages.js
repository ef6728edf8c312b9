// The messages slice: each open conversation's loaded messages (merged by id, in seq order, see
// logic/messages.js) and its history paging, and what a received or changed message does to the
// list, the chat list, typing and receipts.
import { api } from '../../api/rest.js';
import { currentUserId } from '../authStore.js';
import { conversationAfterMessage } from '../../logic/conversations.js';
import { firstStoredSeq, mergeMessages, olderExist } from '../../logic/messages.js';
import { notify } from './connection.js';

export const PAGE_SIZE = 50;

const initial = {
  messages: {}, // conversationId -> messages, ascending by seq, pending sends last
  history: {}, // conversationId -> {loading, error, hasMore}; present once the chat was opened
};

// Whether the user sees this conversation now (open, and the tab in front).
function isReading(state, conversationId) {
  const visible = typeof document === 'undefined' || document.visibilityState !== 'hidden';
  return state.activeId === conversationId && visible;
}

export function createMessagesSlice(set, get) {
  // One page of history before `before` (null: the newest page).
  async function loadPage(conversationId, before) {
    get().setHistory(conversationId, { loading: true, error: null });
    try {
      const page = await api.messagesBefore(conversationId, before, PAGE_SIZE);
      get().mergeInto(conversationId, page);
      get().setHistory(conversationId, { loading: false, hasMore: olderExist(page) });
    } catch (error) {
      get().setHistory(conversationId, { loading: false, error: error.message });
    }
  }

  return {
    ...initial,

    resetMessages() {
      set({ ...initial });
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

    loadLatest(conversationId) {
      return loadPage(conversationId, null);
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
      await loadPage(conversationId, before);
    },

    // message_received, a send's ack, or a catch-up page.
    async receiveMessage(message) {
      const me = currentUserId();
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
        else notify(get(), 'mark_delivered', { conversationId: message.conversationId, seq: message.seq });
      }
    },

    // message_updated / message_deleted, or the ack of our own edit or delete.
    updateMessage(message) {
      if (get().history[message.conversationId]) get().mergeInto(message.conversationId, [message]);
      set((s) => {
        const conversation = s.conversations[message.conversationId];
        if (!conversation || !conversation.lastMessage || conversation.lastMessage.id !== message.id) return {};
        const next = conversationAfterMessage(conversation, message, currentUserId(), true);
        return { conversations: { ...s.conversations, [conversation.id]: next } };
      });
    },
  };
}
