// Search users and tick several: the members of a new group, or people to add to one.
import { useState } from 'react';
import { useUserSearch } from './PeopleResults.jsx';
import Avatar from './Avatar.jsx';
import Icon from './Icon.jsx';

export default function UserPicker({ meId, exclude = [], chosen, onChange }) {
  const [query, setQuery] = useState('');
  const { users, error, loading } = useUserSearch(query, meId);
  const skip = new Set(exclude);
  const chosenIds = new Set(chosen.map((u) => u.id));
  const toggle = (user) => onChange(chosenIds.has(user.id) ? chosen.filter((u) => u.id !== user.id) : [...chosen, user]);
  return (
    <div className="user-picker">
      {chosen.length > 0 && (
        <ul className="chips" aria-label="Chosen people">
          {chosen.map((u) => (
            <li key={u.id} className="chip">
              {u.displayName || u.username}
              <button type="button" className="chip-remove" onClick={() => toggle(u)} aria-label={`Remove ${u.displayName || u.username}`}><Icon name="close" size={12} /></button>
            </li>
          ))}
        </ul>
      )}
      <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search people"
        aria-label="Search people to add" maxLength={64} />
      {error && <p className="list-note error" role="alert">{error}</p>}
      {query.trim() && !loading && !error && users.length === 0 && <p className="list-note">Nobody found.</p>}
      <ul className="picker-results">
        {users.filter((u) => !skip.has(u.id)).map((u) => (
          <li key={u.id}>
            <label className="picker-row">
              <input type="checkbox" checked={chosenIds.has(u.id)} onChange={() => toggle(u)} />
              <Avatar id={u.id} name={u.displayName || u.username} photo={u.profilePhoto} size={32} />
              <span>{u.displayName || u.username} <span className="person-sub">@{u.username}</span></span>
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}
