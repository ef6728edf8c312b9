// The open chat's own settings, each ours alone and on every device of ours: pin (at most 3),
// mute for 8 hours, a week or always, archive; and in a direct chat, block or unblock the other.
import { useState } from 'react';
import { useChatStore } from '../stores/chatStore.js';
import { canPin, isMuted } from '../logic/conversations.js';
import { directPeer } from '../logic/display.js';
import { isBlocked } from '../stores/slices/people.js';
import Icon from './Icon.jsx';

const MUTE_CHOICES = [['8h', '8 hours'], ['1w', '1 week'], ['always', 'Always']];

export default function ChatMenu({ conversation, meId }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState('');
  const blocked = useChatStore((s) => s.blocked);
  const pinRoom = useChatStore((s) => canPin(Object.values(s.conversations)));
  const peer = conversation.isGroup ? null : directPeer(conversation, meId);
  const muted = isMuted(conversation);
  const peerBlocked = Boolean(peer && isBlocked(blocked, peer.id));

  const act = (work) => {
    setError('');
    Promise.resolve().then(work).then(() => setOpen(false), (e) => setError(e.message));
  };
  const state = (changes) => act(() => useChatStore.getState().setChatState(conversation.id, changes));

  return (
    <div className="chat-menu">
      <button type="button" className="icon-button" aria-label="Chat settings" aria-expanded={open} onClick={() => setOpen(!open)}>
        <Icon name="more" />
      </button>
      {open && (
        <div className="chat-menu-panel" role="menu" aria-label="Chat settings">
          {conversation.pinned ? (
            <button type="button" role="menuitem" onClick={() => state({ pinned: false })}>Unpin chat</button>
          ) : (
            <button type="button" role="menuitem" onClick={() => state({ pinned: true })} disabled={!pinRoom}
              title={pinRoom ? undefined : 'At most 3 chats can be pinned'}>Pin chat</button>
          )}
          {muted ? (
            <button type="button" role="menuitem" onClick={() => state({ mute: null })}>Unmute</button>
          ) : (
            MUTE_CHOICES.map(([value, label]) => (
              <button key={value} type="button" role="menuitem" onClick={() => state({ mute: value })}>Mute for {label.toLowerCase()}</button>
            ))
          )}
          <button type="button" role="menuitem" onClick={() => state({ archived: !conversation.archived })}>
            {conversation.archived ? 'Unarchive chat' : 'Archive chat'}
          </button>
          {peer && (
            <button type="button" role="menuitem" className={peerBlocked ? '' : 'danger'}
              onClick={() => act(() => (peerBlocked ? useChatStore.getState().unblock(peer.id) : useChatStore.getState().block(peer.id)))}>
              {peerBlocked ? `Unblock ${peer.displayName || peer.username}` : `Block ${peer.displayName || peer.username}`}
            </button>
          )}
          {error && <p className="list-note error" role="alert">{error}</p>}
        </div>
      )}
    </div>
  );
}
