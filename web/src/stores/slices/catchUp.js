// The catch-up slice: after any (re)connect, the list's first page again (new chats, unread
// counts; older pages come again on scroll), then every message after the newest we hold in each
// loaded conversation; pending sends go out again. It only drives the other slices.
import { api } from '../../api/rest.js';
import { catchUpPlan, fetchAllAfter } from '../../logic/catchUp.js';
import { notify } from './connection.js';
import { PAGE_SIZE } from './messages.js';

const CATCH_UP_PAGE_SIZE = 100;

export function createCatchUpSlice(set, get) {
  async function catchUpConversation(conversationId, from) {
    try {
      // a window opened at a search result stays one (scrolling down or "latest" goes on)
      if (get().history[conversationId] && get().history[conversationId].newer) return;
      const missed = await fetchAllAfter((after, limit) => api.messagesAfter(conversationId, after, limit), from, CATCH_UP_PAGE_SIZE);
      get().mergeInto(conversationId, missed);
      // Edits and deletions are not in the seq stream: the newest page again brings those of
      // recent messages (older ones show after a reload).
      get().mergeInto(conversationId, await api.messagesBefore(conversationId, null, PAGE_SIZE));
    } catch {
      /* the next reconnect tries again */
    }
  }

  return {
    async catchUp() {
      const plan = catchUpPlan(Object.values(get().conversations), get().messages);
      try {
        await get().loadConversations();
      } catch {
        return;
      }
      // blocks made on another device while we were away (blocks_updated is live only)
      get().loadBlocked().catch(() => {});
      if (get().showArchived) get().showArchivedList(true).catch(() => {});
      for (const conversationId of Object.keys(get().history)) {
        if (get().conversations[conversationId]) await catchUpConversation(conversationId, plan[conversationId] || 0);
      }
      const active = get().activeId;
      if (active) {
        notify(get(), 'join_conversation', { conversationId: active });
        get().markRead(active);
      }
      get().resendPending();
    },
  };
}
