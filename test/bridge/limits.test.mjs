// Limits a single client can't push past. A socket sends at most PGCHAT_SOCKET_EVENT_RATE events a
// second (default 100, in bursts of 200); the rest are answered rate_limited and do nothing, the
// flooder's peers are not slowed, and the socket may go on once it slows down. Logins and
// registrations pass the credential guard: per address and per login name, 429 with Retry-After.
// The guard is tested on a bridge of this file's own with small limits and a 4 s window, behind a
// "proxy" (PGCHAT_TRUST_PROXY), so each case comes from an address of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BASE, newUser, psql } from './helpers.mjs';
import { connect, call, collect, directChat, sleep } from './realtime_helpers.mjs';
import { freePort, startBridge, stopBridge, waitHealthy } from './bridge_process.mjs';

const WINDOW_S = 4;
let guarded = null;
let url = '';
before(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  guarded = startBridge(port, {
    log: 'bridge-limits-test.log',
    env: {
      PGCHAT_TRUST_PROXY: '1', PGCHAT_LIMIT_WINDOW_S: String(WINDOW_S), PGCHAT_LOGIN_NAME_LIMIT: '5',
      PGCHAT_LOGIN_ADDRESS_LIMIT: '1000', PGCHAT_REGISTER_ADDRESS_LIMIT: '3',
    },
  });
  await waitHealthy(url);
});
after(async () => {
  assert.equal(await stopBridge(guarded), 0, 'the guarded bridge exits cleanly');
});

const address = () => `198.51.100.${1 + (randomBytes(1)[0] % 250)}`;
async function post(path, body, from) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.9, ${from}` },
    body: JSON.stringify(body),
  });
  return { status: r.status, retryAfter: r.headers.get('retry-after'), json: await r.json().catch(() => null) };
}

test('a socket flooding events is refused past its rate, stores nothing extra, and others are not slowed', async () => {
  const flooder = await newUser('lf');
  const peer = await newUser('lp');
  const other = await newUser('lo');
  const flood = await directChat(flooder, peer);
  const calm = await directChat(other, peer);
  const sf = await connect(flooder.token);
  const so = await connect(other.token);
  const sp = await connect(peer.token);
  try {
    const received = collect(sp, 'message_received');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 600 }, (_, i) =>
      call(sf, 'send_message', { conversationId: flood.id, content: `flood ${i}`, clientId: `f${i}` }, 15000)));
    const elapsed = Date.now() - started;
    const refused = answers.filter((a) => a.error?.code === 'rate_limited').length;
    const stored = answers.filter((a) => a.id).length;
    assert.equal(refused + stored, 600, JSON.stringify(answers.find((a) => !a.id && a.error?.code !== 'rate_limited')));
    // a burst of 200 and 100 a second for the time the flood took, and at most
    // PGCHAT_SOCKET_MAX_CALLS (32) waiting for the database at once
    assert.ok(stored >= 32 && stored <= 200 + Math.ceil(elapsed / 10) + 5, `stored ${stored} in ${elapsed} ms`);
    assert.ok(refused >= 600 - stored, `${refused} refused`);
    assert.equal(Number(psql(`SELECT count(*) FROM chat.messages WHERE conversation_id = '${flood.id}'`)), stored,
      'a refused send stores nothing');
    console.log(`# socket flood: 600 sends in ${elapsed} ms, ${stored} stored, ${refused} refused rate_limited`);

    // someone else's message still goes through at once
    const t0 = Date.now();
    const mine = await call(so, 'send_message', { conversationId: calm.id, content: 'still here', clientId: 'c1' });
    assert.ok(mine.id, JSON.stringify(mine));
    await received.wait(stored + 1, 10000);
    console.log(`# another user's send during the flood: acked in ${Date.now() - t0} ms`);

    // the flooder, slowed down, is served again
    await sleep(1100);
    const again = await call(sf, 'send_message', { conversationId: flood.id, content: 'calm now', clientId: 'f-after' });
    assert.ok(again.id, JSON.stringify(again));
  } finally {
    sf.close();
    so.close();
    sp.close();
  }
});

