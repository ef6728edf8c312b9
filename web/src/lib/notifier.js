// The browser's notifications: asking for permission (only when the user chooses to), and showing
// one for a received message; a click brings the tab to the front and opens the chat. The opener
// is given by the page that owns navigation (ChatPage).
import { notificationText, shouldNotify } from '../logic/notifications.js';

export function notificationsSupported() {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function notificationPermission() {
  return notificationsSupported() ? window.Notification.permission : 'denied';
}

export async function askNotificationPermission() {
  if (!notificationsSupported()) return 'denied';
  return window.Notification.requestPermission();
}

export function notifyMessage({ message, conversation, meId, onOpen }) {
  const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
  if (!shouldNotify({ message, conversation, meId, hidden, permission: notificationPermission() })) return null;
  const { title, body } = notificationText(message, conversation, meId);
  // one notification per chat: a newer message replaces the older one
  const notification = new window.Notification(title, { body, tag: conversation.id });
  notification.onclick = () => {
    window.focus();
    if (onOpen) onOpen(conversation.id);
    notification.close();
  };
  return notification;
}
