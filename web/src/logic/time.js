// Timestamps as the server sends them (ISO strings), read as milliseconds for ordering.

// An absent or unreadable timestamp counts as the oldest possible (0), so it never sorts first.
export function timeOf(value) {
  const t = Date.parse(value || '');
  return Number.isNaN(t) ? 0 : t;
}
