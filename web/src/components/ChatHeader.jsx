// Top of the open chat: back (on a phone), who it is, and online / last seen / typing; a group's
// header opens its info; the menu holds our settings of the chat (ChatMenu).
import { useChatStore } from '../stores/chatStore.js';
import { conversationTitle, directPeer } from '../logic/display.js';
import { lastSeenText } from '../lib/format.js';
import Avatar from './Avatar.jsx';
import Icon from './Icon.jsx';
import ChatMenu from './ChatMenu.jsx';

const NO_TYPING = {};

function subtitle(conversation, meId, online, lastSeen, typers) {
  const typingIds = Object.keys(typers);
  const nameOf = (id) => {
    const p = (conversation.participants || []).find((x) => x.id === id);
    return (p && (p.displayName || p.username)) || typers[id] || 'someone';
  };
  if (!conversation.isGroup) {
    const peer = directPeer(conversation, meId);
    if (!peer) return '';
    if (typingIds.length) return 'typing…';
    if (online[peer.id]) return 'online';
    return lastSeenText(lastSeen[peer.id]);
  }
  if (typingIds.length === 1) return `${nameOf(typingIds[0])} is typing…`;
  if (typingIds.length > 1) return 'several people are typing…';
  const names = (conversation.participants || []).map((p) => (p.id === meId ? 'You' : p.displayName || p.username));
  return names.join(', ');
}

export default function ChatHeader({ conversation, meId, onBack, onInfo }) {
  const online = useChatStore((s) => s.online);
  const lastSeen = useChatStore((s) => s.lastSeen);
  const typers = useChatStore((s) => s.typing[conversation.id]) || NO_TYPING;
  const title = conversationTitle(conversation, meId);
  const peer = directPeer(conversation, meId);
  const sub = subtitle(conversation, meId, online, lastSeen, typers);
  const typing = Object.keys(typers).length > 0;
  return (
    <header className="chat-header">
      <button type="button" className="icon-button back-button" onClick={onBack} aria-label="Back to chats"><Icon name="back" /></button>
      <button type="button" className="chat-header-main" onClick={onInfo} disabled={!conversation.isGroup}
        aria-label={conversation.isGroup ? `Group info: ${title}` : title}>
        <Avatar id={peer ? peer.id : conversation.id} name={title} photo={peer && peer.profilePhoto}
          group={conversation.isGroup} size={40} />
        <span className="chat-header-text">
          <span className="chat-title">{title}</span>
          <span className={`chat-subtitle${typing ? ' typing' : ''}`} aria-live="polite" data-testid="chat-subtitle">{sub}</span>
        </span>
      </button>
      <ChatMenu conversation={conversation} meId={meId} />
    </header>
  );
}
