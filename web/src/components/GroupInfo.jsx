// Group info: members with their role; admins add and remove members and make or dismiss
// admins; anyone can leave.
import { useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import Avatar from './Avatar.jsx';
import Dialog from './Dialog.jsx';
import UserPicker from './UserPicker.jsx';

export default function GroupInfo({ conversation, meId, onClose, onLeft }) {
  const [adding, setAdding] = useState([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const online = useChatStore((s) => s.online);
  const me = (conversation.participants || []).find((p) => p.id === meId);
  const isAdmin = (conversation.myRole || (me && me.role)) === 'admin';

  async function act(call) {
    setError('');
    setBusy(true);
    try {
      const result = await call();
      if (result && result.id) useChatStore.getState().upsertConversation(result);
      return true;
    } catch (e) {
      setError(e.message);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add() {
    if (await act(() => api.addParticipants(conversation.id, adding.map((u) => u.id)))) setAdding([]);
  }

  async function leave() {
    if (await act(() => api.leave(conversation.id))) {
      useChatStore.getState().removeConversation(conversation.id);
      onLeft();
    }
  }

  const members = [...(conversation.participants || [])].sort((a, b) => (a.role === b.role ? 0 : a.role === 'admin' ? -1 : 1));
  return (
    <Dialog title={conversation.name || 'Group'} onClose={onClose} wide>
      {error && <div className="form-error" role="alert">{error}</div>}
      <h3 className="list-heading">{members.length} members</h3>
      <ul className="member-list" aria-label="Members">
        {members.map((p) => {
          const name = p.id === meId ? 'You' : p.displayName || p.username;
          return (
            <li key={p.id} className="member-row">
              <Avatar id={p.id} name={p.displayName || p.username} photo={p.profilePhoto} size={36} online={Boolean(online[p.id])} />
              <span className="member-name">{name} <span className="person-sub">@{p.username}</span></span>
              {p.role === 'admin' && <span className="role-badge">admin</span>}
              {isAdmin && p.id !== meId && (
                <span className="member-actions">
                  <button type="button" className="link-button" disabled={busy}
                    onClick={() => act(() => api.setRole(conversation.id, p.id, p.role === 'admin' ? 'member' : 'admin'))}>
                    {p.role === 'admin' ? 'Dismiss as admin' : 'Make admin'}
                  </button>
                  <button type="button" className="link-button danger" disabled={busy}
                    onClick={() => act(() => api.removeParticipant(conversation.id, p.id))} aria-label={`Remove ${name}`}>
                    Remove
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {isAdmin && (
        <section className="add-members" aria-label="Add members">
          <h3 className="list-heading">Add members</h3>
          <UserPicker meId={meId} exclude={members.map((p) => p.id)} chosen={adding} onChange={setAdding} />
          <button type="button" className="primary" disabled={busy || adding.length === 0} onClick={add}>Add</button>
        </section>
      )}
      <button type="button" className="danger-button wide" disabled={busy} onClick={leave}>Leave group</button>
    </Dialog>
  );
}
