// The outbox slice: our sends, edits and deletes. A send shows at once as a pending message (see
// logic/outbox.js), goes over the socket, or over REST while the socket is down, and stays pending
// through timeouts and lost connections until the next connect sends it again (same clientId, so
// the server stores it once); an error a retry can't fix marks it failed.
import { api } from '../../api/rest.js';
import { uuid } from '../../lib/uuid.js';
import { currentUserId } from '../authStore.js';
import { ackError, isFinalAckError, isFinalRestError, pendingMessage, pendingSends, withoutPending } from '../../logic/outbox.js';
import { emitWithAck, socketUp } from './connection.js';

export function createOutboxSlice(set, get) {
  // clientIds being sent, so a reconnect doesn't send one twice at once. Not cleared on reset:
  // each entry goes when its send settles.
  const inFlight = new Set();

  async function deliverBySocket(pending) {
    const payload = { conversationId: pending.conversationId, content: pending.content, clientId: pending.clientId };
    if (pending.replyTo) payload.replyTo = pending.replyTo;
    if (pending.attachments) payload.attachments = pending.attachments.map((a) => a.id);
    let ack;
    try {
      ack = await emitWithAck(get(), 'send_message', payload);
    } catch {
      return null;
    }
    const error = ackError(ack);
    if (isFinalAckError(error)) get().markFailed(pending, error.message);
    return error ? null : ack;
  }

  async function deliverByRest(pending) {
    try {
      return await api.sendMessage(pending.conversationId, pending.content, pending.clientId, pending.replyTo,
        pending.attachments && pending.attachments.map((a) => a.id));
    } catch (error) {
      if (isFinalRestError(error)) get().markFailed(pending, error.message);
      return null;
    }
  }

  // Edits and deletes go over the socket when it is up, else REST; both answer the stored message.
  async function change(socketEvent, payload, overRest) {
    const stored = socketUp(get()) ? await emitWithAck(get(), socketEvent, payload) : await overRest();
    const error = ackError(stored);
    if (error) throw new Error(error.message);
    if (stored && stored.id) get().updateMessage(stored);
    return stored;
  }

  return {
    // attachments: finished uploads ({id, name, type, size, hasThumbnail}) the message carries
    sendMessage(conversationId, content, replyTo, attachments) {
      const pending = pendingMessage({ clientId: uuid(), conversationId, senderId: currentUserId(), content, replyTo, attachments, now: Date.now() });
      get().mergeInto(conversationId, [pending]);
      get().deliver(pending);
      return pending;
    },

    // Sends one pending message; the stored copy it answers replaces the pending one.
    async deliver(pending) {
      if (inFlight.has(pending.clientId)) return;
      inFlight.add(pending.clientId);
      try {
        const stored = socketUp(get()) ? await deliverBySocket(pending) : await deliverByRest(pending);
        if (stored && stored.id) await get().receiveMessage(stored);
      } finally {
        inFlight.delete(pending.clientId);
      }
    },

    markFailed(pending, message) {
      get().mergeInto(pending.conversationId, [{ ...pending, failed: true, error: message }]);
    },

    resendPending() {
      for (const m of pendingSends(get().messages)) get().deliver(m);
    },

    retry(message) {
      const again = { ...message, failed: false, error: undefined };
      get().mergeInto(message.conversationId, [again]);
      get().deliver(again);
    },

    discard(message) {
      set((s) => ({
        messages: { ...s.messages, [message.conversationId]: withoutPending(s.messages[message.conversationId] || [], message.clientId) },
      }));
    },

    editMessage(message, content) {
      return change('edit_message', { messageId: message.id, content }, () => api.editMessage(message.id, content));
    },

    deleteMessage(message) {
      return change('delete_message', { messageId: message.id }, () => api.deleteMessage(message.id));
    },
  };
}
