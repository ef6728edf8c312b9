// One message: ours on the right, theirs on the left (with the sender's name in a group), a reply
// quote, the text, edited/deleted marks, time and ticks, and actions (reply; edit and delete ours).
import { memo, useState } from 'react';
import { clockTime } from '../lib/format.js';
import Ticks from './Ticks.jsx';
import Icon from './Icon.jsx';

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

function MessageBubble({ message, mine, status, senderName, showSender, quoted, nameOf, onReply, onEdit, onDelete, onRetry, onDiscard }) {
  const [confirming, setConfirming] = useState(false);
  const [actionError, setActionError] = useState('');
  const remove = () => {
    setConfirming(false);
    setActionError('');
    Promise.resolve(onDelete(message)).catch((e) => setActionError(`Not deleted: ${e.message}`));
  };
  const stored = message.seq != null;
  const canAct = stored && !message.isDeleted;
  return (
    <div className={`message-row ${mine ? 'mine' : 'theirs'}`} id={`msg-${message.id}`} data-seq={message.seq ?? ''}
      data-client-id={message.clientId || ''}>
      <div className={`bubble${message.isDeleted ? ' deleted' : ''}${message.isEdited && !message.isDeleted ? ' edited' : ''}`}>
        {showSender && !mine && <div className="bubble-sender">{senderName}</div>}
        {message.replyTo && !message.isDeleted && <Quote quoted={quoted} nameOf={nameOf} />}
        {message.isDeleted ? (
          <p className="bubble-text deleted-text"><Icon name="ban" size={14} /> This message was deleted</p>
        ) : (
          <p className="bubble-text">{message.content}</p>
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
      </div>
      {canAct && (
        <div className="bubble-actions">
          {confirming ? (
            <>
              <span className="confirm-text">Delete for everyone?</span>
              <button type="button" className="link-button danger" onClick={remove}>Delete</button>
              <button type="button" className="link-button" onClick={() => setConfirming(false)}>Cancel</button>
            </>
          ) : (
            <>
              <button type="button" className="icon-button small" onClick={() => onReply(message)} aria-label="Reply" title="Reply"><Icon name="reply" size={16} /></button>
              {mine && <button type="button" className="icon-button small" onClick={() => onEdit(message)} aria-label="Edit" title="Edit"><Icon name="edit" size={16} /></button>}
              {mine && <button type="button" className="icon-button small" onClick={() => setConfirming(true)} aria-label="Delete" title="Delete"><Icon name="trash" size={16} /></button>}
            </>
          )}
        </div>
      )}
    </div>
  );
}

export default memo(MessageBubble);
