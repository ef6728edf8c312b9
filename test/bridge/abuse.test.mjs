// The abuse suite (issue 15): what one client can do to the bridge, each case with its figure
// (lines "# abuse: ..."). Memory is bounded by configuration whatever clients do, and everyone
// else goes on. Two bridges of this file's own, with small limits:
//   plain   no proxy: the outgoing budget (8 MiB), connections per peer, pre-CONNECT bounds,
//           calls in flight per socket
//   proxied PGCHAT_TRUST_PROXY=1, so X-Forwarded-For names the client: sessions per address,
//           the credential guard with a 3 s window
// RSS is read from /proc/<pid>/status of the bridge the test started; under ASan or valgrind it
// is printed, not bounded (their allocators keep freed memory). The bound every build must keep
// is the one the bridge counts itself: pgchat_queued_bytes never passes the budget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws'; // socket.io-client's own websocket library
import { io } from 'socket.io-client';
import { newUser, psql } from './helpers.mjs';
import { connect, call, collect, directChat, group, sleep } from './realtime_helpers.mjs';
import { freePort, startBridge, stopBridge, waitHealthy } from './bridge_process.mjs';

const MiB = 1024 * 1024;
const BUDGET = 8 * MiB;
const CONNECT_TIMEOUT_MS = 3000;
const ADDRESS_CONNECTIONS = 150;
const ADDRESS_SESSIONS = 20;
const WINDOW_S = 3;
const SANITIZED = /asan|valgrind/.test(process.env.PGCHAT_TEST_BRIDGE || '');
// The largest content the rules allow, made as big as JSON can make it: 65,536 characters that
// are each escaped to two bytes ('\' -> "\\"): 64 KiB stored, 128 KiB on the wire.
const BIG = '\\'.repeat(65536);

const plain = { url: '', child: null, port: 0 };
const proxied = { url: '', child: null, port: 0 };

before(async () => {
  plain.port = await freePort();
  plain.url = `http://127.0.0.1:${plain.port}`;
  plain.child = startBridge(plain.port, {
    log: 'bridge-abuse-test.log',
    env: {
      PGCHAT_QUEUE_BUDGET: String(BUDGET), PGCHAT_MAX_USER_SOCKETS: '64',
      PGCHAT_MAX_ADDRESS_CONNECTIONS: String(ADDRESS_CONNECTIONS), PGCHAT_MAX_ADDRESS_SESSIONS: '200',
      PGCHAT_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), PGCHAT_SOCKET_MAX_CALLS: '32',
    },
  });
  proxied.port = await freePort();
  proxied.url = `http://127.0.0.1:${proxied.port}`;
  proxied.child = startBridge(proxied.port, {
    log: 'bridge-abuse-proxied-test.log',
    env: {
      PGCHAT_TRUST_PROXY: '1', PGCHAT_MAX_ADDRESS_SESSIONS: String(ADDRESS_SESSIONS), PGCHAT_MAX_CONNECTIONS: '300',
      PGCHAT_LIMIT_WINDOW_S: String(WINDOW_S), PGCHAT_LOGIN_NAME_LIMIT: '5', PGCHAT_LOGIN_ADDRESS_LIMIT: '1000',
    },
  });
  await Promise.all([waitHealthy(plain.url), waitHealthy(proxied.url)]);
});
after(async () => {
  assert.equal(await stopBridge(plain.child), 0, 'the plain bridge exits cleanly');
  assert.equal(await stopBridge(proxied.child), 0, 'the proxied bridge exits cleanly');
});

// ---- measuring ----

function rssMiB(child) {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

// Every series of /metrics as name{labels} -> number.
async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}
const refused = (values, reason) => values[`pgchat_refused_total{reason="${reason}"}`];

// Samples RSS and queued bytes until stopped; .stop() gives the peaks.
function sampler(target) {
  const peak = { rss: rssMiB(target.child), queued: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      peak.rss = Math.max(peak.rss, rssMiB(target.child));
      const values = await metrics(target.url).catch(() => ({}));
      peak.queued = Math.max(peak.queued, values.pgchat_queued_bytes ?? 0);
      await sleep(50);
    }
  })();
  return { stop: async () => { running = false; await loop; return peak; } };
}

function assertMemory(baseline, peak, what) {
  assert.ok(peak.queued <= BUDGET, `${what}: queued ${peak.queued} bytes, budget ${BUDGET}`);
  if (!SANITIZED)
    assert.ok(peak.rss - baseline <= BUDGET / MiB + 48, `${what}: RSS grew ${(peak.rss - baseline).toFixed(1)} MiB`);
}

