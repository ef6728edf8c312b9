// Our profile: display name, status, bio and photo URL, and who sees when we were last online.
import { useState } from 'react';
import { useAuthStore } from '../stores/authStore.js';
import Avatar from './Avatar.jsx';
import Dialog from './Dialog.jsx';
import Field from './Field.jsx';
import { validateBio, validateDisplayName, validatePhotoUrl, validateStatus, formErrors } from '../lib/validate.js';

const RULES = {
  displayName: (v) => (v.trim() ? validateDisplayName(v) : 'Enter a display name.'),
  status: validateStatus,
  bio: validateBio,
  profilePhoto: validatePhotoUrl,
};

export default function ProfileDialog({ onClose }) {
  const user = useAuthStore((s) => s.user);
  const updateProfile = useAuthStore((s) => s.updateProfile);
  const [values, setValues] = useState({
    displayName: user.displayName || user.username,
    status: user.status || '',
    bio: user.bio || '',
    profilePhoto: user.profilePhoto || '',
  });
  const [errors, setErrors] = useState({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const lastSeen = (user.privacy && user.privacy.lastSeen) || 'contacts';

  // Applied at once, as WhatsApp's privacy settings are: it is not part of the profile form.
  async function changeLastSeen(event) {
    setErrors({});
    try {
      await useAuthStore.getState().setLastSeenPrivacy(event.target.value);
    } catch (e) {
      setErrors({ server: e.message });
    }
  }

  const change = (key) => (e) => {
    setSaved(false);
    setValues({ ...values, [key]: e.target.value });
  };

  async function save(event) {
    event.preventDefault();
    const found = formErrors(RULES, values);
    setErrors(found);
    if (Object.keys(found).length) return;
    // Only what changed; an emptied field is cleared (null).
    const changes = {};
    for (const key of Object.keys(RULES)) {
      const next = values[key].trim();
      if (next !== (user[key] || '')) changes[key] = next === '' ? null : next;
    }
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    try {
      await updateProfile(changes);
      setSaved(true);
    } catch (e) {
      setErrors({ server: e.message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Profile" onClose={onClose}>
      <form onSubmit={save} noValidate aria-label="Profile">
        <div className="profile-top">
          <Avatar id={user.id} name={values.displayName} photo={values.profilePhoto.trim()} size={72} />
          <span>@{user.username}<br /><span className="person-sub">{user.email}</span></span>
        </div>
        {errors.server && <div className="form-error" role="alert">{errors.server}</div>}
        {saved && <div className="form-ok" role="status">Saved.</div>}
        <Field label="Display name" value={values.displayName} onChange={change('displayName')} error={errors.displayName} maxLength={64} />
        <Field label="Status" value={values.status} onChange={change('status')} error={errors.status} maxLength={140} placeholder="Hey there! I am using pgchat." />
        <Field label="Bio" as="textarea" rows={3} value={values.bio} onChange={change('bio')} error={errors.bio} maxLength={500} />
        <Field label="Photo URL" type="url" value={values.profilePhoto} onChange={change('profilePhoto')} error={errors.profilePhoto} placeholder="https://…" />
        <Field label="Who sees my last seen" as="select" value={lastSeen} onChange={changeLastSeen}
          hint="Applies at once. Who hides theirs sees no one's.">
          <option value="everyone">Everyone</option>
          <option value="contacts">My contacts</option>
          <option value="nobody">Nobody</option>
        </Field>
        <button type="submit" className="primary wide" disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
      </form>
    </Dialog>
  );
}
