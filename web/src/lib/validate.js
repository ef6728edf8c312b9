// The account rules of the extension, checked in the form first so a person sees what to fix
// before a round trip; the server checks them again and its message is shown if it disagrees.

const encoder = new TextEncoder();

export function validateUsername(value) {
  const v = value.trim();
  if (!v) return 'Enter a username.';
  if (v.length < 3 || v.length > 32) return 'A username has 3 to 32 characters.';
  if (!/^[A-Za-z0-9._]+$/.test(v)) return 'Use letters, digits, dots and underscores only.';
  return '';
}

export function validateEmail(value) {
  const v = value.trim();
  if (!v) return 'Enter your email address.';
  if (encoder.encode(v).length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'Enter a valid email address.';
  return '';
}

export function validatePassword(value) {
  const bytes = encoder.encode(value).length;
  if (bytes < 8) return 'A password has at least 8 characters.';
  if (bytes > 1024) return 'A password has at most 1024 bytes.';
  return '';
}

export function validateDisplayName(value) {
  return value.trim().length > 64 ? 'A display name has at most 64 characters.' : '';
}

export function validateMessage(value) {
  if (!value.trim()) return 'empty';
  // Characters as the server counts them (code points), not UTF-16 units.
  if (value.length > 65536 && [...value].length > 65536) return 'A message has at most 65,536 characters.';
  if (value.includes('\u0000')) return 'A message cannot contain a NUL character.';
  return '';
}

export function validateStatus(value) {
  return value.length > 140 ? 'A status has at most 140 characters.' : '';
}

export function validateBio(value) {
  return value.length > 500 ? 'A bio has at most 500 characters.' : '';
}

export function validatePhotoUrl(value) {
  const v = value.trim();
  if (!v) return '';
  if (encoder.encode(v).length > 2048) return 'A photo URL has at most 2048 bytes.';
  if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/.test(v)) return 'Enter an http or https URL without spaces.';
  return '';
}

// The messages of a form's failing rules ({field: rule}), by field; empty when all pass.
export function formErrors(rules, values) {
  const found = {};
  for (const [key, rule] of Object.entries(rules)) {
    const message = rule(values[key]);
    if (message) found[key] = message;
  }
  return found;
}
