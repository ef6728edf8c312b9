// Message info, for a message of ours: who has read it and who has it delivered, as the server
// reads them from the members' receipts. Asked again whenever a member's marks move here (the
// receipt events update the chat's participants), so the lists follow live.
import { useEffect, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import Avatar from './Avatar.jsx';
import Dialog from './Dialog.jsx';

function People({ label, people, testId }) {
  return (
    <section aria-label={label} data-testid={testId}>
      <h3 className="list-heading">{label}</h3>
      {people.length === 0 ? <p className="person-sub info-none">No one yet</p> : (
        <ul className="member-list">
          {people.map((p) => (
            <li key={p.id} className="member-row">
              <Avatar id={p.id} name={p.displayName || p.username} photo={p.profilePhoto} size={32} />
              <span className="member-name">{p.displayName || p.username} <span className="person-sub">@{p.username}</span></span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function MessageInfo({ message, onClose }) {
  const participants = useChatStore((s) => s.conversations[message.conversationId]?.participants);
  const [info, setInfo] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let current = true;
    api.messageInfo(message.id).then((answer) => current && (setInfo(answer), setError('')))
      .catch((e) => current && setError(e.message));
    return () => { current = false; };
  }, [message.id, participants]);

  return (
    <Dialog title="Message info" onClose={onClose}>
      <p className="forward-preview">{message.content.slice(0, 200)}</p>
      {error && <div className="form-error" role="alert">{error}</div>}
      {!info && !error && <p className="person-sub" role="status">Loading…</p>}
      {info && (
        <>
          <People label="Read by" people={info.readBy} testId="info-read" />
          <People label="Delivered to" people={info.deliveredTo} testId="info-delivered" />
          {info.pending.length > 0 && <People label="Not delivered yet" people={info.pending} testId="info-pending" />}
        </>
      )}
    </Dialog>
  );
}
