// Small line icons drawn as inline SVG, so they look the same on every system (no emoji font
// needed). Decorative: the buttons that hold them carry the accessible name.
const PATHS = {
  group: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7 0a2.5 2.5 0 1 0 0-5M3 19c0-3 2.7-5 6-5s6 2 6 5m1-5c2.6.2 5 1.8 5 5',
  addGroup: 'M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM3 19c0-3 2.7-5 6-5s6 2 6 5M19 8v6m-3-3h6',
  logout: 'M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l-5-5 5-5M5 12h11',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2zM10 20a2 2 0 0 0 4 0',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  back: 'M19 12H5m6-6-6 6 6 6',
  reply: 'M10 8 4 13l6 5v-3.5c4.5 0 7.5 1.2 10 4.5-1-5-4-9.5-10-10.5V8z',
  edit: 'M4 20h4L19 9l-4-4L4 16v4zm9-13 4 4',
  trash: 'M5 7h14M10 7V4h4v3m-7 0 1 13h8l1-13',
  clock: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-13v4.5l3 2',
  check: 'M4 12.5l5 5L20 6.5',
  checks: 'M2 12.5l5 5L18 6.5M10 16l1.5 1.5L22 6.5',
  close: 'M6 6l12 12M18 6 6 18',
  ban: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM5.6 5.6l12.8 12.8',
  warn: 'M12 3 2 20h20L12 3zm0 6v5m0 3v.5',
  contacts: 'M6 3h12a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zm6 8a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zm-4 5c0-2 1.8-3.5 4-3.5s4 1.5 4 3.5',
  pin: 'M9 4h6l-1 5 3 3H7l3-3-1-5zm3 8v8',
  muted: 'M4 9h4l5-4v14l-5-4H4V9zm13 0 4 6m0-6-4 6',
  archive: 'M3 5h18v4H3V5zm2 4v10h14V9M10 13h4',
  smile: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14a4 4 0 0 0 7 0M9 9.5v.5m6-.5v.5',
  more: 'M12 5v.5m0 6v.5m0 6v.5',
  forward: 'M14 8V4l7 7-7 7v-4c-5 0-8.5 1.5-11 5 1-5 4-10 11-11z',
  info: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-10v6m0-9.5v.5',
  clip: 'M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 6.9',
  mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3',
  file: 'M6 3h8l5 5v13H6V3zm8 0v5h5',
};

export default function Icon({ name, size = 20, className = '' }) {
  return (
    <svg className={`icon ${className}`} width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  );
}
