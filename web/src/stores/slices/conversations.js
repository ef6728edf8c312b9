// The conversations slice: the chat list (a map by id, loaded a page at a time), which chat is
// open, and the read and delivered marks we send as chats are read. The rules are in
// logic/conversations.js and logic/receipts.js.
import { api } from '../../api/rest.js';
import { currentUserId } from '../authStore.js';
import { conversationAfterUpdate, conversationsAfterPage, listWithout, stillMember, unreadFromOnOpen } from '../../logic/conversations.js';
import { conversationAfterReceipt, deliveredMarksOwed, readMarkOwed } from '../../logic/receipts.js';
import { notify, socketUp } from './connection.js';

export const LIST_PAGE_SIZE = 50;

const initial = {
  conversations: {},
  listLoaded: false,
  listError: null,
  listCursor: null, // the nextCursor of the last page of the list we hold; null: nothing after it
  listLoadingMore: false,
  activeId: null,
  showArchived: false, // the list shows the archived chats instead of the others
  unreadFrom: {}, // conversationId -> our read mark when it was opened: where "N unread" goes
};

export function createConversationsSlice(set, get) {
  // Whatever reached us while we were away is now delivered to this device.
  function markPageDelivered(page) {
    for (const mark of deliveredMarksOwed(page, currentUserId())) notify(get(), 'mark_delivered', mark);
  }

  return {
    ...initial,

    resetConversations() {
      set({ ...initial });
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

    // conversation_updated, or a conversation we created or fetched.
    upsertConversation(conversation) {
      const me = currentUserId();
      // A new chat widens whose presence we may see: ask again (the answer is users_online).
      if (!get().conversations[conversation.id] && get().listLoaded) notify(get(), 'user_online');
      set((s) => {
        if (!stillMember(conversation, me)) return listWithout(s, conversation.id);
        const merged = conversationAfterUpdate(s.conversations[conversation.id], conversation, s.activeId);
        return { conversations: { ...s.conversations, [conversation.id]: merged } };
      });
    },

    // Mute ("8h", "1w", "always", null), archive or pin: every device of ours hears it too
    // (conversation_updated), and the answer is the conversation as it now is.
    async setChatState(conversationId, changes) {
      const conversation = await api.setConversationState(conversationId, changes);
      get().upsertConversation(conversation);
      return conversation;
    },

    // The archived chats are not in the list's pages: they come with the archive's view.
    async showArchivedList(show) {
      set({ showArchived: show });
      if (!show) return;
      const archived = await api.archivedConversations();
      for (const c of archived) get().upsertConversation(c);
    },

    removeConversation(conversationId) {
      set((s) => listWithout(s, conversationId));
    },

    async fetchConversation(conversationId) {
      const conversation = await api.conversation(conversationId);
      get().upsertConversation(conversation);
      return conversation;
    },

    async openConversation(conversationId) {
      const previous = get().activeId;
      if (previous && previous !== conversationId) notify(get(), 'leave_conversation', { conversationId: previous });
      set({ activeId: conversationId });
      if (!conversationId) return;
      notify(get(), 'join_conversation', { conversationId });
      if (!get().conversations[conversationId]) {
        try {
          await get().fetchConversation(conversationId);
        } catch {
          set((s) => (s.activeId === conversationId ? { activeId: null } : {}));
          return;
        }
      }
      const unreadFrom = unreadFromOnOpen(get().conversations[conversationId], currentUserId());
      set((s) => ({ unreadFrom: { ...s.unreadFrom, [conversationId]: unreadFrom } }));
      if (!get().history[conversationId]) await get().loadLatest(conversationId);
      get().markRead(conversationId);
    },

    applyReceipt(receipt) {
      set((s) => {
        const conversation = s.conversations[receipt.conversationId];
        if (!conversation) return {};
        const next = conversationAfterReceipt(conversation, receipt, currentUserId());
        return next === conversation ? {} : { conversations: { ...s.conversations, [conversation.id]: next } };
      });
    },

    // Clears the badge, and sends our read mark (over REST while the socket is down).
    markRead(conversationId) {
      const conversation = get().conversations[conversationId];
      if (!conversation) return;
      if (conversation.unreadCount) {
        set((s) => ({ conversations: { ...s.conversations, [conversationId]: { ...s.conversations[conversationId], unreadCount: 0 } } }));
      }
      const seq = readMarkOwed(conversation, currentUserId());
      if (seq == null) return;
      if (socketUp(get())) notify(get(), 'mark_read', { conversationId, seq });
      else api.markRead(conversationId, seq).catch(() => {});
      get().applyReceipt({ conversationId, userId: currentUserId(), readSeq: seq, deliveredSeq: seq });
    },
  };
}
