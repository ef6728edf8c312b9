// Sessions: logout, log out everywhere and a password change take tokens back at once, on REST
// and on the sockets of every bridge; a socket ends when its token expires; a deleted user's
// sockets end too. Ended sockets are told why (session_ended) before they close.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, psql, assertError } from './helpers.mjs';
import { connect, call, directChat, signToken } from './realtime_helpers.mjs';
import { Cluster } from './cluster.mjs';

// Resolves with {reason} of session_ended and the disconnect reason, or rejects after ms.
function ended(socket, ms = 5000) {
  return new Promise((resolve, reject) => {
    let told = null;
    const timer = setTimeout(() => reject(new Error(`socket not ended after ${ms} ms`)), ms);
    socket.once('session_ended', (body) => { told = body; });
    socket.once('disconnect', (why) => {
      clearTimeout(timer);
      resolve({ told, why });
    });
  });
}

async function stillUp(socket, ms = 300) {
  await new Promise((r) => setTimeout(r, ms));
  return socket.connected;
}

async function login(user) {
  const r = await api('POST', '/api/auth/login', { body: { login: user.username, password: user.password } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

const cluster = new Cluster();
before(async () => { await cluster.start(); });
after(async () => { await cluster.stop(); });

test('logout ends this device: its token is refused on REST and its socket closes, other devices stay', async () => {
  const user = await newUser('so');
  const phone = await login(user);
  const sPhone = await connect(phone);
  const sLaptop = await connect(user.token);
  try {
    const closing = ended(sPhone);
    const r = await api('POST', '/api/auth/logout', { token: phone });
    assert.equal(r.status, 204, r.text);
    const { told, why } = await closing;
    assert.deepEqual(told, { reason: 'ended' });
    assert.equal(why, 'io server disconnect');
    assertError(assert, await api('GET', '/api/me', { token: phone }), 401, 'unauthorized');
    assertError(assert, await api('POST', '/api/auth/logout', { token: phone }), 401, 'unauthorized');
    await assert.rejects(connect(phone), (e) => e.data?.code === 'unauthorized');
    assert.ok(await stillUp(sLaptop), 'the other device stays connected');
    assert.equal((await api('GET', '/api/me', { token: user.token })).status, 200);
  } finally {
    sPhone.close();
    sLaptop.close();
  }
});

test('log out everywhere closes every socket of the user on both bridges, and no one else\'s', async () => {
  const user = await newUser('se');
  const other = await newUser('sx');
  const second = await login(user);
  const sockets = [
    await connect(user.token, { url: cluster.url('a') }),
    await connect(second, { url: cluster.url('b') }),
    await connect(second, { url: cluster.url('a'), transports: ['polling'] }),
  ];
  const bystander = await connect(other.token, { url: cluster.url('b') });
  try {
    const closing = sockets.map((s) => ended(s));
    const r = await api('POST', '/api/auth/logout-all', { token: user.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { sessionsEnded: 2 });
    for (const { told } of await Promise.all(closing)) assert.deepEqual(told, { reason: 'ended' });
    for (const token of [user.token, second])
      assertError(assert, await api('GET', '/api/conversations', { token }), 401, 'unauthorized');
    assert.ok(await stillUp(bystander), 'another user is not touched');
  } finally {
    for (const s of [...sockets, bystander]) s.close();
  }
});

test('a password change ends the other devices and keeps this one; a wrong current password changes nothing', async () => {
  const user = await newUser('sp');
  const other = await login(user);
  const sThis = await connect(user.token, { url: cluster.url('a') });
  const sOther = await connect(other, { url: cluster.url('b') });
  try {
    let r = await api('POST', '/api/auth/password', { token: user.token, body: { currentPassword: 'not it at all', newPassword: 'a brand new password' } });
    assertError(assert, r, 403, 'forbidden');
    assert.ok(await stillUp(sOther), 'a refused change ends nothing');
    r = await api('POST', '/api/auth/password', { token: user.token, body: { currentPassword: user.password, newPassword: 'short' } });
    assertError(assert, r, 400, 'bad_request');
    r = await api('POST', '/api/auth/password', { token: user.token, body: { currentPassword: user.password } });
    assertError(assert, r, 400, 'bad_request');

    const closing = ended(sOther);
    r = await api('POST', '/api/auth/password', { token: user.token, body: { currentPassword: user.password, newPassword: 'a brand new password' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { sessionsEnded: 1 });
    assert.deepEqual((await closing).told, { reason: 'ended' });
    assert.ok(await stillUp(sThis), 'the device that changed the password stays');
    assertError(assert, await api('GET', '/api/me', { token: other }), 401, 'unauthorized');
    assert.equal((await api('GET', '/api/me', { token: user.token })).status, 200);
    r = await api('POST', '/api/auth/login', { body: { login: user.username, password: user.password } });
    assertError(assert, r, 401, 'unauthorized');
    r = await api('POST', '/api/auth/login', { body: { login: user.username, password: 'a brand new password' } });
    assert.equal(r.status, 200);
  } finally {
    sThis.close();
    sOther.close();
  }
});

test('the sessions list shows each device, the current one marked', async () => {
  const user = await newUser('sl');
  await login(user);
  const r = await api('GET', '/api/auth/sessions', { token: user.token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.sessions.length, 2);
  assert.equal(r.json.sessions.filter((s) => s.current).length, 1);
  assertError(assert, await api('GET', '/api/auth/sessions'), 401, 'unauthorized');
});

test('a socket closes when its token expires, and sends nothing after', async () => {
  const user = await newUser('sz');
  const friend = await newUser('sf');
  const chat = await directChat(user, friend);
  const now = Math.floor(Date.now() / 1000);
  const token = signToken({ sub: user.user.id, iat: now, exp: now + 3 });
  const socket = await connect(token);
  try {
    const sent = await call(socket, 'send_message', { conversationId: chat.id, content: 'before expiry', clientId: 'e1' });
    assert.ok(sent.id, JSON.stringify(sent));
    const started = Date.now();
    const { told } = await ended(socket, 7000);
    assert.deepEqual(told, { reason: 'expired' });
    const waited = (Date.now() - started) / 1000;
    assert.ok(waited <= 5, `closed ${waited.toFixed(1)} s after connecting, for a token with 3 s left`);
    await assert.rejects(connect(token), (e) => e.data?.code === 'unauthorized');
  } finally {
    socket.close();
  }
});

test('a deleted user\'s sockets close on every bridge', async () => {
  const user = await newUser('sd');
  const sa = await connect(user.token, { url: cluster.url('a') });
  const sb = await connect(user.token, { url: cluster.url('b') });
  try {
    const closing = [ended(sa), ended(sb)];
    psql(`DELETE FROM chat.users WHERE id = '${user.user.id}'`);
    for (const { told } of await Promise.all(closing)) assert.deepEqual(told, { reason: 'ended' });
  } finally {
    sa.close();
    sb.close();
  }
});

test('a forged sessions_ended only makes the client log in again: its token still works', async () => {
  const user = await newUser('sg');
  const socket = await connect(user.token);
  try {
    const closing = ended(socket);
    psql(`NOTIFY chat, '{"type":"sessions_ended","userId":"${user.user.id}","all":true}'`);
    await closing;
    const again = await connect(user.token);
    again.close();
    // malformed ones end nothing
    const other = await connect(user.token);
    psql(`NOTIFY chat, '{"type":"sessions_ended","userId":"${user.user.id}"}'`);
    psql(`NOTIFY chat, '{"type":"sessions_ended"'`);
    assert.ok(await stillUp(other, 500));
    other.close();
  } finally {
    socket.close();
  }
});
