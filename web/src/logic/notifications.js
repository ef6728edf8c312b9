// When a received message raises a browser notification, and what it says: only while the tab
// is hidden, only with permission, never for our own messages, a muted chat or a deleted message.
import { isMuted } from './conversations.js';
import { conversationTitle } from './display.js';

export function shouldNotify({ message, conversation, meId, hidden, permission, now = Date.now() }) {
  return Boolean(hidden && permission === 'granted' && message && conversation &&
    message.sender_id !== meId && !message.isDeleted && !isMuted(conversation, now));
}

// {title, body}: the chat (and in a group the sender) and a preview of the content.
export function notificationText(message, conversation, meId) {
  const title = conversationTitle(conversation, meId);
  const sender = conversation.isGroup
    ? (conversation.participants || []).find((p) => p.id === message.sender_id)
    : null;
  const preview = message.content.replace(/\s+/g, ' ').slice(0, 140);
  return { title, body: sender ? `${sender.displayName || sender.username}: ${preview}` : preview };
}
