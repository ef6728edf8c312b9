// The messages slice: each open conversation's loaded messages (merged by id, in seq order, see
// logic/messages.js) and its history paging, and what a received or changed message does to the
// list, the chat list, typing and receipts.
import { api } from '../../api/rest.js';
import { currentUserId } from '../authStore.js';
import { conversationAfterMessage } from '../../logic/conversations.js';
import { firstStoredSeq, holdsSeq, lastStoredSeq, mergeMessages, olderExist, withoutSeq } from '../../logic/messages.js';
import { notify } from './connection.js';
import { notifyMessage } from '../../lib/notifier.js';

export const PAGE_SIZE = 50;
// Messages shown on each side of one opened from a search result.
export const AROUND = 25;

const initial = {
  messages: {}, // conversationId -> messages, ascending by seq, pending sends last
  // conversationId -> {loading, error, hasMore, newer}; present once the chat was opened. newer:
  // the list is a window of older messages (opened at a search result), the latest not loaded.
  history: {},
  focus: null, // {conversationId, seq}: the message to bring into view (a search result)
  openChat: null, // (conversationId) => void: what a click on a notification does (ChatPage's)
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

    // Opens a conversation at one message (a search result): the window around it unless it is
    // loaded already. Set before the chat opens, so opening loads no other page.
    async showMessage(conversationId, seq) {
      set({ focus: { conversationId, seq } });
      if (holdsSeq(get().messages[conversationId] || [], seq)) return;
      set((s) => ({ messages: { ...s.messages, [conversationId]: [] } }));
      get().setHistory(conversationId, { loading: true, error: null, hasMore: false, newer: false });
      try {
        const [older, newer] = await Promise.all([
          api.messagesBefore(conversationId, seq + 1, AROUND),
          api.messagesAfter(conversationId, seq, AROUND),
        ]);
        get().mergeInto(conversationId, [...older, ...newer]);
        get().setHistory(conversationId, { loading: false, hasMore: olderExist(older), newer: newer.length > 0 });
      } catch (error) {
        get().setHistory(conversationId, { loading: false, error: error.message });
      }
    },

    focusShown() {
      set({ focus: null });
    },

    setChatOpener(openChat) {
      set({ openChat });
    },

    // Scrolling down a window opened at a search result: the next page after it, until none.
    async loadNewer(conversationId) {
      const history = get().history[conversationId];
      if (!history || history.loading || !history.newer) return;
      get().setHistory(conversationId, { loading: true, error: null });
      try {
        const page = await api.messagesAfter(conversationId, lastStoredSeq(get().messages[conversationId] || []), PAGE_SIZE);
        get().mergeInto(conversationId, page);
        get().setHistory(conversationId, { loading: false, newer: page.length > 0 });
      } catch (error) {
        get().setHistory(conversationId, { loading: false, error: error.message });
      }
    },

    // Back from a window of older messages to the newest page.
    async jumpToLatest(conversationId) {
      set((s) => ({ messages: { ...s.messages, [conversationId]: [] } }));
      get().setHistory(conversationId, { newer: false });
      await loadPage(conversationId, null);
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
      const history = get().history[message.conversationId];
      // a window of older messages shows no new one after a gap; "latest" brings it
      if (history && !history.newer) get().mergeInto(message.conversationId, [message]);
      const reading = isReading(get(), message.conversationId);
      set((s) => {
        const conversation = s.conversations[message.conversationId];
        if (!conversation) return {};
        const next = conversationAfterMessage(conversation, message, me, reading);
        return next === conversation ? {} : { conversations: { ...s.conversations, [conversation.id]: next } };
      });
      if (message.sender_id !== me) {
        notifyMessage({ message, conversation: get().conversations[message.conversationId], meId: me, onOpen: get().openChat });
        get().clearTyping(message.conversationId, message.sender_id);
        if (reading) get().markRead(message.conversationId);
        else notify(get(), 'mark_delivered', { conversationId: message.conversationId, seq: message.seq });
      }
    },

    // message_hidden (delete for me, from any device of ours), or our own hide's answer
    dropHidden(conversationId, seq) {
      set((s) => {
        const current = s.messages[conversationId];
        const next = current ? withoutSeq(current, seq) : current;
        return next === current ? {} : { messages: { ...s.messages, [conversationId]: next } };
      });
    },

    async hideMessage(message) {
      const hidden = await api.hideMessage(message.id);
      get().dropHidden(hidden.conversationId, hidden.seq);
    },

    // Forwards a message to up to 5 chats; each copy stored is ours, shown at once (its
    // message_received follows). Answers the per-chat results, errors included.
    async forwardMessage(message, conversationIds) {
      const answer = await api.forwardMessage(message.id, conversationIds);
      for (const result of answer.results) if (result.message) await get().receiveMessage(result.message);
      return answer.results;
    },

    // Our reaction (null removes it); the answer carries every member's, as message_reactions will.
    async react(message, emoji) {
      get().updateMessage(await api.react(message.id, emoji));
    },

    // message_updated / message_deleted / message_reactions, or the ack of our own edit or delete.
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
