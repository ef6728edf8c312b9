// New group: a name and at least one other member.
import { useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import Dialog from './Dialog.jsx';
import Field from './Field.jsx';
import UserPicker from './UserPicker.jsx';

export default function NewGroupDialog({ meId, onClose, onCreated }) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState([]);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  async function create(event) {
    event.preventDefault();
    const found = {};
    if (!name.trim()) found.name = 'Give the group a name.';
    else if (name.trim().length > 100) found.name = 'A group name has at most 100 characters.';
    if (members.length === 0) found.members = 'Add at least one person.';
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const conversation = await api.createConversation(members.map((m) => m.id), true, name.trim());
      useChatStore.getState().upsertConversation(conversation);
      onCreated(conversation.id);
    } catch (e) {
      setErrors({ server: e.message });
      setBusy(false);
    }
  }

  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={create} noValidate aria-label="New group">
        {errors.server && <div className="form-error" role="alert">{errors.server}</div>}
        <Field label="Group name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={100} />
        <fieldset className="field">
          <legend>Members</legend>
          <UserPicker meId={meId} chosen={members} onChange={setMembers} />
          {errors.members && <p className="field-error" role="alert">{errors.members}</p>}
        </fieldset>
        <button type="submit" className="primary wide" disabled={busy}>{busy ? 'Creating…' : 'Create group'}</button>
      </form>
    </Dialog>
  );
}
