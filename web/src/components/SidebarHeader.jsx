// Top of the sidebar: our own profile (opens the editor), notifications (asked for only when the
// user chooses), contacts, new group, logout.
import { useState } from 'react';
import { useAuthStore } from '../stores/authStore.js';
import { askNotificationPermission, notificationPermission, notificationsSupported } from '../lib/notifier.js';
import Avatar from './Avatar.jsx';
import Icon from './Icon.jsx';

export default function SidebarHeader({ onProfile, onNewGroup, onContacts }) {
  const user = useAuthStore((s) => s.user);
  const logout = useAuthStore((s) => s.logout);
  const [permission, setPermission] = useState(notificationPermission);
  if (!user) return null;
  const name = user.displayName || user.username;
  return (
    <header className="sidebar-header">
      <button type="button" className="me-button" onClick={onProfile} aria-label={`Your profile: ${name}`}>
        <Avatar id={user.id} name={name} photo={user.profilePhoto} size={40} />
        <span className="me-name">{name}</span>
      </button>
      <div className="header-actions">
        {notificationsSupported() && permission === 'default' && (
          <button type="button" className="icon-button" aria-label="Turn on notifications" title="Turn on notifications"
            onClick={async () => setPermission(await askNotificationPermission())}><Icon name="bell" /></button>
        )}
        <button type="button" className="icon-button" onClick={onContacts} aria-label="Contacts" title="Contacts"><Icon name="contacts" /></button>
        <button type="button" className="icon-button" onClick={onNewGroup} aria-label="New group" title="New group"><Icon name="addGroup" /></button>
        <button type="button" className="icon-button" onClick={logout} aria-label="Log out" title="Log out"><Icon name="logout" /></button>
      </div>
    </header>
  );
}