// A websocket of the socket.io client that stops reading: the kernel's buffers fill, then the
// bridge's queue for it.
function stopReading(socket) {
  socket.io.engine.transport.ws._socket.pause();
}

// Sends `count` messages in waves within the calls a socket may have in flight, and small enough
// for the sender's own queue (4 MiB): each ack carries the stored message back.
async function sendMany(socket, conversationId, count, content, prefix) {
  const acks = [];
  for (let at = 0; at < count; at += 5) {
    const wave = [];
    for (let i = at; i < Math.min(count, at + 5); i++)
      wave.push(call(socket, 'send_message', { conversationId, content, clientId: `${prefix}${i}` }, 30000));
    acks.push(...await Promise.all(wave));
  }
  return acks;
}

// ---- the cases ----

test('slow readers: many websockets that stop reading while big messages flow', async () => {
  const sender = await newUser('as');
  const normal = await newUser('an');
  const slow = [await newUser('ax'), await newUser('ay')];
  const room = await group(sender, [normal, ...slow], 'slow readers');
  const sockets = [];
  const ss = await connect(sender.token, { url: plain.url });
  const sn = await connect(normal.token, { url: plain.url });
  try {
    // half on websockets that stop reading, half on long-polling sessions that never poll again
    // (their packets wait in the bridge, not in the kernel's buffers)
    for (let i = 0; i < 24; i++) sockets.push(await connect(slow[0].token, { url: plain.url }));
    for (const s of sockets) stopReading(s);
    for (let i = 0; i < 24; i++) await polling(plain.url, slow[1].token);
    const delivered = collect(sn, 'message_received');
    const before = await metrics(plain.url);
    const baseline = rssMiB(plain.child);
    const watch = sampler(plain);
    const started = Date.now();
    const acks = await sendMany(ss, room.id, 40, BIG, 'slow');
    assert.equal(acks.filter((a) => a.id).length, 40, JSON.stringify(acks.find((a) => !a.id)));
    await delivered.wait(40, 30000);
    const elapsed = Date.now() - started;
    await sleep(300);
    const peak = await watch.stop();
    const afterwards = await metrics(plain.url);
    const dropped = refused(afterwards, 'budget') - refused(before, 'budget');
    const slowDropped = afterwards.pgchat_dropped_slow_readers_total - before.pgchat_dropped_slow_readers_total;
    console.log(`# abuse: slow readers: 24 websockets stopped reading and 24 polling sessions stopped polling, 40 messages of 128 KiB (${(48 * 40 * 128 / 1024).toFixed(0)} MiB owed): ` +
      `bridge RSS ${peak.rss.toFixed(0)} MiB (from ${baseline.toFixed(0)}), queued at most ${(peak.queued / MiB).toFixed(1)} MiB (budget ${BUDGET / MiB} MiB), ` +
      `${dropped} dropped for the budget, ${slowDropped} slow readers dropped; normal user delivered ${delivered.length}/40 in ${elapsed} ms`);
    assert.ok(dropped > 0, 'the budget dropped the largest holders');
    assertMemory(baseline, peak, 'slow readers');
  } finally {
    for (const s of sockets) s.close();
    ss.close();
    sn.close();
  }
});

