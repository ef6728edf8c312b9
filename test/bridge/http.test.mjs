// The HTTP contract of the REST face: refusals of malformed input, unknown routes and methods,
// body limits, CORS; nothing here reaches the database when the request is bad.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { api, BASE, newUser, assertError } from './helpers.mjs';

const ALLOWED = 'http://allowed.example';

test('malformed JSON is 400 bad_request', async () => {
  for (const body of ['{', '{"username": }', 'null', '"text"', '[]', '{"a":1,"a":2}']) {
    const r = await api('POST', '/api/auth/login', { body });
    assertError(assert, r, 400, 'bad_request');
  }
});

test('an empty body where one is needed is 400', async () => {
  assertError(assert, await api('POST', '/api/auth/login'), 400, 'bad_request');
});

test('invalid UTF-8 in a JSON body is 400', async () => {
  const body = Buffer.concat([Buffer.from('{"login":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","password":"xxxxxxxx"}')]);
  assertError(assert, await api('POST', '/api/auth/login', { body }), 400, 'bad_request');
  const overlong = Buffer.concat([Buffer.from('{"login":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('","password":"xxxxxxxx"}')]);
  assertError(assert, await api('POST', '/api/auth/login', { body: overlong }), 400, 'bad_request');
});

test('a NUL escaped in a JSON string is 400', async () => {
  assertError(assert, await api('POST', '/api/auth/login', { body: '{"login":"a\\u0000b","password":"xxxxxxxx"}' }), 400, 'bad_request');
});

test('invalid UTF-8 in the query string is 400', async () => {
  const user = await newUser();
  assertError(assert, await api('GET', '/api/users/search?q=%C3%28', { token: user.token }), 400, 'bad_request');
});

// Raw: the bridge answers as soon as it reads the length, and may close before a client like
// fetch has finished sending, which fetch reports as a network error.
function rawRequest(text) {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect(new URL(BASE).port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d) => { data += d; });
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    setTimeout(() => { socket.destroy(); resolve(data); }, 5000);
  });
}

test('a body over the limit is 413 payload_too_large, in JSON', async () => {
  const raw = await rawRequest('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{"login":"');
  assert.match(raw, /^HTTP\/1\.1 413/);
  assert.match(raw, /application\/json/);
  assert.match(raw, /\{"error":\{"code":"payload_too_large","message":"[^"]+"\}\}/);
  const health = await api('GET', '/health');
  assert.equal(health.status, 200);
});

test('a chunked body is decoded and checked like any other (keepalive.test.mjs has more)', async () => {
  const raw = await rawRequest('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 400/);
  assert.match(raw, /"code":"bad_request"/);
  assert.match(raw, /connection: close/i);
});

test('a body just under the limit is read whole', async () => {
  const body = JSON.stringify({ login: 'x'.repeat(1024 * 1024 - 100), password: 'xxxxxxxx' });
  const r = await api('POST', '/api/auth/login', { body });
  assert.ok([400, 401].includes(r.status), r.text);
});

test('an unknown route is 404 not_found', async () => {
  assertError(assert, await api('GET', '/api/nothing/here'), 404, 'not_found');
  assertError(assert, await api('GET', '/api/conversations/a/b/c/d/e/f/g/h/i'), 404, 'not_found');
});

test('a known route with the wrong method is 405 with Allow', async () => {
  const r = await api('PUT', '/api/me');
  assertError(assert, r, 405, 'method_not_allowed');
  assert.equal(r.headers.get('allow'), 'GET, PATCH');
  const login = await api('GET', '/api/auth/login');
  assertError(assert, login, 405, 'method_not_allowed');
  assert.equal(login.headers.get('allow'), 'POST');
});

test('a malformed id in the path is 400 before any database call', async () => {
  const user = await newUser();
  const r = await api('GET', '/api/conversations/not-a-uuid', { token: user.token });
  assertError(assert, r, 400, 'bad_request');
  assert.match(r.json.error.message, /id must be a UUID/);
});

test('CORS: an allowed origin gets its headers and a preflight', async () => {
  const r = await api('POST', '/api/auth/login', { body: '{', headers: { origin: ALLOWED } });
  assert.equal(r.headers.get('access-control-allow-origin'), ALLOWED);
  assert.equal(r.headers.get('vary'), 'Origin');
  const pre = await fetch(`${BASE}/api/conversations`, {
    method: 'OPTIONS',
    headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(pre.headers.get('access-control-allow-methods'), /PATCH/);
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
});

test('CORS: another origin gets no CORS headers and its preflight is refused', async () => {
  const r = await api('POST', '/api/auth/login', { body: '{', headers: { origin: 'http://evil.example' } });
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const pre = await fetch(`${BASE}/api/me`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
});

test('garbage on the socket does not hurt the bridge', async () => {
  await new Promise((resolve) => {
    const socket = net.connect(new URL(BASE).port, '127.0.0.1', () => {
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
      socket.write('GARBAGE /\r\n\r\n');
    });
    socket.on('error', resolve);
    socket.on('close', resolve);
    setTimeout(() => { socket.destroy(); resolve(); }, 2000);
  });
  const health = await api('GET', '/health');
  assert.equal(health.status, 200);
});

test('GET /health reports the database and Redis', async () => {
  const r = await api('GET', '/health');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { status: 'ok', database: 'ok', redis: 'ok' });
  assertError(assert, await api('POST', '/health'), 405, 'method_not_allowed');
});
