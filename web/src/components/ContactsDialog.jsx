// The address book: our contacts, each to chat with or remove (add them from the search's
// people), and the users we blocked, each to unblock.
import { useEffect, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import Avatar from './Avatar.jsx';
import Dialog from './Dialog.jsx';

function Person({ user, children }) {
  const name = user.displayName || user.username;
  return (
    <li className="person-row">
      <span className="person-item static">
        <Avatar id={user.id} name={name} photo={user.profilePhoto} size={40} />
        <span className="person-text">
          <span className="person-name">{name}</span>
          <span className="person-sub">@{user.username}</span>
        </span>
      </span>
      {children}
    </li>
  );
}

export default function ContactsDialog({ onClose, onOpen }) {
  const contacts = useChatStore((s) => s.contacts);
  const loaded = useChatStore((s) => s.contactsLoaded);
  const blocked = useChatStore((s) => s.blocked);
  const [error, setError] = useState('');
  const attempt = (work) => Promise.resolve().then(work).catch((e) => setError(e.message));

  useEffect(() => {
    attempt(() => useChatStore.getState().loadContacts());
    attempt(() => useChatStore.getState().loadBlocked());
  }, []);

  const chat = (user) => attempt(async () => {
    const conversation = await api.createConversation([user.id], false);
    useChatStore.getState().upsertConversation(conversation);
    onClose();
    onOpen(conversation.id);
  });

  return (
    <Dialog title="Contacts" onClose={onClose}>
      {error && <p className="list-note error" role="alert">{error}</p>}
      <section aria-label="Your contacts">
        {loaded && contacts.length === 0 && <p className="list-note">No contacts yet. Search for people and add them.</p>}
        <ul className="people-list">
          {contacts.map((u) => (
            <Person key={u.id} user={u}>
              <button type="button" className="link-button" onClick={() => chat(u)}
                aria-label={`Chat with ${u.displayName || u.username}`}>Chat</button>
              <button type="button" className="link-button danger" onClick={() => attempt(() => useChatStore.getState().removeContact(u.id))}
                aria-label={`Remove ${u.displayName || u.username} from contacts`}>Remove</button>
            </Person>
          ))}
        </ul>
      </section>
      {blocked.length > 0 && (
        <section aria-label="Blocked users">
          <h3 className="list-heading">Blocked</h3>
          <ul className="people-list">
            {blocked.map((u) => (
              <Person key={u.id} user={u}>
                <button type="button" className="link-button" onClick={() => attempt(() => useChatStore.getState().unblock(u.id))}
                  aria-label={`Unblock ${u.displayName || u.username}`}>Unblock</button>
              </Person>
            ))}
          </ul>
        </section>
      )}
    </Dialog>
  );
}
