// The composer: Enter sends, Shift+Enter makes a new line; it shows what is being replied to or
// edited, and tells the others we are typing (throttled) and when we stop.
import { useEffect, useRef, useState } from 'react';
import { useChatStore } from '../stores/chatStore.js';
import { MAX_CONTENT } from '../logic/outbox.js';
import { validateMessage } from '../lib/validate.js';
import Icon from './Icon.jsx';
import VoiceRecorder from './VoiceRecorder.jsx';

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 2500;

export default function MessageInput({ conversationId, replyTo, editing, nameOf, onDone }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const box = useRef(null);
  const typing = useRef({ sentAt: 0, idle: null });
  const picker = useRef(null);

  // Files chosen, pasted or recorded go as messages of their own; a reply applies to the first.
  function sendFiles(files) {
    if (!files || files.length === 0) return;
    useChatStore.getState().sendFiles(conversationId, files, { replyTo: replyTo ? replyTo.id : null });
    if (replyTo) onDone();
  }

  function onPaste(event) {
    const files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      sendFiles(files);
    }
  }

  // Editing fills the box (and leaving an edit empties it); a reply keeps the draft.
  useEffect(() => {
    setText(editing ? editing.content : '');
    setError('');
    box.current?.focus();
  }, [editing, conversationId]);

  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);

  // Leaving the chat stops our typing note there.
  useEffect(() => () => {
    clearTimeout(typing.current.idle);
    if (typing.current.sentAt) useChatStore.getState().stopTyping(conversationId);
    typing.current.sentAt = 0;
  }, [conversationId]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  function stopTyping() {
    clearTimeout(typing.current.idle);
    if (typing.current.sentAt) useChatStore.getState().stopTyping(conversationId);
    typing.current.sentAt = 0;
  }

  function noteTyping() {
    if (editing) return;
    const now = Date.now();
    if (now - typing.current.sentAt > TYPING_REPEAT_MS) {
      useChatStore.getState().startTyping(conversationId);
      typing.current.sentAt = now;
    }
    clearTimeout(typing.current.idle);
    typing.current.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  async function submit() {
    const problem = validateMessage(text);
    if (problem === 'empty') return;
    if (problem) {
      setError(problem);
      return;
    }
    const store = useChatStore.getState();
    stopTyping();
    if (editing) {
      if (text !== editing.content) {
        try {
          await store.editMessage(editing, text);
        } catch (e) {
          setError(e.message);
          return;
        }
      }
    } else {
      store.sendMessage(conversationId, text, replyTo ? replyTo.id : null);
    }
    setText('');
    setError('');
    onDone();
  }

  function onKeyDown(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && (replyTo || editing)) {
      event.preventDefault();
      onDone();
    }
  }

  return (
    <footer className="composer">
      {(replyTo || editing) && (
        <div className="composer-context">
          <div className="composer-context-text">
            <span className="reply-author">{editing ? 'Edit message' : `Replying to ${nameOf(replyTo.sender_id)}`}</span>
            <span className="reply-text">{(editing || replyTo).content.slice(0, 200)}</span>
          </div>
          <button type="button" className="icon-button small" onClick={onDone} aria-label={editing ? 'Cancel editing' : 'Cancel reply'}><Icon name="close" size={16} /></button>
        </div>
      )}
      {error && <p className="composer-error" role="alert">{error}</p>}
      <form className="composer-row" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        {!editing && (
          <>
            <button type="button" className="icon-button" aria-label="Attach files" onClick={() => picker.current?.click()}>
              <Icon name="clip" size={20} />
            </button>
            <input ref={picker} type="file" multiple hidden data-testid="attach-input"
              accept="image/jpeg,image/png,image/webp,image/gif,application/pdf,audio/*,video/mp4,video/webm,text/plain"
              onChange={(e) => { sendFiles(e.target.files); e.target.value = ''; }} />
          </>
        )}
        <textarea ref={box} rows={1} value={text} maxLength={MAX_CONTENT * 2} placeholder="Type a message"
          aria-label="Message" onChange={(e) => { setText(e.target.value); noteTyping(); }} onKeyDown={onKeyDown}
          onBlur={stopTyping} onPaste={onPaste} />
        {!editing && !text.trim() ? (
          <VoiceRecorder onRecorded={(file) => sendFiles([file])} />
        ) : (
          <button type="submit" className="send-button" aria-label={editing ? 'Save edit' : 'Send'} disabled={!text.trim()}>
            <Icon name={editing ? 'check' : 'send'} size={20} />
          </button>
        )}
      </form>
    </footer>
  );
}
