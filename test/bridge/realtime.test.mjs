// Realtime chat over Socket.IO against a real bridge and PostgreSQL, with the npm
// socket.io-client: connect and its refusals, every client event and its ack, fan-out to every
// device of every member, membership changes, typing, large messages, catch-up with sync.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, newUser, psql } from './helpers.mjs';
import { call, collect, connect, directChat, group, signToken, sleep } from './realtime_helpers.mjs';

const open = [];
async function device(user, options) {
  const socket = await connect(user.token, options);
  open.push(socket);
  return socket;
}
after(() => open.forEach((s) => s.close()));

// No event may arrive: waits a little and checks the list did not grow.
async function nothingMore(list, count, ms = 300) {
  await sleep(ms);
  assert.equal(list.length, count, `unexpected: ${JSON.stringify(list.slice(count)).slice(0, 300)}`);
}

test('connect: missing, forged, expired and unknown-user tokens are refused with a reason', async () => {
  const user = await newUser('rt');
  const refusals = [
    [undefined, /missing token/],
    ['', /missing token/],
    ['not a token', /invalid or expired token/],
    [user.token.slice(0, -2) + (user.token.endsWith('AA') ? 'BB' : 'AA'), /invalid or expired token/],
    [signToken({ sub: user.user.id, iat: 1000, exp: 2000 }), /invalid or expired token/],
    [signToken({ sub: randomUUID(), iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }), /invalid or expired token/],
    ['x'.repeat(9000), /invalid token/],
  ];
  for (const [token, reason] of refusals) {
    const error = await connect(token).then(
      (s) => (s.close(), null),
      (e) => e,
    );
    assert.ok(error, `token ${String(token).slice(0, 20)} was accepted`);
    assert.match(error.message, reason);
    assert.equal(error.data?.code, 'unauthorized');
  }
  const auth = await connect(undefined, { auth: { token: 42 } }).catch((e) => e);
  assert.match(auth.message, /missing token/);
  // a token made by the extension's own rules is accepted
  const now = Math.floor(Date.now() / 1000);
  const ok = await device({ token: signToken({ sub: user.user.id, iat: now, exp: now + 60 }) });
  assert.ok(ok.connected);
});

test('two users chat: the ack is the stored message and the other side receives it once', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const sb = await device(b);
  const got = collect(sb, 'message_received');
  const ack = await call(sa, 'send_message', { conversationId: chat.id, content: 'hello b', clientId: 'c-1', senderId: b.user.id });
  assert.equal(ack.content, 'hello b');
  assert.equal(ack.sender_id, a.user.id, 'senderId from the client is never trusted');
  assert.equal(ack.conversationId, chat.id);
  assert.equal(ack.seq, 1);
  assert.equal(ack.clientId, 'c-1');
  for (const key of ['id', 'created_at', 'updatedAt', 'isEdited', 'isDeleted', 'replyTo']) assert.ok(key in ack, key);
  await got.wait(1);
  assert.deepEqual(got[0], ack);
  const back = await call(sb, 'send_message', { conversationId: chat.id, content: 'hi a', clientId: 'c-2', replyTo: ack.id });
  assert.equal(back.seq, 2);
  assert.equal(back.replyTo, ack.id);
  await nothingMore(got, 2); // b's own message comes back to b's socket too (merged by id)
  assert.equal(got[1].id, back.id);
});

test('a resend with the same clientId is acked with the first message and not delivered again', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const sb = await device(b);
  const got = collect(sb, 'message_received');
  const first = await call(sa, 'send_message', { conversationId: chat.id, content: 'once', clientId: 'same' });
  const again = await call(sa, 'send_message', { conversationId: chat.id, content: 'once', clientId: 'same' });
  assert.equal(again.id, first.id);
  assert.equal(again.seq, first.seq);
  await got.wait(1);
  await nothingMore(got, 1);
});

