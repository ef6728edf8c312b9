// The right pane: header, messages and composer of the open conversation.
import { useCallback, useState } from 'react';
import { conversationTitle } from '../logic/display.js';
import ChatHeader from './ChatHeader.jsx';
import MessageContainer from './MessageContainer.jsx';
import MessageInput from './MessageInput.jsx';
import UploadProgress from './UploadProgress.jsx';
import { useChatStore } from '../stores/chatStore.js';

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
  const [dragging, setDragging] = useState(false);
  // Files dropped anywhere on the chat are sent to it.
  const onDrop = (event) => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) useChatStore.getState().sendFiles(conversation.id, event.dataTransfer.files);
  };
  const onDragOver = (event) => {
    if (!Array.from(event.dataTransfer.types || []).includes('Files')) return;
    event.preventDefault();
    setDragging(true);
  };

  return (
    <section className={`chat-window${dragging ? ' dragging' : ''}`} aria-label={`Chat with ${conversationTitle(conversation, meId)}`}
      onDragOver={onDragOver} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      <ChatHeader conversation={conversation} meId={meId} onBack={onBack} onInfo={onInfo} />
      <MessageContainer conversation={conversation} meId={meId} onReply={reply} onEdit={edit} />
      <UploadProgress conversationId={conversation.id} />
      <MessageInput conversationId={conversation.id} replyTo={replyTo} editing={editing} nameOf={nameOf} onDone={done} />
    </section>
  );
}
