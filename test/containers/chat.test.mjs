// The compose stack as a user meets it: two users chat through the published port (the proxy in
// front of two bridges) with the npm socket.io-client, REST, realtime and presence; then, while
// they keep sending, each bridge container is stopped in turn (a rolling restart) and the
// Postgres container is restarted. Every message the server acked must be stored once and reach
// the other user; the data outlives the database container.
// Run by run.sh, which builds and starts the stack: PGCHAT_CONTAINERS_URL is its published port,
// PGCHAT_CONTAINERS_SCRIPT the scripts/containers.sh that acts on its containers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';

const BASE = process.env.PGCHAT_CONTAINERS_URL;
const SCRIPT = process.env.PGCHAT_CONTAINERS_SCRIPT;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

// scripts/containers.sh on the test's project: service stop|start|restart NAME, health NAME.
// Asynchronous, so the clients go on talking (and answering pings) meanwhile.
async function containers(...args) {
  const { stdout } = await promisify(execFile)(SCRIPT, args, { encoding: 'utf8', timeout: 120000 });
  return stdout.trim();
}

async function waitHealthy(service, ms = 90000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { await containers('health', service); return; } catch (e) {
      if (Date.now() > deadline) throw new Error(`${service} not healthy after ${ms} ms: ${e.stderr ?? e.message}`);
    }
    await sleep(500);
  }
}

async function api(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: response.status, text, json };
}

