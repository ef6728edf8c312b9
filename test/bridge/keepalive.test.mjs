// HTTP persistence (RFC 9112 section 9) and chunked request bodies against the bridge: every
// answer says whether its connection stays open, and the bridge then does what it said. Keep-alive
// clients (node's http.Agent, a raw socket) make two and then ten requests on one connection across
// REST, static files and Engine.IO polling; "Connection: close", HTTP/1.0, refusals and chunked
// bodies (good, oversized, malformed) are checked the same way. The idle timeout and the drain run
// against a bridge of this file's own (PGCHAT_KEEPALIVE_SECONDS=1), on a free port.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import { BASE, newUser, uniqueName } from './helpers.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const PORT = Number(new URL(BASE).port);
const COMMAND = (process.env.PGCHAT_TEST_BRIDGE || 'bridge/pgchat-bridge').split(' ').filter(Boolean);
const ARTIFACTS = process.env.PGCHAT_ARTIFACTS || `${ROOT}test/artifacts`;
const LOG = `${ARTIFACTS}/bridge-keepalive-test.log`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- a raw HTTP/1.x connection: requests written by hand, answers parsed by length ----------

class Raw {
  static open(port = PORT) {
    return new Promise((resolve, reject) => {
      const raw = new Raw();
      raw.socket = net.connect(port, '127.0.0.1', () => resolve(raw));
      raw.socket.once('error', reject);
    });
  }

  constructor() {
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    this.waiters = [];
  }

  set socket(socket) {
    this._socket = socket;
    socket.on('data', (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.wake(); });
    socket.on('end', () => { this.ended = true; this.wake(); });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', () => { this.ended = true; this.wake(); });
  }

  get socket() { return this._socket; }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  changed(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  // One answer: {version, status, headers (lower-case names), body}. Throws if the server closed.
  async read(ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        const [version, status] = head[0].split(' ');
        const headers = {};
        for (const line of head.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.subarray(end + 4, end + 4 + length).toString();
          this.buffer = this.buffer.subarray(end + 4 + length);
          return { version, status: Number(status), headers, body };
        }
      }
      if (this.ended) throw new Error(`connection closed before a whole answer: ${this.buffer}`);
      if (Date.now() > deadline) throw new Error(`no answer in ${ms} ms: ${this.buffer}`);
      await this.changed(deadline - Date.now());
    }
  }

  async request(text) {
    this.socket.write(text);
    return this.read();
  }

  // Whether the server closes this connection within `ms`.
  async closesWithin(ms) {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) await this.changed(deadline - Date.now());
    return this.ended;
  }

  destroy() { this.socket.destroy(); }
}

function get(path, extra = '') {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
}