test('100 wrong passwords for one account: 429s after the fifth, and the right one works after the window', async () => {
  const victim = await newUser('lv');
  const from = address();
  const started = Date.now();
  // in bursts of 20 at once: attempts are counted before the password is checked, so a burst
  // can't slip more guesses through than one by one
  const answers = [];
  for (let burst = 0; burst < 5; burst++)
    answers.push(...await Promise.all(Array.from({ length: 20 }, (_, i) =>
      post('/api/auth/login', { login: victim.username, password: `guess ${burst}-${i}` }, from))));
  const elapsed = Date.now() - started;
  const wrong = answers.filter((a) => a.status === 401).length;
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(wrong, 5, 'five guesses reach the database');
  assert.equal(limited.length, 95);
  for (const a of limited) {
    assert.equal(a.json?.error?.code, 'rate_limited');
    assert.ok(Number(a.retryAfter) >= 1 && Number(a.retryAfter) <= WINDOW_S, `Retry-After ${a.retryAfter}`);
  }
  console.log(`# 100 wrong passwords in ${elapsed} ms: ${wrong} answered 401, ${limited.length} answered 429`);
  // the name is locked for the window, whatever the case it is typed in
  assert.equal((await post('/api/auth/login', { login: victim.username.toUpperCase(), password: victim.password }, address())).status, 429);
  await sleep(Number(limited.at(-1).retryAfter) * 1000 + 200);
  const right = await post('/api/auth/login', { login: victim.username, password: victim.password }, from);
  assert.equal(right.status, 200, 'the right password works once the window is over');
  assert.ok(right.json.token);
});

test('registrations are limited per address, not for everyone', async () => {
  const from = address();
  const register = (f) => post('/api/auth/register', { username: `lr${randomBytes(4).toString('hex')}`, email: `${randomBytes(4).toString('hex')}@example.test`, password: 'long enough password' }, f);
  for (let i = 0; i < 3; i++) assert.equal((await register(from)).status, 201);
  const fourth = await register(from);
  assert.equal(fourth.status, 429);
  assert.equal(fourth.json.error.code, 'rate_limited');
  assert.ok(Number(fourth.retryAfter) >= 1);
  assert.equal((await register(address() === from ? '192.0.2.1' : address())).status, 201, 'another address registers');
});

test('a login flood does not slow message traffic', async () => {
  const sender = await newUser('lm');
  const reader = await newUser('ln');
  const chat = await directChat(sender, reader);
  const socket = await connect(sender.token, { url });
  try {
    // 60 logins at once on the same bridge: each one hashes (argon2id) on the slow pool
    const flood = Promise.all(Array.from({ length: 60 }, (_, i) => post('/api/auth/login', { login: `nobody${i}${randomBytes(3).toString('hex')}`, password: 'wrong one' }, address())));
    const times = [];
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      const ack = await call(socket, 'send_message', { conversationId: chat.id, content: `during the flood ${i}`, clientId: `lf${i}` });
      assert.ok(ack.id, JSON.stringify(ack));
      times.push(Date.now() - t0);
    }
    await flood;
    times.sort((a, b) => a - b);
    console.log(`# sends during 60 concurrent logins: median ${times[5]} ms, max ${times[9]} ms`);
    assert.ok(times[5] < 1000, `median send ${times[5]} ms`);
  } finally {
    socket.close();
  }
});

test('a polling body of more than 256 packets is refused and ends its session; 256 pass', async () => {
  const open = async () => {
    const r = await fetch(`${BASE}/socket.io/?EIO=4&transport=polling`);
    const text = await r.text();
    return JSON.parse(text.slice(1)).sid;
  };
  const post = (sid, count) => fetch(`${BASE}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body: Array(count).fill('3').join('\x1e'), // pong packets: valid, and nothing for the server to do
  });
  const sid = await open();
  assert.equal((await post(sid, 256)).status, 200);
  const over = await post(sid, 257);
  assert.equal(over.status, 400);
  await over.text();
  const after = await fetch(`${BASE}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(after.status, 400, 'the session is gone');
  await after.text();
});

test('a user holds at most 16 sockets on a bridge; the 17th CONNECT is refused until one closes', async () => {
  const user = await newUser('lc');
  const sockets = [];
  try {
    for (let i = 0; i < 16; i++) sockets.push(await connect(user.token));
    await assert.rejects(connect(user.token), (error) => {
      assert.equal(error.data?.code, 'rate_limited');
      assert.match(error.message, /too many connections/);
      return true;
    });
    sockets.pop().close();
    await sleep(200);
    sockets.push(await connect(user.token));
    // another user is not counted against this one
    const other = await newUser('ld');
    const theirs = await connect(other.token);
    theirs.close();
  } finally {
    for (const s of sockets) s.close();
  }
});
