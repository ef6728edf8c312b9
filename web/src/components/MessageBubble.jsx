// One message: ours on the right, theirs on the left (with the sender's name in a group), a reply
// quote, a forwarded label, the text, edited/deleted marks, time and ticks, reactions under it,
// and actions (react, reply, forward; edit ours and see its info; delete ours for everyone, or any
// for me).
import { memo, useState } from 'react';
import { clockTime } from '../lib/format.js';
import Ticks from './Ticks.jsx';
import Icon from './Icon.jsx';
import { reactionOf } from '../logic/messages.js';
import { showsCaption } from '../logic/attachments.js';
import AttachmentView from './AttachmentView.jsx';

const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

// Under the bubble: each emoji with its count; ours is marked, and clicking it takes it back.
function Reactions({ message, meId, nameOf, onReact }) {
  const list = message.reactions || [];
  if (list.length === 0) return null;
  return (
    <div className="reactions" data-testid="reactions">
      {list.map((r) => {
        const mineToo = (r.userIds || []).includes(meId);
        const who = (r.userIds || []).map((id) => (id === meId ? 'You' : nameOf(id))).join(', ');
        return (
          <button key={r.emoji} type="button" className={`reaction${mineToo ? ' mine' : ''}`} title={who}
            aria-label={`${r.emoji} ${r.count}: ${who}`} onClick={() => onReact(message, mineToo ? null : r.emoji)}>
            <span>{r.emoji}</span> <span className="reaction-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}

function Quote({ quoted, nameOf }) {
  if (!quoted) return <div className="reply-quote missing">Original message not loaded</div>;
  const jump = () => document.getElementById(`msg-${quoted.id}`)?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  return (
    <button type="button" className="reply-quote" onClick={jump} aria-label={`Reply to ${nameOf(quoted.sender_id)}: ${quoted.isDeleted ? 'deleted message' : quoted.content.slice(0, 80)}`}>
      <span className="reply-author">{nameOf(quoted.sender_id)}</span>
      <span className="reply-text">{quoted.isDeleted ? 'This message was deleted' : quoted.content.slice(0, 200)}</span>
    </button>
  );
}

function MessageBubble({ message, mine, meId, status, senderName, showSender, quoted, nameOf, onReply, onEdit, onDelete, onHide, onReact, onForward, onInfo, onRetry, onDiscard }) {
  const [confirming, setConfirming] = useState(false);
  const [picking, setPicking] = useState(false);
  const [actionError, setActionError] = useState('');
  const remove = () => {
    setConfirming(false);
    setActionError('');
    Promise.resolve(onDelete(message)).catch((e) => setActionError(`Not deleted: ${e.message}`));
  };
  const hide = () => {
    setConfirming(false);
    setActionError('');
    Promise.resolve(onHide(message)).catch((e) => setActionError(`Not deleted: ${e.message}`));
  };
  const react = (m, emoji) => {
    setPicking(false);
    setActionError('');
    Promise.resolve(onReact(m, emoji)).catch((e) => setActionError(`No reaction: ${e.message}`));
  };
  const mineReaction = meId ? reactionOf(message, meId) : null;
  const stored = message.seq != null;
  const canAct = stored && !message.isDeleted;
  return (
    <div className={`message-row ${mine ? 'mine' : 'theirs'}`} id={`msg-${message.id}`} data-seq={message.seq ?? ''}
      data-client-id={message.clientId || ''}>
      <div className={`bubble${message.isDeleted ? ' deleted' : ''}${message.isEdited && !message.isDeleted ? ' edited' : ''}`}>
        {showSender && !mine && <div className="bubble-sender">{senderName}</div>}
        {message.forwarded && !message.isDeleted && (
          <div className="bubble-forwarded" data-testid="forwarded-label"><Icon name="forward" size={13} /> Forwarded</div>
        )}
        {message.replyTo && !message.isDeleted && <Quote quoted={quoted} nameOf={nameOf} />}
        {message.isDeleted ? (
          <p className="bubble-text deleted-text"><Icon name="ban" size={14} /> This message was deleted</p>
        ) : (
          <>
            {message.attachments && message.attachments.length > 0 && <AttachmentView message={message} />}
            {showsCaption(message) && <p className="bubble-text">{message.content}</p>}
          </>
        )}
        <span className="bubble-meta">
          {message.isEdited && !message.isDeleted && <span className="edited-mark">edited</span>}
          <time dateTime={message.created_at}>{clockTime(message.created_at)}</time>
          {mine && <Ticks status={status} />}
        </span>
        {actionError && <span className="bubble-failed" role="alert">{actionError}</span>}
        {message.failed && (
          <span className="bubble-failed" role="alert">
            {message.error || 'Not sent.'}{' '}
            <button type="button" className="link-button" onClick={() => onRetry(message)}>Retry</button>{' '}
            <button type="button" className="link-button" onClick={() => onDiscard(message)}>Discard</button>
          </span>
        )}
        {!message.isDeleted && <Reactions message={message} meId={meId} nameOf={nameOf} onReact={react} />}
      </div>
      {picking && (
        <div className="reaction-picker" role="group" aria-label="React">
          {QUICK_REACTIONS.map((emoji) => (
            <button key={emoji} type="button" className={`reaction${mineReaction === emoji ? ' mine' : ''}`}
              aria-label={`React ${emoji}`} onClick={() => react(message, mineReaction === emoji ? null : emoji)}>{emoji}</button>
          ))}
        </div>
      )}
      {(canAct || (stored && message.isDeleted)) && (
        <div className="bubble-actions">
          {confirming ? (
            <>
              <span className="confirm-text">Delete message?</span>
              {mine && canAct && <button type="button" className="link-button danger" onClick={remove}>Delete for everyone</button>}
              <button type="button" className="link-button danger" onClick={hide}>Delete for me</button>
              <button type="button" className="link-button" onClick={() => setConfirming(false)}>Cancel</button>
            </>
          ) : (
            <>
              {canAct && <button type="button" className="icon-button small" onClick={() => setPicking(!picking)} aria-label="React" title="React"><Icon name="smile" size={16} /></button>}
              {canAct && <button type="button" className="icon-button small" onClick={() => onReply(message)} aria-label="Reply" title="Reply"><Icon name="reply" size={16} /></button>}
              {canAct && <button type="button" className="icon-button small" onClick={() => onForward(message)} aria-label="Forward" title="Forward"><Icon name="forward" size={16} /></button>}
              {mine && canAct && <button type="button" className="icon-button small" onClick={() => onEdit(message)} aria-label="Edit" title="Edit"><Icon name="edit" size={16} /></button>}
              {mine && canAct && <button type="button" className="icon-button small" onClick={() => onInfo(message)} aria-label="Message info" title="Message info"><Icon name="info" size={16} /></button>}
              <button type="button" className="icon-button small" onClick={() => setConfirming(true)} aria-label="Delete" title="Delete"><Icon name="trash" size={16} /></button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

export default memo(MessageBubble);