test('a group of five: every member receives every message, in seq order', async () => {
  const users = await Promise.all(Array.from({ length: 5 }, () => newUser('rt')));
  const chat = await group(users[0], users.slice(1), 'five');
  const sockets = await Promise.all(users.map((u) => device(u)));
  const lists = sockets.map((s) => collect(s, 'message_received'));
  const acks = [];
  for (let round = 0; round < 2; round++) {
    acks.push(...(await Promise.all(sockets.map((s, i) => call(s, 'send_message', { conversationId: chat.id, content: `m${round}-${i}`, clientId: `g${round}-${i}` })))));
  }
  assert.deepEqual(acks.map((m) => m.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (const list of lists) {
    await list.wait(10);
    assert.deepEqual(list.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(new Set(list.map((m) => m.id)), new Set(acks.map((m) => m.id)));
  }
});

test('one user on three devices: all three receive, including what another of them sent', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const devices = await Promise.all([device(a), device(a, { transports: ['polling'] }), device(a, { transports: ['polling', 'websocket'] })]);
  const sb = await device(b);
  const lists = devices.map((s) => collect(s, 'message_received'));
  const fromB = await call(sb, 'send_message', { conversationId: chat.id, content: 'to every device', clientId: 'd1' });
  const fromA = await call(devices[0], 'send_message', { conversationId: chat.id, content: 'from my phone', clientId: 'd2' });
  for (const list of lists) {
    await list.wait(2);
    assert.deepEqual(list.map((m) => m.id), [fromB.id, fromA.id]);
  }
});

test('non-members are refused on every event, and nothing reaches them', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const stranger = await newUser('rt');
  const chat = await directChat(a, b);
  const ss = await device(stranger);
  const sa = await device(a);
  const seen = collect(ss, 'message_received');
  const typing = collect(ss, 'user_typing');
  const m = await call(sa, 'send_message', { conversationId: chat.id, content: 'private', clientId: 'p1' });
  const refusals = [
    ['send_message', { conversationId: chat.id, content: 'let me in', clientId: 'x' }],
    ['join_conversation', { conversationId: chat.id }],
    ['typing', { conversationId: chat.id }],
    ['mark_read', { conversationId: chat.id, seq: 1 }],
    ['mark_delivered', { conversationId: chat.id, seq: 1 }],
    ['edit_message', { messageId: m.id, content: 'mine now' }],
    ['delete_message', { messageId: m.id }],
  ];
  for (const [event, payload] of refusals) {
    const ack = await call(ss, event, payload);
    assert.ok(['not_found', 'forbidden'].includes(ack.error?.code), `${event}: ${JSON.stringify(ack)}`);
    assert.equal(typeof ack.error.message, 'string');
  }
  const sync = await call(ss, 'sync', { conversations: { [chat.id]: 0 } });
  assert.deepEqual(sync.messages, [], 'sync skips a conversation the user is not in');
  await call(sa, 'typing', { conversationId: chat.id });
  await nothingMore(seen, 0);
  assert.equal(typing.length, 0);
});

test('bad events get a clear error and change nothing', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const cases = [
    ['send_message', undefined, 'bad_request'],
    ['send_message', 'text', 'bad_request'],
    ['send_message', { conversationId: chat.id }, 'bad_request'],
    ['send_message', { conversationId: 'nope', content: 'x' }, 'bad_request'],
    ['send_message', { conversationId: chat.id, content: 42 }, 'bad_request'],
    ['send_message', { conversationId: chat.id, content: 'a\u0000b' }, 'bad_request'],
    ['send_message', { conversationId: chat.id, content: '' }, 'bad_request'],
    ['send_message', { conversationId: chat.id, content: 'x', clientId: 'c'.repeat(65) }, 'bad_request'],
    ['send_message', { conversationId: chat.id, content: 'x', replyTo: randomUUID() }, null],
    ['mark_read', { conversationId: chat.id, seq: -1 }, 'bad_request'],
    ['mark_read', { conversationId: chat.id, seq: '1' }, 'bad_request'],
    ['sync', { conversations: [] }, 'bad_request'],
    ['sync', { conversations: { nope: 1 } }, 'bad_request'],
    ['no_such_event', {}, 'bad_request'],
  ];
  for (const [event, payload, code] of cases) {
    const ack = payload === undefined ? await sa.timeout(5000).emitWithAck(event) : await call(sa, event, payload);
    assert.ok(ack.error, `${event} ${JSON.stringify(payload)} was accepted`);
    if (code) assert.equal(ack.error.code, code, `${event} ${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
  }
  const binary = await call(sa, 'send_message', { conversationId: chat.id, content: Buffer.from('bytes') });
  assert.equal(binary.error?.code, 'bad_request');
  assert.match(binary.error.message, /binary/);
  const history = await api('GET', `/api/conversations/${chat.id}/messages`, { token: a.token });
  assert.deepEqual(history.json, [], 'nothing was stored');
  assert.ok(sa.connected, 'refusals keep the connection');
});

test('a 65,536-character message is delivered whole (by reference), one more is refused', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const sb = await device(b);
  const got = collect(sb, 'message_received');
  const content = 'é'.repeat(32768) + 'x'.repeat(32768);
  const ack = await call(sa, 'send_message', { conversationId: chat.id, content, clientId: 'big' });
  assert.equal(ack.content.length, 65536);
  await got.wait(1);
  assert.equal(got[0].content, content);
  assert.equal(got[0].id, ack.id);
  const tooLong = await call(sa, 'send_message', { conversationId: chat.id, content: content + 'y', clientId: 'big2' });
  assert.ok(['bad_request', 'payload_too_large'].includes(tooLong.error?.code), JSON.stringify(tooLong).slice(0, 200));
  const edited = collect(sb, 'message_updated');
  await call(sa, 'edit_message', { messageId: ack.id, content: 'y'.repeat(65536) });
  await edited.wait(1);
  assert.equal(edited[0].content.length, 65536);
});

test('typing and stop_typing reach the other members only', async () => {
  const users = await Promise.all([newUser('rt'), newUser('rt'), newUser('rt')]);
  const chat = await group(users[0], users.slice(1), 'typing');
  const [s0, s1, s2] = await Promise.all(users.map((u) => device(u)));
  const own = collect(s0, 'user_typing');
  const t1 = collect(s1, 'user_typing');
  const t2 = collect(s2, 'user_typing');
  const stop1 = collect(s1, 'user_stop_typing');
  assert.deepEqual(await call(s0, 'typing', { conversationId: chat.id }), { ok: true });
  await t1.wait(1);
  await t2.wait(1);
  assert.deepEqual(t1[0], { userId: users[0].user.id, username: users[0].user.username, conversationId: chat.id });
  await call(s0, 'stop_typing', { conversationId: chat.id });
  await stop1.wait(1);
  assert.deepEqual(stop1[0], { userId: users[0].user.id, conversationId: chat.id });
  await nothingMore(own, 0);
});

test('edit, delete and receipts reach every member', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const sb = await device(b);
  const updated = collect(sb, 'message_updated');
  const deleted = collect(sb, 'message_deleted');
  const receipts = collect(sa, 'receipt');
  const m = await call(sa, 'send_message', { conversationId: chat.id, content: 'draft', clientId: 'e1' });
  const edit = await call(sa, 'edit_message', { messageId: m.id, content: 'final' });
  assert.equal(edit.content, 'final');
  assert.equal(edit.isEdited, true);
  await updated.wait(1);
  assert.equal(updated[0].content, 'final');
  const notMine = await call(sb, 'edit_message', { messageId: m.id, content: 'hijack' });
  assert.equal(notMine.error?.code, 'forbidden');
  const delivered = await call(sb, 'mark_delivered', { conversationId: chat.id, seq: 1 });
  assert.deepEqual(delivered, { conversationId: chat.id, userId: b.user.id, deliveredSeq: 1, readSeq: 0 });
  const read = await call(sb, 'mark_read', { conversationId: chat.id, seq: 1 });
  assert.equal(read.readSeq, 1);
  await receipts.wait(2);
  assert.deepEqual(receipts.at(-1), { conversationId: chat.id, userId: b.user.id, deliveredSeq: 1, readSeq: 1 });
  const gone = await call(sa, 'delete_message', { messageId: m.id });
  assert.equal(gone.isDeleted, true);
  await deleted.wait(1);
  assert.equal(deleted[0].id, m.id);
  assert.equal(deleted[0].content, '');
});

test('join and leave a conversation room; user_online is acknowledged', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  assert.deepEqual(await call(sa, 'join_conversation', { conversationId: chat.id }), { ok: true });
  assert.deepEqual(await call(sa, 'leave_conversation', { conversationId: chat.id }), { ok: true });
  assert.equal((await call(sa, 'join_conversation', { conversationId: randomUUID() })).error.code, 'not_found');
  assert.deepEqual(await call(sa, 'user_online', {}), { ok: true });
});

test('membership: new chats and removals reach the members as conversation_updated', async () => {
  const [owner, x, y] = await Promise.all([newUser('rt'), newUser('rt'), newUser('rt')]);
  const sx = await device(x);
  const sy = await device(y);
  const ux = collect(sx, 'conversation_updated');
  const uy = collect(sy, 'conversation_updated');
  const chat = await group(owner, [x], 'club');
  await ux.wait(1);
  assert.equal(ux[0].id, chat.id);
  assert.equal(ux[0].name, 'club');
  assert.ok(ux[0].participants.some((p) => p.id === x.user.id));
  assert.equal(ux[0].myRole, 'member');
  // y is added: y hears of it, and can talk at once
  const added = await api('POST', `/api/conversations/${chat.id}/participants`, { token: owner.token, body: { userIds: [y.user.id] } });
  assert.equal(added.status, 200, added.text);
  await uy.wait(1);
  assert.equal(uy[0].id, chat.id);
  const hello = await call(sy, 'send_message', { conversationId: chat.id, content: 'hi all', clientId: 'y1' });
  assert.equal(hello.sender_id, y.user.id);
  // x is removed: told so, and hears nothing more
  const xs = collect(sx, 'message_received');
  const removed = await api('DELETE', `/api/conversations/${chat.id}/participants/${x.user.id}`, { token: owner.token });
  assert.equal(removed.status, 200, removed.text);
  const last = async () => (await ux.wait(ux.length)).at(-1);
  for (let i = 0; i < 50 && !(await last()).removed; i++) await sleep(50);
  assert.equal((await last()).removed, true);
  assert.deepEqual((await last()).participants, []);
  await call(sy, 'send_message', { conversationId: chat.id, content: 'x is gone', clientId: 'y2' });
  assert.equal((await call(sx, 'send_message', { conversationId: chat.id, content: 'me?', clientId: 'x1' })).error.code, 'not_found');
  await sleep(300);
  assert.ok(!xs.some((m) => m.content === 'x is gone'), 'a removed member hears nothing more');
});

test('a client that was away catches up with sync, in pages', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sa = await device(a);
  for (let i = 1; i <= 130; i++) await call(sa, 'send_message', { conversationId: chat.id, content: `n${i}`, clientId: `s${i}` });
  const sb = await device(b);
  const first = await call(sb, 'sync', { conversations: { [chat.id]: 0 } });
  assert.equal(first.messages.length, 100);
  assert.equal(first.hasMore, true);
  assert.deepEqual(first.messages.map((m) => m.seq), Array.from({ length: 100 }, (_, i) => i + 1));
  const rest = await call(sb, 'sync', { conversations: { [chat.id]: 100 } });
  assert.deepEqual(rest.messages.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 101));
  assert.equal(rest.hasMore, false);
  const empty = await call(sb, 'sync', { conversations: {} });
  assert.deepEqual(empty, { messages: [], hasMore: false });
});

test('a token that expires during the session ends its socket, and nothing more is stored', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const now = Math.floor(Date.now() / 1000);
  // a few seconds: on a busy machine, connecting and the first send must fit in before expiry
  const token = signToken({ sub: a.user.id, iat: now, exp: now + 5 });
  const short = await device({ token });
  const told = new Promise((resolve) => short.once('session_ended', resolve));
  const gone = new Promise((resolve) => short.once('disconnect', resolve));
  assert.ok((await call(short, 'send_message', { conversationId: chat.id, content: 'in time', clientId: 't1' })).id);
  assert.deepEqual(await told, { reason: 'expired' });
  assert.equal(await gone, 'io server disconnect');
  // the same token over REST, now expired, stores nothing either
  const late = await api('POST', `/api/conversations/${chat.id}/messages`, { token, body: { content: 'too late', clientId: 't2' } });
  assert.equal(late.status, 401);
  assert.equal(psql(`SELECT count(*) FROM chat.messages WHERE conversation_id = '${chat.id}'`), '1');
});

test('the LISTEN connection is lost: what was committed meanwhile is caught up by seq, in order', async () => {
  const a = await newUser('rt');
  const b = await newUser('rt');
  const chat = await directChat(a, b);
  const sb = await device(b);
  const got = collect(sb, 'message_received');
  const send = (n) => api('POST', `/api/conversations/${chat.id}/messages`, { token: a.token, body: { content: `m${n}`, clientId: `l${n}` } });
  assert.equal((await send(1)).status, 201);
  await got.wait(1); // the bridge now knows the conversation's last seq
  const killed = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'pgchat-listener' AND datname = current_database()");
  assert.ok(Number(killed) >= 1, 'the listener was found');
  // sent while nobody listens (the pool is still up): no NOTIFY reaches the bridge
  for (let n = 2; n <= 6; n++) assert.equal((await send(n)).status, 201);
  await got.wait(6, 15000);
  assert.deepEqual(got.map((m) => m.content), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  assert.equal((await send(7)).status, 201);
  await got.wait(7);
  await nothingMore(got, 7);
});
