// A round picture: the profile photo when there is one, else initials on a colour picked from
// the id, with an optional online dot.
import { useState } from 'react';
import { initials } from '../lib/format.js';
import Icon from './Icon.jsx';

const COLORS = ['#00a884', '#5f66cd', '#d3396d', '#e26b3d', '#3b8fd6', '#8a6ad3', '#16a3a3', '#b5852c'];

function colorFor(id) {
  let hash = 0;
  for (const ch of String(id || '')) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length];
}

export default function Avatar({ id, name, photo, size = 40, online = false, group = false }) {
  const [broken, setBroken] = useState(false);
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  return (
    <span className="avatar" style={style} aria-hidden="true">
      {photo && !broken ? (
        <img src={photo} alt="" referrerPolicy="no-referrer" onError={() => setBroken(true)} />
      ) : (
        <span className="avatar-initials" style={{ background: colorFor(id) }}>{group ? <Icon name="group" size={Math.round(size * 0.55)} /> : initials(name)}</span>
      )}
      {online && <span className="online-dot" />}
    </span>
  );
}