async function register(prefix) {
  const username = `${prefix}${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery';
  const r = await api('POST', '/api/auth/register', { body: { username, email: `${username}@example.test`, password, displayName: prefix } });
  assert.equal(r.status, 201, r.text);
  return { ...r.json, username, password };
}

// One device as the web client behaves: reconnects by itself, syncs from its last seq after each
// reconnect, merges messages by id, and resends with the same clientId until acked.
class Device {
  constructor(user, transports) {
    this.user = user;
    this.messages = new Map(); // id -> message
    this.connects = 0;
    this.presence = [];
    this.socket = io(BASE, {
      auth: { token: user.token }, transports, forceNew: true,
      reconnectionDelay: 200, reconnectionDelayMax: 1000, randomizationFactor: 0,
    });
    this.socket.on('message_received', (m) => this.messages.set(m.id, m));
    this.socket.on('presence', (p) => this.presence.push(p));
    this.socket.on('connect', () => {
      this.connects++;
      if (this.connects > 1) this.sync().catch(() => {});
    });
    // a CONNECT the server refused while its database was away is not retried by socket.io itself
    this.socket.on('connect_error', (error) => {
      if (error?.data?.code && error.data.code !== 'unauthorized' && !this.closed)
        setTimeout(() => { if (!this.closed && !this.socket.connected) this.socket.connect(); }, 300);
    });
    this.ready = new Promise((resolve) => this.socket.once('connect', resolve));
  }

  lastSeq() {
    let last = 0;
    for (const m of this.messages.values()) if (m.conversationId === this.conversationId) last = Math.max(last, m.seq);
    return last;
  }

  async sync() {
    for (;;) {
      const answer = await this.socket.timeout(5000).emitWithAck('sync', { conversations: { [this.conversationId]: this.lastSeq() } });
      if (answer.error) throw new Error(answer.error.message);
      for (const m of answer.messages) this.messages.set(m.id, m);
      if (!answer.hasMore) return;
    }
  }

  async send(content, deadline = Date.now() + 120000) {
    const clientId = randomUUID();
    while (Date.now() < deadline) {
      if (this.socket.connected) {
        try {
          const ack = await this.socket.timeout(3000).emitWithAck('send_message', { conversationId: this.conversationId, content, clientId });
          if (ack?.id) return ack;
        } catch { /* no ack: the bridge or the database is away; again, with the same clientId */ }
      }
      await sleep(200);
    }
    throw new Error(`"${content}" not acked in time`);
  }

  close() {
    this.closed = true;
    this.socket.close();
  }
}

// Both users send, one message every ~150 ms each, until stopped; returns every ack.
function chatter(devices, tag) {
  let running = true;
  const acked = [];
  const loops = devices.map(async (device) => {
    for (let i = 0; running; i++) {
      acked.push(await device.send(`${tag} ${device.user.username} ${i}`));
      await sleep(150);
    }
  });
  return { acked, stop: async () => { running = false; await Promise.all(loops); return acked; } };
}

async function history(user, conversationId) {
  const all = [];
  for (let after = 0; ;) {
    const r = await api('GET', `/api/conversations/${conversationId}/messages?after=${after}&limit=100`, { token: user.token });
    assert.equal(r.status, 200, r.text);
    all.push(...r.json);
    if (r.json.length < 100) return all;
    after = r.json.at(-1).seq;
  }
}

// Every acked message is stored once, at the seq its ack gave, and each device ends up with it.
async function assertNothingLost(acked, devices, alice, conversationId) {
  const stored = await history(alice, conversationId);
  const byId = new Map(stored.map((m) => [m.id, m]));
  assert.equal(byId.size, stored.length, 'no message stored twice');
  for (const ack of acked) {
    assert.ok(byId.has(ack.id), `acked message ${ack.seq} "${ack.content}" is stored`);
    assert.equal(byId.get(ack.id).content, ack.content);
  }
  assert.equal(new Set(stored.map((m) => m.content)).size, stored.length, 'no resend stored twice');
  for (const device of devices) {
    await device.sync();
    for (const ack of acked) assert.ok(device.messages.has(ack.id), `${device.user.username} has "${ack.content}"`);
  }
  return stored.length;
}

describe('the compose stack', { skip: !BASE && 'run by test/containers/run.sh' }, () => {
  let alice, bob, conversationId, aliceDevice, bobDevice;

  before(async () => {
    alice = await register('alice');
    bob = await register('bob');
  });
  after(() => { aliceDevice?.close(); bobDevice?.close(); });

  test('serves the web app and REST through the published port', async () => {
    const page = await fetch(`${BASE}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const health = await api('GET', '/health');
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json, { status: 'ok', database: 'ok', redis: 'ok' });
    const login = await api('POST', '/api/auth/login', { body: { username: alice.username, password: alice.password } });
    assert.equal(login.status, 200, login.text);
    const me = await api('GET', '/api/me', { token: login.json.token });
    assert.equal(me.status, 200, me.text);
    const chat = await api('POST', '/api/conversations', { token: alice.token, body: { participantIds: [bob.user.id] } });
    assert.equal(chat.status, 201, chat.text);
    conversationId = chat.json.id;
    const first = await api('POST', `/api/conversations/${conversationId}/messages`, { token: alice.token, body: { content: 'hello over REST' } });
    assert.equal(first.status, 201, first.text);
  });

  test('realtime and presence: the two users see each other and each other\'s messages', { timeout: 30000 }, async () => {
    // bob as the web client connects (long-polling, then the upgrade), alice on a websocket
    bobDevice = new Device(bob, ['polling', 'websocket']);
    bobDevice.conversationId = conversationId;
    await bobDevice.ready;
    aliceDevice = new Device(alice, ['websocket']);
    aliceDevice.conversationId = conversationId;
    await aliceDevice.ready;
    for (let i = 0; i < 50 && !bobDevice.presence.some((p) => p.userId === alice.user.id && p.online); i++) await sleep(100);
    assert.ok(bobDevice.presence.some((p) => p.userId === alice.user.id && p.online), 'bob sees alice come online');
    const online = new Promise((resolve) => bobDevice.socket.once('users_online', resolve));
    bobDevice.socket.emit('user_online');
    assert.ok((await online).includes(alice.user.id), 'users_online lists alice');

    const ack = await aliceDevice.send('hello in realtime');
    for (let i = 0; i < 50 && !bobDevice.messages.has(ack.id); i++) await sleep(100);
    assert.equal(bobDevice.messages.get(ack.id)?.content, 'hello in realtime', 'bob receives it');
    const back = await bobDevice.send('hello back');
    for (let i = 0; i < 50 && !aliceDevice.messages.has(back.id); i++) await sleep(100);
    assert.ok(aliceDevice.messages.has(back.id), 'alice receives the answer');
    await bobDevice.sync();
    assert.equal(bobDevice.lastSeq(), 3, 'REST, then two over the socket');
  });

  test('a rolling restart of the bridges mid-conversation: the clients reconnect and nothing acked is lost', { timeout: 300000 }, async () => {
    const connects = [aliceDevice.connects, bobDevice.connects];
    const talk = chatter([aliceDevice, bobDevice], 'rolling');
    for (const bridge of ['bridge-1', 'bridge-2']) {
      await sleep(1500);
      let t = Date.now();
      await containers('service', 'stop', bridge);
      console.log(`# ${bridge} stopped in ${elapsed(t)}`);
      await sleep(3000); // the clients carry on with the other bridge
      t = Date.now();
      await containers('service', 'start', bridge);
      await waitHealthy(bridge);
      console.log(`# ${bridge} started and healthy in ${elapsed(t)}`);
    }
    await sleep(1500);
    const acked = await talk.stop();
    assert.ok(aliceDevice.connects > connects[0], 'alice reconnected');
    assert.ok(bobDevice.connects > connects[1], 'bob reconnected');
    const stored = await assertNothingLost(acked, [aliceDevice, bobDevice], alice, conversationId);
    console.log(`# ${acked.length} messages acked during the rolling restart; ${stored} stored in the chat`);
  });

  test('a restart of the Postgres container mid-conversation keeps the data and loses nothing acked', { timeout: 300000 }, async () => {
    const before = await history(alice, conversationId);
    const talk = chatter([aliceDevice, bobDevice], 'database');
    await sleep(1500);
    const t = Date.now();
    await containers('service', 'restart', 'postgres');
    await waitHealthy('postgres');
    console.log(`# postgres restarted and healthy in ${elapsed(t)}`);
    await sleep(3000);
    const acked = await talk.stop();
    const stored = await assertNothingLost(acked, [aliceDevice, bobDevice], alice, conversationId);
    const after = await history(alice, conversationId);
    for (const m of before) assert.ok(after.some((n) => n.id === m.id), `message ${m.seq} from before the restart is kept`);
    const login = await api('POST', '/api/auth/login', { body: { username: bob.username, password: bob.password } });
    assert.equal(login.status, 200, `bob logs in after the restart: ${login.text}`);
    console.log(`# ${acked.length} messages acked around the database restart; ${stored} stored in the chat`);
  });
});