function post(path, body, extra = '') {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

// A body in the chunked coding, cut in pieces of `size` bytes.
function chunked(text, size = 7) {
  let out = '';
  for (let i = 0; i < text.length; i += size) {
    const piece = text.slice(i, i + size);
    out += `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

function chunkedPost(path, body, extra = '') {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Transfer-Encoding: chunked\r\n${extra}\r\n${body}`;
}

// The answer says keep-alive, and the connection is indeed left open.
async function assertKept(raw, answer) {
  assert.equal(answer.headers.connection?.toLowerCase() === 'close', false, `kept: ${JSON.stringify(answer.headers)}`);
  assert.match(answer.headers['keep-alive'] ?? '', /^timeout=\d+$/);
  assert.equal(await raw.closesWithin(150), false, 'the connection stays open after a keep-alive answer');
}

// The answer says close, and the server closes.
async function assertClosed(raw, answer) {
  assert.equal(answer.headers.connection, 'close', `close: ${JSON.stringify(answer.headers)}`);
  assert.equal(await raw.closesWithin(3000), true, 'the server closes after "Connection: close"');
}

// Every kind of answer the bridge makes, on one connection: REST, static files, Engine.IO polling
// (handshake, a POST, and a GET that has data waiting).
async function* mixedRequests(token) {
  let sid = null;
  for (let i = 0; ; i++) {
    switch (i % 7) {
      case 0: yield { text: get('/health'), status: 200 }; break;
      case 1: yield { text: get('/api/me', `Authorization: Bearer ${token}\r\n`), status: 200 }; break;
      case 2: yield { text: get('/'), status: 200 }; break;
      case 3: yield { text: get('/assets/app-1a2b3c.js'), status: 200 }; break;
      case 4: {
        const answer = yield { text: get('/socket.io/?EIO=4&transport=polling'), status: 200 };
        sid = JSON.parse(answer.body.slice(1)).sid;
        break;
      }
      case 5: yield { text: post(`/socket.io/?EIO=4&transport=polling&sid=${sid}`, `40${JSON.stringify({ token })}`), status: 200 }; break;
      default: yield { text: get(`/socket.io/?EIO=4&transport=polling&sid=${sid}`), status: 200 }; break;
    }
  }
}

async function rawSequence(count, token) {
  const raw = await Raw.open();
  const requests = mixedRequests(token);
  let answer;
  try {
    for (let i = 0; i < count; i++) {
      const { value } = await requests.next(answer);
      answer = await raw.request(value.text);
      assert.equal(answer.status, value.status, `request ${i + 1}: ${value.text.split('\r\n')[0]} -> ${answer.body}`);
      await assertKept(raw, answer);
    }
  } finally {
    raw.destroy();
  }
}

let user;
async function me() {
  user ??= await newUser('ka');
  return user;
}

test('a raw keep-alive socket makes two requests on one connection', async () => {
  await rawSequence(2, (await me()).token);
});

test('a raw keep-alive socket makes ten requests on one connection: REST, static, polling GET and POST', async () => {
  await rawSequence(10, (await me()).token);
});

test("node's keep-alive http.Agent reuses one socket for two and then ten requests", async () => {
  const { token } = await me();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set();
  const send = (method, path, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, method, path, agent,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'text/plain;charset=UTF-8' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text, reused: req.reusedSocket }));
    });
    req.on('response', (res) => ports.add(res.socket.localPort));
    req.on('error', reject);
    req.end(body);
  });
  try {
    for (const count of [2, 10]) {
      ports.clear();
      let sid = null;
      for (let i = 0; i < count; i++) {
        let r;
        switch (i % 6) {
          case 0: r = await send('GET', '/health'); break;
          case 1: r = await send('GET', '/api/conversations'); break;
          case 2: r = await send('GET', '/'); break;
          case 3: r = await send('GET', '/socket.io/?EIO=4&transport=polling'); sid = JSON.parse(r.body.slice(1)).sid; break;
          case 4: r = await send('POST', `/socket.io/?EIO=4&transport=polling&sid=${sid}`, `40${JSON.stringify({ token })}`); break;
          default: r = await send('GET', `/socket.io/?EIO=4&transport=polling&sid=${sid}`); break;
        }
        assert.equal(r.status, 200, r.body);
        assert.notEqual(r.headers.connection, 'close');
        if (i > 0) assert.equal(r.reused, true, `request ${i + 1} went on the pooled socket`);
      }
      assert.equal(ports.size <= 1, true, `${count} requests, ${ports.size} connections`);
      agent.destroy();
    }
  } finally {
    agent.destroy();
  }
});

test('pipelined requests in one write are answered in order, on the same connection', async () => {
  const raw = await Raw.open();
  raw.socket.write(get('/health') + get('/api/nope') + get('/'));
  const answers = [await raw.read(), await raw.read(), await raw.read()];
  assert.deepEqual(answers.map((a) => a.status), [200, 404, 200]);
  await assertKept(raw, answers[2]);
  raw.destroy();
});

test('a request pipelined behind one with a body: that answer says close, the rest is dropped, nothing spins', async () => {
  // lws 4.1 can't go on after a body with the next request already buffered (see http_server.c)
  const raw = await Raw.open();
  raw.socket.write(post('/api/auth/login', '{"login":') + get('/health'));
  const answer = await raw.read();
  assert.equal(answer.status, 400);
  await assertClosed(raw, answer);
  const started = Date.now();
  const fresh = await Raw.open();
  assert.equal((await fresh.request(get('/health'))).status, 200);
  assert.ok(Date.now() - started < 1000, 'the bridge answers at once afterwards');
  fresh.destroy();
});

test('"Connection: close" is answered with "Connection: close", the server closes, and a new connection works', async () => {
  for (const text of [get('/health', 'Connection: close\r\n'), get('/', 'Connection: keep-alive, close\r\n'),
    get('/socket.io/?EIO=4&transport=polling', 'Connection: close\r\n')]) {
    const raw = await Raw.open();
    const answer = await raw.request(text);
    assert.equal(answer.status, 200);
    await assertClosed(raw, answer);
  }
  const fresh = await Raw.open();
  const answer = await fresh.request(get('/health'));
  assert.equal(answer.status, 200);
  await assertKept(fresh, answer);
  fresh.destroy();
});

