// The scrolling message list: day separators, bubbles, infinite scroll up through history that
// keeps the reader's place, and a jump to the bottom when a new message arrives while they are there.
// Opened at a search result, it shows that message in the middle, and scrolls down through newer
// pages (or jumps to the latest) from there.
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useChatStore } from '../stores/chatStore.js';
import { countUnread } from '../logic/messages.js';
import { messageStatus } from '../logic/receipts.js';
import { dayKey, dayLabel } from '../lib/format.js';
import MessageBubble from './MessageBubble.jsx';
import ForwardDialog from './ForwardDialog.jsx';
import MessageInfo from './MessageInfo.jsx';

const NO_MESSAGES = [];
const NEAR_TOP_PX = 120;
const NEAR_BOTTOM_PX = 160;
const FOCUS_MS = 2000;

export default function MessageContainer({ conversation, meId, onReply, onEdit }) {
  const messages = useChatStore((s) => s.messages[conversation.id]) || NO_MESSAGES;
  const history = useChatStore((s) => s.history[conversation.id]);
  const unreadFrom = useChatStore((s) => s.unreadFrom[conversation.id]);
  const focus = useChatStore((s) => (s.focus && s.focus.conversationId === conversation.id ? s.focus : null));
  const list = useRef(null);
  const before = useRef({ firstId: null, lastId: null, height: 0, nearBottom: true });

  const byId = useMemo(() => new Map(messages.map((m) => [m.id, m])), [messages]);
  const people = useMemo(() => new Map((conversation.participants || []).map((p) => [p.id, p])), [conversation.participants]);
  const nameOf = useCallback((id) => {
    if (id === meId) return 'You';
    const p = people.get(id);
    return p ? p.displayName || p.username : 'Former member';
  }, [people, meId]);

  const loadOlder = useCallback(() => useChatStore.getState().loadOlder(conversation.id), [conversation.id]);
  const onDelete = useCallback((m) => useChatStore.getState().deleteMessage(m), []);
  const onHide = useCallback((m) => useChatStore.getState().hideMessage(m), []);
  const onReact = useCallback((m, emoji) => useChatStore.getState().react(m, emoji), []);
  // the message whose forward dialog or info panel is open
  const [forwarding, setForwarding] = useState(null);
  const [inspecting, setInspecting] = useState(null);
  const closeForward = useCallback(() => setForwarding(null), []);
  const closeInfo = useCallback(() => setInspecting(null), []);

  // Older messages were put on top: keep the same message under the reader's eyes. A new one at
  // the bottom: follow it if the reader was at the bottom or sent it.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    const first = messages[0];
    const last = messages[messages.length - 1];
    const was = before.current;
    if (was.firstId && first && first.id !== was.firstId && el.scrollHeight > was.height && last && last.id === was.lastId) {
      el.scrollTop += el.scrollHeight - was.height;
    } else if (last && last.id !== was.lastId && (was.nearBottom || last.sender_id === meId || !was.lastId)) {
      el.scrollTop = el.scrollHeight;
    }
    before.current = { firstId: first && first.id, lastId: last && last.id, height: el.scrollHeight, nearBottom: was.nearBottom };
    // A first page shorter than the window leaves nothing to scroll: fetch more at once.
    if (history && history.hasMore && !history.loading && el.scrollHeight <= el.clientHeight + NEAR_TOP_PX) loadOlder();
  }, [messages, history, meId, loadOlder]);

  // A search result: its message in the middle, marked for a moment, once it is loaded.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el || !focus) return undefined;
    const row = el.querySelector(`[data-seq="${focus.seq}"]`);
    if (!row) return undefined;
    row.scrollIntoView({ block: 'center' });
    row.classList.add('focused');
    before.current.nearBottom = false;
    useChatStore.getState().focusShown();
    const timer = setTimeout(() => row.classList.remove('focused'), FOCUS_MS);
    return () => clearTimeout(timer);
  }, [focus, messages]);

  function onScroll() {
    const el = list.current;
    before.current.nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    before.current.height = el.scrollHeight;
    if (el.scrollTop < NEAR_TOP_PX) loadOlder();
    if (before.current.nearBottom && history && history.newer) useChatStore.getState().loadNewer(conversation.id);
  }

  const chatStore = useChatStore.getState();
  const rows = [];
  let lastDay = null;
  let lastSender = null;
  let unreadShown = unreadFrom == null;
  for (const m of messages) {
    const day = dayKey(m.created_at);
    if (day !== lastDay) {
      rows.push(<div className="day-separator" key={`day-${day}`} role="separator"><span>{dayLabel(m.created_at)}</span></div>);
      lastDay = day;
      lastSender = null;
    }
    const mine = m.sender_id === meId;
    if (!unreadShown && !mine && m.seq != null && m.seq > unreadFrom) {
      const count = countUnread(messages, unreadFrom, meId);
      rows.push(<div className="unread-separator" key="unread" role="separator"><span>{count} unread message{count === 1 ? '' : 's'}</span></div>);
      unreadShown = true;
    }
    rows.push(
      <MessageBubble key={m.clientId && m.sender_id === meId ? `c-${m.clientId}` : m.id} message={m} mine={mine}
        status={mine ? messageStatus(m, conversation, meId) : undefined}
        senderName={nameOf(m.sender_id)} showSender={conversation.isGroup && m.sender_id !== lastSender}
        quoted={m.replyTo ? byId.get(m.replyTo) : undefined} nameOf={nameOf}
        onReply={onReply} onEdit={onEdit} onDelete={onDelete} onHide={onHide} onReact={onReact} onForward={setForwarding} onInfo={setInspecting} meId={meId}
        onRetry={chatStore.retry} onDiscard={chatStore.discard} />,
    );
    lastSender = m.sender_id;
  }

  return (
    <>
    <div className="message-container" ref={list} onScroll={onScroll} role="log" aria-label="Messages" aria-live="polite"
      aria-relevant="additions" tabIndex={0} data-testid="message-list">
      {history && history.loading && <p className="history-note" role="status">Loading earlier messages…</p>}
      {history && history.hasMore === false && messages.length > 0 && <p className="history-note">This is the beginning of the chat.</p>}
      {history && history.error && <p className="history-note error" role="alert">{history.error} <button type="button" className="link-button" onClick={messages.length ? loadOlder : () => chatStore.loadLatest(conversation.id)}>Try again</button></p>}
      {messages.length === 0 && history && !history.loading && <p className="history-note">No messages yet. Say hello!</p>}
      {rows}
      {history && history.newer && (
        <button type="button" className="jump-latest" onClick={() => chatStore.jumpToLatest(conversation.id)}>
          Latest messages
        </button>
      )}
    </div>
    {forwarding && <ForwardDialog message={forwarding} meId={meId} onClose={closeForward} />}
    {inspecting && <MessageInfo message={inspecting} onClose={closeInfo} />}
    </>
  );
}
