// The presence slice: who is online (and when others were last seen), who is typing in which
// chat, and our own typing notices. A typer is dropped when their stop_typing, their message or
// TYPING_TTL_MS of silence comes first; the timers are this slice's own and go on reset.
import { currentUserId } from '../authStore.js';
import { onlineFrom, presenceAfter, typingWith, typingWithout } from '../../logic/presence.js';
import { notify } from './connection.js';

const TYPING_TTL_MS = 6000;

const initial = {
  typing: {},
  online: {},
  lastSeen: {},
};

export function createPresenceSlice(set, get) {
  const typingTimers = new Map(); // `${conversationId}:${userId}` -> the timer that drops the typer

  function stopTimer(key) {
    clearTimeout(typingTimers.get(key));
    typingTimers.delete(key);
  }

  return {
    ...initial,

    resetPresence() {
      for (const timer of typingTimers.values()) clearTimeout(timer);
      typingTimers.clear();
      set({ ...initial });
    },

    setTyping(conversationId, userId, username) {
      if (userId === currentUserId()) return;
      const key = `${conversationId}:${userId}`;
      stopTimer(key);
      typingTimers.set(key, setTimeout(() => get().clearTyping(conversationId, userId), TYPING_TTL_MS));
      set((s) => ({ typing: typingWith(s.typing, conversationId, userId, username) }));
    },

    clearTyping(conversationId, userId) {
      stopTimer(`${conversationId}:${userId}`);
      set((s) => {
        const typing = typingWithout(s.typing, conversationId, userId);
        return typing === s.typing ? {} : { typing };
      });
    },

    setOnline(userIds) {
      set({ online: onlineFrom(userIds) });
    },

    applyPresence(event) {
      set((s) => presenceAfter(s, event));
    },

    startTyping(conversationId) {
      notify(get(), 'typing', { conversationId });
    },

    stopTyping(conversationId) {
      notify(get(), 'stop_typing', { conversationId });
    },
  };
}