// A request on a raw connection that reads the status line, then stops reading.
function slowRequest(port, path, token) {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`));
    socket.once('data', (chunk) => {
      socket.pause();
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1]) });
    });
    socket.on('error', () => resolve({ socket, status: 0 }));
  });
}

const READERS = 100;
test('the huge history request: 500 maximum-size messages, read slowly by many', async () => {
  const owner = await newUser('ah');
  const other = await newUser('ai');
  const chat = await directChat(owner, other);
  const normal = await newUser('aj');
  const peer = await newUser('ak');
  const calm = await directChat(normal, peer);
  const sn = await connect(normal.token, { url: plain.url });
  const sp = await connect(peer.token, { url: plain.url });
  const held = [];
  try {
    const t0 = Date.now();
    // through the API function the bridge calls (its content rules apply), in one statement:
    // sending them one by one is the slow-readers case's business, and would take a minute
    // under ASan
    assert.equal(psql(`SELECT count(chat.send_message('${owner.token}', '${chat.id}', repeat(E'\\\\', 65536), 'h' || g))
      FROM generate_series(1, 500) g`), '500');
    const stored = Date.now() - t0;
    const path = `/api/conversations/${chat.id}/messages?after=0&limit=500`;
    const page = await fetch(plain.url + path, { headers: { authorization: `Bearer ${owner.token}` } });
    const pageBytes = (await page.arrayBuffer()).byteLength;
    assert.equal(page.status, 200);

    const before = await metrics(plain.url);
    const baseline = rssMiB(plain.child);
    const watch = sampler(plain);
    const answers = await Promise.all(Array.from({ length: READERS }, () => slowRequest(plain.port, path, owner.token)));
    held.push(...answers.map((a) => a.socket));
    const received = collect(sp, 'message_received');
    const t1 = Date.now();
    const sent = await call(sn, 'send_message', { conversationId: calm.id, content: 'still here', clientId: 'calm' });
    assert.ok(sent.id, JSON.stringify(sent));
    await received.wait(1, 5000);
    const latency = Date.now() - t1;
    await sleep(500);
    const peak = await watch.stop();
    const afterwards = await metrics(plain.url);
    const ok = answers.filter((a) => a.status === 200).length;
    const busy = answers.filter((a) => a.status === 503).length;
    console.log(`# abuse: history: 500 messages of 65,536 '\\' stored in ${stored} ms; a page is ${(pageBytes / MiB).toFixed(2)} MiB; ` +
      `${READERS} slow readers: ${ok} answered 200, ${busy} answered 503; bridge RSS ${peak.rss.toFixed(0)} MiB (from ${baseline.toFixed(0)}), ` +
      `queued at most ${(peak.queued / MiB).toFixed(1)} MiB (budget ${BUDGET / MiB} MiB); normal user's message delivered in ${latency} ms`);
    assert.equal(ok + busy, READERS);
    // the kernel's socket buffers take most of each page first (about 2 MB a connection on
    // loopback): the budget acts when the rest passes it, and bounds it whatever happens
    if (busy > 0)
      assert.ok(refused(afterwards, 'budget') > refused(before, 'budget'), 'the budget refused answers');
    assertMemory(baseline, peak, 'history');
  } finally {
    for (const s of held) s.destroy();
    sn.close();
    sp.close();
  }
});

// A raw Engine.IO websocket that never CONNECTs; resolves with how it was closed, and when
// (from its open packet).
function strangerSocket(port, act) {
  return new Promise((resolve) => {
    let started = Date.now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on('message', (data) => {
      if (!String(data).startsWith('0')) return;
      started = Date.now();
      act(ws);
    });
    ws.on('error', () => {});
    ws.on('close', (code) => resolve({ code, ms: Date.now() - started }));
  });
}

test('a pre-CONNECT flood: attachments, big and half messages, idle sessions are bounded and closed', async () => {
  const before = await metrics(plain.url);
  const baseline = rssMiB(plain.child);
  const watch = sampler(plain);
  const MB = Buffer.alloc(MiB / 4, 'x'); // four times the bound
  const attach = (ws) => {
    ws.send('451-["upload",{"_placeholder":true,"num":0}]');
    ws.send(MB, { binary: true }, () => {});
  };
  const big = (ws) => ws.send(`4${MB.toString('latin1')}`, () => {});
  const half = (ws) => ws.send(MB, { fin: false }, () => {});
  const idle = () => {};
  const kinds = { attachments: attach, big, half, idle };
  const results = {};
  await Promise.all(Object.entries(kinds).map(async ([kind, act]) => {
    results[kind] = await Promise.all(Array.from({ length: 30 }, () => strangerSocket(plain.port, act)));
  }));
  const peak = await watch.stop();
  await sleep(200);
  const afterwards = await metrics(plain.url);
  const describe = (kind) => {
    const codes = [...new Set(results[kind].map((r) => r.code))].join('/');
    const ms = results[kind].map((r) => r.ms).sort((x, y) => x - y);
    return `${kind} closed ${codes} in ${ms[0]}-${ms.at(-1)} ms`;
  };
  console.log(`# abuse: pre-CONNECT flood: 4 x 30 websockets (256 KiB attachments, 256 KiB messages, 256 KiB half messages, idle): ` +
    `${Object.keys(kinds).map(describe).join('; ')}; ${refused(afterwards, 'pre_connect') - refused(before, 'pre_connect')} counted as ` +
    `pre-CONNECT refusals; bridge RSS ${peak.rss.toFixed(0)} MiB (from ${baseline.toFixed(0)}); sessions left ${afterwards.pgchat_engine_sessions}`);
  // 1009 (too big) when the close frame reaches a client still sending, else the bare close
  // (1006). The client's clock is no witness (it is busy masking what it sends), the bridge's
  // count is: the 30 announcing attachments and the 30 idle ones are pre-CONNECT refusals; a
  // big or half message closes its socket as soon as it arrives, or by the timeout when the
  // client is too slow to send it (counted then too)
  for (const r of [...results.big, ...results.half]) assert.ok([1006, 1009].includes(r.code), `closed ${r.code}`);
  assert.ok([...results.big, ...results.half].some((r) => r.code === 1009), 'a message past 64 KiB closes its socket');
  const counted = refused(afterwards, 'pre_connect') - refused(before, 'pre_connect');
  assert.ok(counted >= 60 && counted <= 120, `${counted} pre-CONNECT refusals`);
  assertMemory(baseline, peak, 'pre-CONNECT');
});