test('HTTP/1.0 closes unless it asks for keep-alive, which is answered "Connection: keep-alive"', async () => {
  const plain = await Raw.open();
  let answer = await plain.request('GET /health HTTP/1.0\r\n\r\n');
  assert.equal(answer.status, 200);
  await assertClosed(plain, answer);

  const kept = await Raw.open();
  for (const path of ['/health', '/', '/api/me']) {
    answer = await kept.request(`GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
    assert.equal(answer.headers.connection, 'keep-alive', path);
    await assertKept(kept, answer);
  }
  answer = await kept.request('GET /health HTTP/1.0\r\n\r\n');
  await assertClosed(kept, answer);
});

test('refusals after a whole request keep the connection; refusals before the body close it, and say so', async () => {
  const raw = await Raw.open();
  for (const [text, status] of [[get('/api/nope'), 404], [get('/nope.js'), 404],
    [`DELETE /api/auth/login HTTP/1.1\r\nHost: x\r\n\r\n`, 405], [post('/api/auth/login', '{"login":'), 400],
    [get('/socket.io/?EIO=4&transport=polling&sid=nope'), 400]]) {
    const answer = await raw.request(text);
    assert.equal(answer.status, status, text);
    await assertKept(raw, answer);
  }
  raw.destroy();

  const big = await Raw.open();
  const answer = await big.request('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{"login":"');
  assert.equal(answer.status, 413);
  await assertClosed(big, answer);
});

test('a chunked JSON body registers and logs in (raw socket), and the answer closes the connection', async () => {
  const username = uniqueName('ck');
  const body = JSON.stringify({ username, email: `${username}@example.test`, password: 'correct horse battery', displayName: 'Chunky' });
  let raw = await Raw.open();
  let answer = await raw.request(chunkedPost('/api/auth/register', chunked(body)));
  assert.equal(answer.status, 201, answer.body);
  assert.equal(JSON.parse(answer.body).user.username, username);
  await assertClosed(raw, answer);

  raw = await Raw.open();
  const login = JSON.stringify({ login: username, password: 'correct horse battery' });
  // extensions and a trailer field are allowed, and ignored
  const framed = chunked(login, 5).replace(/^5\r\n/, '5;ext=1\r\n').replace(/0\r\n\r\n$/, '0\r\nX-Trailer: yes\r\n\r\n');
  answer = await raw.request(chunkedPost('/api/auth/login', framed));
  assert.equal(answer.status, 200, answer.body);
  assert.equal(typeof JSON.parse(answer.body).token, 'string');
  await assertClosed(raw, answer);
});

test("node's http client sending a body without a length (chunked) is understood", async () => {
  const username = uniqueName('nc');
  const r = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, method: 'POST', path: '/api/auth/register',
      headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.write(`{"username":"${username}",`);
    setTimeout(() => req.end(`"email":"${username}@example.test","password":"correct horse battery","displayName":"N"}`), 50);
  });
  assert.equal(r.status, 201, r.body);
  assert.equal(r.headers.connection, 'close');
});

test('a chunked body over the limit is 413, refused at its first chunk size, and closes', async () => {
  for (const body of ['200000\r\n{"login":"', `${'80000\r\n'}${'x'.repeat(0x80000)}\r\n80001\r\n`]) {
    const raw = await Raw.open();
    const answer = await raw.request(chunkedPost('/api/auth/login', body));
    assert.equal(answer.status, 413);
    assert.equal(JSON.parse(answer.body).error.code, 'payload_too_large');
    await assertClosed(raw, answer);
  }
});

test('malformed chunk sizes and framings are 400 (501 for another coding), and close', async () => {
  const cases = [
    ['zz\r\n{}\r\n0\r\n\r\n', 400],
    ['-2\r\n{}\r\n0\r\n\r\n', 400],
    ['2\r\n{}}\r\n0\r\n\r\n', 400],
    ['2\n{}\r\n0\r\n\r\n', 400],
    [`${'0'.repeat(300)}2\r\n{}\r\n0\r\n\r\n`, 400],
  ];
  for (const [body, status] of cases) {
    const raw = await Raw.open();
    const answer = await raw.request(chunkedPost('/api/auth/login', body));
    assert.equal(answer.status, status, JSON.stringify(body));
    assert.equal(JSON.parse(answer.body).error.code, 'bad_request');
    await assertClosed(raw, answer);
  }
  let raw = await Raw.open();
  let answer = await raw.request(chunkedPost('/api/auth/login', '2\r\n{}\r\n0\r\n\r\n', 'Content-Length: 2\r\n'));
  assert.equal(answer.status, 400, 'Transfer-Encoding and Content-Length together');
  await assertClosed(raw, answer);
  raw = await Raw.open();
  answer = await raw.request('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
  assert.equal(answer.status, 501);
  assert.equal(JSON.parse(answer.body).error.code, 'not_implemented');
  await assertClosed(raw, answer);
  raw = await Raw.open();
  answer = await raw.request(get('/health'));
  assert.equal(answer.status, 200, 'the bridge is fine afterwards');
  raw.destroy();
});

test('a chunked Engine.IO polling POST is accepted', async () => {
  const raw = await Raw.open();
  const open = await raw.request(get('/socket.io/?EIO=4&transport=polling'));
  const { sid } = JSON.parse(open.body.slice(1));
  await assertKept(raw, open);
  const { token } = await me();
  const answer = await raw.request(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(`40${JSON.stringify({ token })}`)}`);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, 'ok');
  await assertClosed(raw, answer);
  const again = await Raw.open();
  const poll = await again.request(get(`/socket.io/?EIO=4&transport=polling&sid=${sid}`));
  assert.match(poll.body, /^40\{"sid":/);
  again.destroy();
});

// ---------- a bridge of this file's own: the idle timeout and the drain ----------

let own = null;
let ownPort = 0;
after(async () => {
  if (own && own.exitCode === null && own.signalCode === null) {
    own.kill('SIGKILL');
    await own.exited;
  }
});

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startOwnBridge() {
  const port = await freePort();
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = openSync(LOG, 'a');
  own = spawn(COMMAND[0], [...COMMAND.slice(1), '--port', String(port), '--listen', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, PGCHAT_KEEPALIVE_SECONDS: '1', PGCHAT_DRAIN_SECONDS: '10', PGCHAT_REDIS_URL: '' },
    stdio: ['ignore', log, log],
  });
  own.exited = new Promise((resolve) => own.once('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return (ownPort = port);
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error('the bridge of keepalive.test.mjs did not start');
}

test('an idle keep-alive connection is closed after the idle timeout it announced', async () => {
  const port = await startOwnBridge();
  const raw = await Raw.open(port);
  const answer = await raw.request(get('/health'));
  assert.equal(answer.headers['keep-alive'], 'timeout=1');
  const started = Date.now();
  assert.equal(await raw.closesWithin(5000), true, 'closed when idle');
  const waited = Date.now() - started;
  assert.ok(waited >= 700, `closed after ${waited} ms, not before the timeout`);
  const busy = await Raw.open(port);
  for (let i = 0; i < 4; i++) {     // a connection in use is not idle: 2 s of requests 0.4 s apart
    assert.equal((await busy.request(get('/health'))).status, 200);
    await sleep(400);
  }
  busy.destroy();
});

test('a draining bridge answers "Connection: close" on a kept-alive connection, then exits 0', async () => {
  const port = own ? ownPort : await startOwnBridge();
  const raw = await Raw.open(port);
  const first = await raw.request(get('/health'));
  assert.notEqual(first.headers.connection, 'close');
  // registrations in flight (argon2) hold the drain open while the kept connection asks again
  const base = `http://127.0.0.1:${port}`;
  const slow = Array.from({ length: 10 }, () => {
    const name = uniqueName('dr');
    return fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, email: `${name}@example.test`, password: 'correct horse battery', displayName: 'D' }) })
      .then((r) => r.status, () => 'error');
  });
  await sleep(30);
  own.kill('SIGTERM');
  await sleep(30);
  const answer = await raw.request(get('/api/me', 'Authorization: Bearer x\r\n'));
  assert.equal(answer.status, 503, answer.body);
  await assertClosed(raw, answer);
  await Promise.all(slow);
  const { code, signal } = await own.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
});
