// Helpers of the realtime tests: Socket.IO clients of the chat namespace (the npm
// socket.io-client, as the web client uses it), a client that keeps conversations the way the web
// client does (merge by id, sync from its last seq after every reconnect), and hand-made tokens.
import { io } from 'socket.io-client';
import { createHmac, randomUUID } from 'node:crypto';
import { BASE, api, psql } from './helpers.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves with a connected socket, or rejects with the connect_error.
export function connect(token, { url = BASE, transports = ['websocket'], reconnection = false, auth } = {}) {
  const socket = io(url, {
    auth: auth ?? (token === undefined ? undefined : { token }),
    transports,
    reconnection,
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      if (!reconnection) socket.close();
      if (!reconnection) reject(error);
    });
  });
}

// Emits with an ack, failing after ms.
export function call(socket, event, payload, ms = 5000) {
  return socket.timeout(ms).emitWithAck(event, payload);
}

// Collects every emit of event on socket; .wait(n) resolves when n arrived.
export function collect(socket, event) {
  const items = [];
  let waiters = [];
  socket.on(event, (item) => {
    items.push(item);
    waiters = waiters.filter((w) => (items.length >= w.n ? (w.resolve(items), false) : true));
  });
  items.wait = (n, ms = 5000) => {
    if (items.length >= n) return Promise.resolve(items);
    return new Promise((resolve, reject) => {
      const w = { n, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`${event}: ${items.length} of ${n} after ${ms} ms`)), ms);
    });
  };
  return items;
}

// A direct chat between a and b; returns the conversation.
export async function directChat(a, b) {
  const r = await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } });
  if (r.status !== 201) throw new Error(`create_conversation: ${r.status} ${r.text}`);
  return r.json;
}

export async function group(owner, others, name = 'group') {
  const r = await api('POST', '/api/conversations', {
    token: owner.token,
    body: { participantIds: others.map((u) => u.user.id), isGroup: true, name },
  });
  if (r.status !== 201) throw new Error(`create group: ${r.status} ${r.text}`);
  return r.json;
}

// A token signed with the instance's key, with the claims given (sub, iat, exp, iss, sid). Every
// token names a session: unless sid is given, one is opened for sub (or made up, for a sub that
// is no user).
export function signToken(claims) {
  const key = Buffer.from(psql("SELECT encode(key, 'hex') FROM chat.signing_key"), 'hex');
  const b64 = (x) => Buffer.from(x).toString('base64url');
  const sid = claims.sid ?? openSession(claims.sub, claims.exp);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ iss: 'pgchat', sid, ...claims }));
  const signature = createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

function openSession(userId, exp) {
  const uuid = /^[0-9a-f-]{36}$/;
  if (!uuid.test(String(userId)) || !Number.isInteger(exp)) return randomUUID();
  const id = psql(`INSERT INTO chat.sessions (user_id, expires_at) SELECT id, to_timestamp(${exp}) FROM chat.users WHERE id = '${userId}' RETURNING id`);
  return id.split('\n')[0] || randomUUID(); // psql adds the INSERT tag after the row
}

// One device of a user that behaves like the web client: reconnects by itself, and after every
// reconnect syncs each conversation from the last seq it holds; messages are merged by id.
export class Device {
  constructor(user, { url = BASE, transports = ['websocket'] } = {}) {
    this.user = user;
    this.messages = new Map(); // conversationId -> Map(id -> message)
    this.deliveries = 0; // message_received events, duplicates included
    this.connects = 0;
    this.socket = io(url, {
      auth: { token: user.token },
      transports,
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0,
    });
    this.socket.on('message_received', (m) => {
      this.deliveries++;
      this.merge([m]);
    });
    this.socket.on('connect', () => {
      this.connects++;
      if (this.connects > 1) this.sync().catch(() => {});
    });
    // A CONNECT the server refused (the database was away: "unavailable") is not retried by
    // socket.io itself; the web client tries again, and so does this device.
    this.socket.on('connect_error', (error) => {
      if (error?.data?.code && error.data.code !== 'unauthorized' && !this.closed)
        setTimeout(() => { if (!this.closed && !this.socket.connected) this.socket.connect(); }, 200);
    });
    this.ready = new Promise((resolve) => this.socket.once('connect', resolve));
  }

  merge(list) {
    for (const m of list) {
      if (!this.messages.has(m.conversationId)) this.messages.set(m.conversationId, new Map());
      this.messages.get(m.conversationId).set(m.id, m);
    }
  }

  lastSeq(conversationId) {
    let last = 0;
    for (const m of this.messages.get(conversationId)?.values() ?? []) last = Math.max(last, m.seq);
    return last;
  }

  // Syncs the conversations it knows (and those given) until the server has no more.
  async sync(conversationIds = []) {
    for (;;) {
      const conversations = {};
      for (const id of new Set([...this.messages.keys(), ...conversationIds])) conversations[id] = this.lastSeq(id);
      const answer = await call(this.socket, 'sync', { conversations });
      if (answer.error) throw new Error(answer.error.message);
      this.merge(answer.messages);
      if (!answer.hasMore) return;
    }
  }

  // Sends until acked (the same clientId every time, as the web client retries).
  async sendUntilAcked(conversationId, content, clientId, deadline = Date.now() + 60000) {
    while (Date.now() < deadline) {
      if (this.socket.connected) {
        try {
          const ack = await call(this.socket, 'send_message', { conversationId, content, clientId }, 2000);
          if (ack && ack.id) return ack;
        } catch {
          /* no ack in time: the bridge or the database is away; try again */
        }
      }
      await sleep(100);
    }
    throw new Error(`send ${clientId}: not acked in time`);
  }

  sorted(conversationId) {
    return [...(this.messages.get(conversationId)?.values() ?? [])].sort((x, y) => x.seq - y.seq);
  }

  close() {
    this.closed = true;
    this.socket.close();
  }
}
