// Users found by the search box; choosing one opens (or starts) the direct chat with them, and
// one not yet a contact can be added to the address book.
import { useEffect, useState } from 'react';
import { api } from '../api/rest.js';
import { useChatStore } from '../stores/chatStore.js';
import Avatar from './Avatar.jsx';

export function useUserSearch(query, meId, delayMs = 250) {
  const [state, setState] = useState({ users: [], error: '', loading: false });
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setState({ users: [], error: '', loading: false });
      return undefined;
    }
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(async () => {
      try {
        const users = await api.searchUsers(q, 20);
        if (!cancelled) setState({ users: users.filter((u) => u.id !== meId), error: '', loading: false });
      } catch (error) {
        if (!cancelled) setState({ users: [], error: error.message, loading: false });
      }
    }, delayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [query, meId, delayMs]);
  return state;
}

export default function PeopleResults({ query, meId, onChoose, onAddContact }) {
  const { users, error, loading } = useUserSearch(query, meId);
  const contacts = useChatStore((s) => s.contacts);
  if (!query.trim()) return null;
  return (
    <section className="people-results" aria-label="People">
      <h3 className="list-heading">People</h3>
      {error && <p className="list-note error" role="alert">{error}</p>}
      {!error && !loading && users.length === 0 && <p className="list-note">Nobody found.</p>}
      <ul>
        {users.map((u) => (
          <li key={u.id} className="person-row">
            <button type="button" className="person-item" onClick={() => onChoose(u)}
              aria-label={`Chat with ${u.displayName || u.username} (@${u.username})`}>
              <Avatar id={u.id} name={u.displayName || u.username} photo={u.profilePhoto} size={40} />
              <span className="person-text">
                <span className="person-name">{u.displayName || u.username}</span>
                <span className="person-sub">@{u.username}{u.status ? ` · ${u.status}` : ''}</span>
              </span>
            </button>
            {onAddContact && !contacts.some((c) => c.id === u.id) && (
              <button type="button" className="link-button" onClick={() => onAddContact(u)}
                aria-label={`Add ${u.displayName || u.username} to contacts`}>Add contact</button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
