// Shared helpers of the bridge's integration tests: a tiny REST client on node's fetch, unique
// users, and a psql probe to learn which SQL functions the extension has yet.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const BASE = process.env.PGCHAT_URL || `http://127.0.0.1:${process.env.PGCHAT_PORT || 5000}`;

// One request; body objects are sent as JSON, strings and Buffers as they are.
export async function api(method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(BASE + path, init);
  const text = await response.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

export function uniqueName(prefix = 'u') {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

// Registers a fresh user; returns {token, user, password, username, email}.
export async function newUser(prefix = 'u') {
  const username = uniqueName(prefix);
  const password = 'correct horse battery';
  const email = `${username}@example.test`;
  const r = await api('POST', '/api/auth/register', { body: { username, email, password, displayName: `User ${username}` } });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return { ...r.json, password, username, email };
}

// Runs SQL as the test instance's superuser (PG* variables from scripts/test.sh).
export function psql(sql) {
  return execFileSync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
}

// Whether chat.<name> exists: the messaging half of the extension lands after the accounts half.
export function hasFunction(name) {
  try {
    return psql(`SELECT count(*) FROM pg_proc WHERE pronamespace = 'chat'::regnamespace AND proname = '${name}'`) !== '0';
  } catch {
    return false;
  }
}

// Expects the error shape every refusal carries.
export function assertError(assert, r, status, code) {
  assert.equal(r.status, status, `status of ${r.text}`);
  assert.equal(r.json?.error?.code, code, `code of ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
}
