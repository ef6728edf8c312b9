// Reads a JWT's expiry without verifying it (the server verifies): only to drop a stale session
// at start instead of showing a chat that will fail.

export function tokenExpiry(token) {
  if (typeof token !== 'string') return 0;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1].length > 4096) return 0;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const payload = JSON.parse(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export function tokenIsLive(token, now = Date.now()) {
  return tokenExpiry(token) > now;
}