// GET on a connection from a source address of its own (127.0.0.2 is loopback too).
function getFrom(localAddress, port, path, headers = {}) {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.code }));
    req.end();
  });
}

test('a connection flood from one address is closed at accept; another address still connects and chats', async () => {
  const before = await metrics(plain.url);
  const flood = await Promise.all(Array.from({ length: 400 }, () => new Promise((resolve) => {
    const socket = netConnect(plain.port, '127.0.0.1');
    const started = Date.now();
    let open = true;
    socket.on('error', () => {});
    socket.on('close', () => { open = false; });
    setTimeout(() => resolve({ socket, open: () => open, started }), 300);
  })));
  try {
    const kept = flood.filter((f) => f.open()).length;
    const mine = await getFrom('127.0.0.1', plain.port, '/health');
    const theirs = await getFrom('127.0.0.2', plain.port, '/health');
    const a = await newUser('ac');
    const b = await newUser('ad');
    const chat = await directChat(a, b);
    const elsewhere = (user, localAddress) => io(plain.url, { auth: { token: user.token }, transports: ['websocket'],
      forceNew: true, reconnection: false, localAddress });
    const sa = elsewhere(a, '127.0.0.2');
    const sb = elsewhere(b, '127.0.0.3');
    await Promise.all([sa, sb].map((s) => new Promise((resolve, reject) => { s.once('connect', resolve); s.once('connect_error', reject); })));
    const received = collect(sb, 'message_received');
    const ack = await call(sa, 'send_message', { conversationId: chat.id, content: 'from elsewhere', clientId: 'x1' });
    await received.wait(1);
    sa.close();
    sb.close();
    const afterwards = await metrics(plain.url);
    const closed = refused(afterwards, 'address_connection_cap') - refused(before, 'address_connection_cap');
    console.log(`# abuse: connection flood: 400 connections from 127.0.0.1: ${kept} kept, ${closed} closed at accept (cap ${ADDRESS_CONNECTIONS}); ` +
      `127.0.0.1 /health: ${mine.status || mine.error}; 127.0.0.2 /health: ${theirs.status}, its message delivered`);
    assert.ok(kept <= ADDRESS_CONNECTIONS, `${kept} kept`);
    assert.ok(closed >= 400 - ADDRESS_CONNECTIONS);
    assert.equal(theirs.status, 200);
    assert.ok(ack.id);
  } finally {
    for (const f of flood) f.socket.destroy();
  }
  await sleep(200);
  assert.equal((await getFrom('127.0.0.1', plain.port, '/health')).status, 200, 'the address is served again once it lets go');
});

test('a handshake flood from one address is capped; the product stays up for others', async () => {
  const flooder = { 'x-forwarded-for': '203.0.113.7' };
  const before = await metrics(proxied.url);
  const started = Date.now();
  const statuses = [];
  for (let wave = 0; wave < 20; wave++)
    statuses.push(...await Promise.all(Array.from({ length: 50 }, () =>
      fetch(`${proxied.url}/socket.io/?EIO=4&transport=polling`, { headers: flooder }).then(async (r) => { await r.arrayBuffer(); return r.status; }))));
  const elapsed = Date.now() - started;
  const opened = statuses.filter((s) => s === 200).length;
  const capped = statuses.filter((s) => s === 429).length;
  const during = await metrics(proxied.url);
  // someone else, through the same proxy
  const a = await newUser('af');
  const b = await newUser('ag');
  const chat = await directChat(a, b);
  const t0 = Date.now();
  const options = (user, address) => ({ auth: { token: user.token }, transports: ['polling', 'websocket'], forceNew: true,
    reconnection: false, extraHeaders: { 'x-forwarded-for': address } });
  const sa = io(proxied.url, options(a, '203.0.113.8'));
  const sb = io(proxied.url, options(b, '203.0.113.9'));
  try {
    await Promise.all([sa, sb].map((s) => new Promise((resolve, reject) => { s.once('connect', resolve); s.once('connect_error', reject); })));
    const received = collect(sb, 'message_received');
    assert.ok((await call(sa, 'send_message', { conversationId: chat.id, content: 'hello', clientId: 'h1' })).id);
    await received.wait(1);
    const latency = Date.now() - t0;
    console.log(`# abuse: handshake flood: 1000 handshakes from one address in ${elapsed} ms: ${opened} opened, ${capped} answered 429 ` +
      `(cap ${ADDRESS_SESSIONS}); sessions open ${during.pgchat_engine_sessions}; two other addresses connected and chatted in ${latency} ms`);
    assert.equal(opened, ADDRESS_SESSIONS);
    assert.equal(capped, 1000 - ADDRESS_SESSIONS);
    assert.ok(refused(during, 'address_session_cap') - refused(before, 'address_session_cap') >= capped);
  } finally {
    sa.close();
    sb.close();
  }
});

