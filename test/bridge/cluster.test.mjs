// Two bridges side by side on one database and one Redis (docs/presence.md): a message, typing
// and presence cross from one to the other; a bridge killed with SIGKILL takes its users offline
// on the other within 15 s; Redis stopped in the middle leaves chat working, and presence comes
// back when Redis does. The bridges and the redis-server are this file's own (see cluster.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, connect, nextEvent, noEvent, register, befriend, keepContact } from './cluster.mjs';

const cluster = new Cluster();
let alice, bob, conversationId;

before(async () => {
  await cluster.start();
  alice = await register(cluster.url('a'), 'ca');
  bob = await register(cluster.url('a'), 'cb');
  conversationId = await befriend(cluster.url('a'), alice, bob);
  // alice shows her last seen to the contacts she keeps (the default setting): bob is one
  await keepContact(cluster.url('a'), alice, bob);
});

after(async () => {
  await cluster.stop();
});

test('a message sent on bridge a reaches its member on bridge b', { timeout: 20000 }, async () => {
  const sa = await connect(cluster.url('a'), alice.token);
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const received = nextEvent(sb, 'message_received', (m) => m.conversationId === conversationId);
    const ack = await sa.timeout(5000).emitWithAck('send_message', { conversationId, content: 'across bridges', clientId: `c-${Date.now()}` });
    assert.equal(ack.content, 'across bridges', JSON.stringify(ack));
    const message = await received;
    assert.equal(message.id, ack.id);
    assert.equal(message.sender_id, alice.user.id);
  } finally {
    sa.close();
    sb.close();
  }
});

test('typing on bridge a is seen on bridge b, then its stop', { timeout: 20000 }, async () => {
  const sa = await connect(cluster.url('a'), alice.token);
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const typing = nextEvent(sb, 'user_typing');
    sa.emit('typing', { conversationId });
    assert.deepEqual(await typing, { userId: alice.user.id, username: alice.username, conversationId });
    const stop = nextEvent(sb, 'user_stop_typing');
    sa.emit('stop_typing', { conversationId });
    assert.deepEqual(await stop, { userId: alice.user.id, conversationId });
    await noEvent(sa, 'user_typing', 300); // the sender is not told of its own typing
  } finally {
    sa.close();
    sb.close();
  }
});

test('typing stops when its sender disconnects without a stop', { timeout: 20000 }, async () => {
  const sa = await connect(cluster.url('a'), alice.token);
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const typing = nextEvent(sb, 'user_typing');
    sa.emit('typing', { conversationId });
    await typing;
    const started = Date.now();
    const stop = nextEvent(sb, 'user_stop_typing', null, 3000);
    sa.io.engine.close(); // gone without a stop
    await stop;
    assert.ok(Date.now() - started < 2000, `stopped after ${Date.now() - started} ms`);
  } finally {
    sa.close();
    sb.close();
  }
});

// A deployment runs Redis with requirepass (compose and k8s do): the bridges' one Redis link
// authenticates, presence works through it, and /health reads that same link.
test('Redis with a password: /health on both bridges says Redis is up, and presence works through it', { timeout: 20000 }, async () => {
  assert.ok(cluster.redisPassword, 'the cluster Redis asks for a password');
  for (const name of ['a', 'b']) {
    const health = await cluster.waitHealth(name, (h) => h.redis === 'ok', 10000);
    assert.deepEqual(health, { status: 'ok', database: 'ok', redis: 'ok' });
  }
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const online = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && p.online);
    const sa = await connect(cluster.url('a'), alice.token);
    assert.equal((await online).online, true, 'alice on bridge a is seen online on bridge b');
    const offline = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && !p.online);
    sa.close();
    await offline;
  } finally {
    sb.close();
  }
});

test('presence crosses bridges: online, users_online, offline with lastSeen', { timeout: 20000 }, async () => {
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const online = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && p.online);
    const sa = await connect(cluster.url('a'), alice.token);
    assert.deepEqual(await online, { userId: alice.user.id, online: true, lastSeen: null });

    const list = nextEvent(sb, 'users_online');
    sb.emit('user_online');
    assert.ok((await list).includes(alice.user.id));

    const offline = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && !p.online);
    sa.close();
    const gone = await offline;
    assert.match(gone.lastSeen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(gone.lastSeen) - Date.now()) < 10000);
    const stored = await cluster.lastSeen(alice.user.id);
    assert.equal(stored, gone.lastSeen.slice(0, 19), 'users.last_seen_at');
  } finally {
    sb.close();
  }
});

