// Accounts over REST: register, login, me, profile, search; and every refusal of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, uniqueName, assertError, hasFunction } from './helpers.mjs';

test('register answers 201 with a token and the user', async () => {
  const username = uniqueName('reg');
  const r = await api('POST', '/api/auth/register', {
    body: { username, email: `${username}@example.test`, password: 'long enough pw', displayName: 'Reg' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(typeof r.json.token, 'string');
  assert.equal(r.json.user.username, username);
  assert.equal(r.json.user.displayName, 'Reg');
  assert.match(r.json.user.id, /^[0-9a-f-]{36}$/);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('register refuses a taken username with 409 conflict', async () => {
  const user = await newUser();
  const r = await api('POST', '/api/auth/register', {
    body: { username: user.username, email: `other${user.email}`, password: 'long enough pw' },
  });
  assertError(assert, r, 409, 'conflict');
});

test('register refuses missing fields and wrong types with 400', async () => {
  assertError(assert, await api('POST', '/api/auth/register', { body: { username: uniqueName() } }), 400, 'bad_request');
  const r = await api('POST', '/api/auth/register', { body: { username: 42, email: 'a@b.test', password: 'long enough pw' } });
  assertError(assert, r, 400, 'bad_request');
  assert.match(r.json.error.message, /username must be a string/);
});

test('register refuses an invalid username with the database message', async () => {
  const r = await api('POST', '/api/auth/register', { body: { username: 'a', email: 'a@b.test', password: 'long enough pw' } });
  assertError(assert, r, 400, 'bad_request');
});

test('login works by username, by email and by login', async () => {
  const user = await newUser();
  for (const body of [{ username: user.username }, { email: user.email }, { login: user.username }]) {
    const r = await api('POST', '/api/auth/login', { body: { ...body, password: user.password } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.id, user.user.id);
    assert.equal(typeof r.json.token, 'string');
  }
});

test('login refuses a wrong password and an unknown user alike with 401', async () => {
  const user = await newUser();
  const wrong = await api('POST', '/api/auth/login', { body: { username: user.username, password: 'not the password' } });
  const unknown = await api('POST', '/api/auth/login', { body: { username: uniqueName('nobody'), password: 'not the password' } });
  assertError(assert, wrong, 401, 'unauthorized');
  assertError(assert, unknown, 401, 'unauthorized');
  assert.equal(wrong.json.error.message, unknown.json.error.message);
});

test('GET /api/me answers the caller with the email', async () => {
  const user = await newUser();
  const r = await api('GET', '/api/me', { token: user.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, user.user.id);
  assert.equal(r.json.email, user.email);
});

test('a missing, malformed or forged token is 401', async () => {
  const user = await newUser();
  assertError(assert, await api('GET', '/api/me'), 401, 'unauthorized');
  assertError(assert, await api('GET', '/api/me', { headers: { authorization: 'Basic abc' } }), 401, 'unauthorized');
  assertError(assert, await api('GET', '/api/me', { token: 'not.a.jwt' }), 401, 'unauthorized');
  const [header, payload] = user.token.split('.');
  const forged = `${header}.${payload}.${Buffer.from('forged signature').toString('base64url')}`;
  assertError(assert, await api('GET', '/api/me', { token: forged }), 401, 'unauthorized');
  assertError(assert, await api('GET', '/api/me', { token: 'x'.repeat(3000) }), 401, 'unauthorized');
});

test('PATCH /api/me updates the profile and refuses wrong types', async () => {
  const user = await newUser();
  const r = await api('PATCH', '/api/me', { token: user.token, body: { displayName: 'New Name', bio: 'hello' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.displayName, 'New Name');
  assert.equal(r.json.bio, 'hello');
  assertError(assert, await api('PATCH', '/api/me', { token: user.token, body: { displayName: 7 } }), 400, 'bad_request');
  assertError(assert, await api('PATCH', '/api/me', { token: user.token, body: { nonsense: 'x' } }), 400, 'bad_request');
  assertError(assert, await api('PATCH', '/api/me', { token: user.token, body: '[1,2]' }), 400, 'bad_request');
});

test('GET /api/users/search finds by prefix and needs q', { skip: !hasFunction('search_users') && 'chat.search_users not in the extension yet' }, async () => {
  const user = await newUser('srch');
  const other = await newUser('srch');
  const r = await api('GET', `/api/users/search?q=${other.username}&limit=5`, { token: user.token });
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json));
  assert.ok(r.json.some((u) => u.id === other.user.id));
  assert.ok(r.json.every((u) => u.email === undefined), 'no emails of strangers');
  assertError(assert, await api('GET', '/api/users/search', { token: user.token }), 400, 'bad_request');
  assertError(assert, await api('GET', '/api/users/search?q=a&limit=ten', { token: user.token }), 400, 'bad_request');
});