test('100 wrong passwords for one account: 429s, and the right password works after the window', async () => {
  const victim = await newUser('av');
  const from = `198.51.100.${1 + (randomBytes(1)[0] % 250)}`;
  const post = async (password) => {
    const r = await fetch(`${proxied.url}/api/auth/login`, {
      method: 'POST', body: JSON.stringify({ login: victim.username, password }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    });
    return { status: r.status, retryAfter: Number(r.headers.get('retry-after')), json: await r.json() };
  };
  const started = Date.now();
  const answers = [];
  for (let burst = 0; burst < 5; burst++)
    answers.push(...await Promise.all(Array.from({ length: 20 }, (_, i) => post(`guess ${burst}-${i}`))));
  const elapsed = Date.now() - started;
  const wrong = answers.filter((a) => a.status === 401).length;
  const limited = answers.filter((a) => a.status === 429);
  assert.equal(wrong + limited.length, 100);
  assert.ok(limited.length >= 95, `${limited.length} answered 429`);
  await sleep(Math.max(...limited.map((a) => a.retryAfter)) * 1000 + 200);
  const right = await post(victim.password);
  console.log(`# abuse: 100 wrong passwords in ${elapsed} ms: ${wrong} answered 401, ${limited.length} answered 429 (Retry-After ` +
    `${Math.max(...limited.map((a) => a.retryAfter))} s); the right password after the window: ${right.status}`);
  assert.equal(right.status, 200);
  assert.ok(right.json.token);
});

// Engine.IO long-polling by hand: one POST may carry many packets.
async function polling(url, token) {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const at = `${base}&sid=${sid}`;
  const post = async (body) => (await fetch(at, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } })).status;
  const get = async () => (await (await fetch(at)).text()).split('\x1e');
  await post(`40${JSON.stringify({ token })}`);
  const connected = await get();
  assert.ok(connected.some((p) => p.startsWith('40{')), connected.join(' '));
  return { post, get };
}

test('an event flood in one polling POST is capped; other users are not slowed', async () => {
  const flooder = await newUser('ae');
  const target = await newUser('ab');
  const other = await newUser('ao');
  const peer = await newUser('ap');
  const flood = await directChat(flooder, target);
  const calm = await directChat(other, peer);
  const session = await polling(plain.url, flooder.token);
  const so = await connect(other.token, { url: plain.url });
  const sp = await connect(peer.token, { url: plain.url });
  try {
    const packets = Array.from({ length: 256 }, (_, i) =>
      `42${i}${JSON.stringify(['send_message', { conversationId: flood.id, content: `flood ${i}`, clientId: `pf${i}` }])}`);
    const started = Date.now();
    assert.equal(await session.post(packets.join('\x1e')), 200);
    const received = collect(sp, 'message_received');
    const t0 = Date.now();
    const mine = await call(so, 'send_message', { conversationId: calm.id, content: 'calm', clientId: 'calm' });
    assert.ok(mine.id);
    await received.wait(1);
    const latency = Date.now() - t0;
    const acks = new Map();
    while (acks.size < 256 && Date.now() - started < 20000)
      for (const p of await session.get()) {
        const m = /^43(\d+)(\[.*\])$/s.exec(p);
        if (m) acks.set(Number(m[1]), JSON.parse(m[2])[0]);
      }
    const stored = [...acks.values()].filter((a) => a.id).length;
    const limited = [...acks.values()].filter((a) => a.error?.code === 'rate_limited').length;
    console.log(`# abuse: event flood: 256 events in one polling POST: ${acks.size} acked in ${Date.now() - started} ms, ${stored} stored, ` +
      `${limited} refused rate_limited (32 calls in flight, 200 a burst); another user's send acked and delivered in ${latency} ms`);
    assert.equal(acks.size, 256);
    assert.equal(stored, 32, 'no more than the calls a socket may have in flight');
    assert.equal(limited, 256 - 32);
  } finally {
    so.close();
    sp.close();
  }
});
