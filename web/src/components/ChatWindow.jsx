// The right pane: header, messages and composer of the open conversation.
import { useCallback, useState } from 'react';
import { conversationTitle } from '../logic/display.js';
import ChatHeader from './ChatHeader.jsx';
import MessageContainer from './MessageContainer.jsx';
import MessageInput from './MessageInput.jsx';

export default function ChatWindow({ conversation, meId, onBack, onInfo }) {
  const [replyTo, setReplyTo] = useState(null);
  const [editing, setEditing] = useState(null);
  const [shownFor, setShownFor] = useState(conversation.id);
  if (shownFor !== conversation.id) {
    // Another chat: drop the reply or edit that belonged to the last one.
    setShownFor(conversation.id);
    setReplyTo(null);
    setEditing(null);
  }
  const nameOf = useCallback((id) => {
    if (id === meId) return 'You';
    const p = (conversation.participants || []).find((x) => x.id === id);
    return p ? p.displayName || p.username : 'Former member';
  }, [conversation.participants, meId]);
  const reply = useCallback((m) => { setEditing(null); setReplyTo(m); }, []);
  const edit = useCallback((m) => { setReplyTo(null); setEditing(m); }, []);
  const done = useCallback(() => { setReplyTo(null); setEditing(null); }, []);

  return (
    <section className="chat-window" aria-label={`Chat with ${conversationTitle(conversation, meId)}`}>
      <ChatHeader conversation={conversation} meId={meId} onBack={onBack} onInfo={onInfo} />
      <MessageContainer conversation={conversation} meId={meId} onReply={reply} onEdit={edit} />
      <MessageInput conversationId={conversation.id} replyTo={replyTo} editing={editing} nameOf={nameOf} onDone={done} />
    </section>
  );
}
