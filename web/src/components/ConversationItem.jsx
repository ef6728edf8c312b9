// One row of the conversation list: avatar with online dot, name, time, last-message preview
// (or who is typing), muted and pinned marks and the unread badge (grey when muted).
import { memo } from 'react';
import { conversationTitle, directPeer } from '../logic/display.js';
import { messageStatus } from '../logic/receipts.js';
import { listTime } from '../lib/format.js';
import Avatar from './Avatar.jsx';
import Ticks from './Ticks.jsx';
import Icon from './Icon.jsx';
import { isMuted } from '../logic/conversations.js';
import { previewLabel, showsCaption } from '../logic/attachments.js';

function preview(message) {
  if (!message) return '';
  if (message.isDeleted) return 'This message was deleted';
  const files = previewLabel(message);
  if (files) return showsCaption(message) ? `${files}: ${message.content.replace(/\s+/g, ' ').slice(0, 100)}` : files;
  return message.content.replace(/\s+/g, ' ').slice(0, 120);
}

function typingText(conversation, typingNames) {
  if (!typingNames.length) return '';
  if (!conversation.isGroup) return 'typing…';
  return typingNames.length === 1 ? `${typingNames[0]} is typing…` : 'several people are typing…';
}

function ConversationItem({ conversation, meId, active, online, typingNames, onOpen }) {
  const title = conversationTitle(conversation, meId);
  const peer = directPeer(conversation, meId);
  const last = conversation.lastMessage;
  const mine = last && last.sender_id === meId;
  const sender = last && conversation.isGroup && !mine
    ? (conversation.participants || []).find((p) => p.id === last.sender_id)
    : null;
  const typing = typingText(conversation, typingNames);
  const unread = conversation.unreadCount || 0;
  const muted = isMuted(conversation);
  const label = [title, conversation.pinned ? 'pinned' : '', muted ? 'muted' : '', unread ? `${unread} unread` : '', typing || (last ? `last message: ${preview(last)}` : 'no messages yet')]
    .filter(Boolean).join(', ');
  return (
    <li>
      <button type="button" className={`conversation-item${active ? ' active' : ''}`} onClick={() => onOpen(conversation.id)}
        aria-current={active ? 'true' : undefined} aria-label={label} data-conversation-id={conversation.id}>
        <Avatar id={peer ? peer.id : conversation.id} name={title} photo={peer && peer.profilePhoto}
          online={Boolean(peer && online)} group={conversation.isGroup} size={48} />
        <span className="conversation-text">
          <span className="conversation-top">
            <span className="conversation-name">{title}</span>
            <span className={`conversation-time${unread ? ' unread' : ''}`}>{listTime(last ? last.created_at : conversation.updatedAt)}</span>
          </span>
          <span className="conversation-bottom">
            {typing ? (
              <span className="conversation-preview typing">{typing}</span>
            ) : (
              <span className="conversation-preview">
                {mine && <Ticks status={messageStatus(last, conversation, meId)} />}
                {sender && <span className="preview-sender">{sender.displayName || sender.username}: </span>}
                {preview(last)}
              </span>
            )}
            {muted && <span className="state-mark" data-testid="muted-mark" title="Muted"><Icon name="muted" size={16} /></span>}
            {conversation.pinned && <span className="state-mark" data-testid="pinned-mark" title="Pinned"><Icon name="pin" size={16} /></span>}
            {unread > 0 && <span className={`unread-badge${muted ? ' muted' : ''}`} data-testid="unread-badge">{unread > 999 ? '999+' : unread}</span>}
          </span>
        </span>
      </button>
    </li>
  );
}

export default memo(ConversationItem);