test('a user online on two bridges stays online until the last device goes', { timeout: 20000 }, async () => {
  const sb = await connect(cluster.url('b'), bob.token);
  const a1 = await connect(cluster.url('a'), alice.token);
  const a2 = await connect(cluster.url('b'), alice.token);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const offline = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && !p.online, 6000);
    a1.close();
    await noEvent(sb, 'presence', 1000);
    a2.close();
    await offline;
  } finally {
    sb.close();
  }
});

test('SIGTERM of bridge a: its users go offline on bridge b at once', { timeout: 60000 }, async () => {
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const online = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && p.online);
    await connect(cluster.url('a'), alice.token);
    await online;
    const offline = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && !p.online, 5000);
    const stopped = Date.now();
    const status = await cluster.terminate('a');
    await offline;
    assert.ok(Date.now() - stopped < 3000, `offline after ${Date.now() - stopped} ms`);
    assert.equal(status.code, 0, 'bridge a stopped cleanly');
  } finally {
    sb.close();
    await cluster.startBridge('a');
  }
});

test('kill -9 of bridge a: its users go offline on bridge b within 15 s, its typing ends', { timeout: 60000 }, async () => {
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    const online = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && p.online);
    const sa = await connect(cluster.url('a'), alice.token); // left connected: the bridge dies under it
    await online;
    const typing = nextEvent(sb, 'user_typing');
    sa.emit('typing', { conversationId });
    await typing;
    const typingEnds = nextEvent(sb, 'user_stop_typing', null, 9000);
    const offline = nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && !p.online, 20000);
    const killed = Date.now();
    cluster.kill('a');
    await typingEnds;
    const typingTook = Date.now() - killed;
    assert.ok(typingTook >= 3000 && typingTook <= 7000, `typing ended by itself after ${typingTook} ms`);
    await offline;
    const took = Date.now() - killed;
    assert.ok(took <= 15000, `offline after ${took} ms`);
    console.log(`# after kill -9: typing expired in ${typingTook} ms, offline on the other bridge in ${took} ms`);
  } finally {
    sb.close();
    await cluster.startBridge('a');
  }
});

test('Redis stopped: chat goes on, presence says unavailable; Redis back: presence rebuilds', { timeout: 90000 }, async () => {
  const sa = await connect(cluster.url('a'), alice.token);
  const sb = await connect(cluster.url('b'), bob.token);
  try {
    await new Promise((r) => setTimeout(r, 500));
    // the cluster's Redis asks for a password: the health check uses the bridge's own link, which has it
    for (const name of ['a', 'b']) {
      const health = await cluster.waitHealth(name, (h) => h.redis === 'ok', 10000);
      assert.equal(health.status, 'ok');
    }
    await cluster.stopRedis();
    for (const name of ['a', 'b']) {
      const health = await cluster.waitHealth(name, (h) => h.redis === 'down', 10000);
      assert.equal(health.status, 'degraded');
    }
    // chat goes on: messages travel through PostgreSQL, not Redis
    const received = nextEvent(sb, 'message_received', (m) => m.conversationId === conversationId);
    const ack = await sa.timeout(5000).emitWithAck('send_message', { conversationId, content: 'while Redis is down', clientId: `r-${Date.now()}` });
    assert.equal(ack.content, 'while Redis is down', JSON.stringify(ack));
    assert.equal((await received).id, ack.id);
    // presence says it is unavailable
    const answer = await sb.timeout(5000).emitWithAck('user_online');
    assert.equal(answer?.error?.code, 'unavailable', JSON.stringify(answer));

    // bridge a re-registers alice (published online); bridge b, once back, tells bob who is
    // online (users_online), since it may have missed that while it was cut off
    const back = Promise.any([
      nextEvent(sb, 'presence', (p) => p.userId === alice.user.id && p.online, 60000),
      nextEvent(sb, 'users_online', (ids) => ids.includes(alice.user.id), 60000),
    ]);
    await cluster.startRedis();
    await back;
    const list = nextEvent(sb, 'users_online');
    sb.emit('user_online');
    assert.ok((await list).includes(alice.user.id));
    for (const name of ['a', 'b']) assert.ok(cluster.alive(name), `bridge ${name} still running`);
  } finally {
    sa.close();
    sb.close();
  }
});
