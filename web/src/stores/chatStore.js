// useChatStore: the signed-in user's chats, as one Zustand store made of slices, one file each
// under slices/: connection (banner state and the socket transport), conversations (the list,
// the open chat, read marks), messages (loaded history and live messages), outbox (our sends,
// edits and deletes), presence (online, last seen, typing), people (contacts and blocked users),
// attachments (uploads in progress) and catch-up (after a reconnect). The
// rules they apply are pure functions in logic/. Nothing lives outside the store: reset (on
// logout) returns every slice to its start and drops its timers.
import { create } from 'zustand';
import { createConnectionSlice } from './slices/connection.js';
import { createConversationsSlice } from './slices/conversations.js';
import { createMessagesSlice } from './slices/messages.js';
import { createOutboxSlice } from './slices/outbox.js';
import { createPresenceSlice } from './slices/presence.js';
import { createCatchUpSlice } from './slices/catchUp.js';
import { createPeopleSlice } from './slices/people.js';
import { createAttachmentsSlice } from './slices/attachments.js';

export const useChatStore = create((set, get) => ({
  ...createConnectionSlice(set, get),
  ...createConversationsSlice(set, get),
  ...createMessagesSlice(set, get),
  ...createOutboxSlice(set, get),
  ...createPresenceSlice(set, get),
  ...createCatchUpSlice(set, get),
  ...createPeopleSlice(set, get),
  ...createAttachmentsSlice(set, get),

  reset() {
    const store = get();
    store.resetConnection();
    store.resetConversations();
    store.resetMessages();
    store.resetPresence();
    store.resetPeople();
    store.resetAttachments();
  },
}));
