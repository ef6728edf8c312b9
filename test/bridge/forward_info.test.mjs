// Forward and message info (extension 1.7) over REST and sockets: a forward reaches every device
// of every member of each target as any new message, marked forwarded and naming the forwarder
// only; each target is answered on its own; message info is the sender's alone and follows the
// receipts; every bad input with its error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, assertError } from './helpers.mjs';
import { connect, call, collect, group, directChat } from './realtime_helpers.mjs';

const open = [];
async function device(token) {
  const socket = await connect(token);
  open.push(socket);
  return socket;
}
after(() => open.forEach((s) => s.close()));

async function secondLogin(user) {
  const r = await api('POST', '/api/auth/login', { body: { login: user.username, password: user.password } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

async function send(user, conversationId, content) {
  const r = await api('POST', `/api/conversations/${conversationId}/messages`, { token: user.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('forward over REST: each target answered on its own, the copies marked forwarded, live on the receivers\' devices', async () => {
  const ann = await newUser('fw');
  const ben = await newUser('fw');
  const cat = await newUser('fw');
  const dee = await newUser('fw');
  const source = await group(ben, [ann, cat], 'source');
  const toCat = await directChat(ann, cat);
  const toDee = await directChat(ann, dee);
  const strangers = await directChat(ben, dee);
  const original = await send(ben, source.id, 'worth passing on');

  const deePhone = await device(dee.token);
  const deeLaptop = await device(await secondLogin(dee));
  const onPhone = collect(deePhone, 'message_received');
  const onLaptop = collect(deeLaptop, 'message_received');

  const r = await api('POST', `/api/messages/${original.id}/forward`, {
    token: ann.token, body: { conversationIds: [toCat.id, toDee.id, strangers.id] },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.messageId, original.id);
  assert.deepEqual(r.json.results.map((x) => x.conversationId), [toCat.id, toDee.id, strangers.id]);
  for (const x of r.json.results.slice(0, 2)) {
    assert.equal(x.message.content, 'worth passing on');
    assert.equal(x.message.sender_id, ann.user.id, 'the forwarder sends it');
    assert.equal(x.message.forwarded, true);
  }
  assert.deepEqual(r.json.results[2].error, { code: 'not_found', sqlstate: 'P0002', message: 'conversation not found' });

  const [phoneGot] = await onPhone.wait(1);
  const [laptopGot] = await onLaptop.wait(1);
  for (const got of [phoneGot, laptopGot]) {
    assert.equal(got.conversationId, toDee.id);
    assert.equal(got.forwarded, true);
    assert.equal(got.sender_id, ann.user.id);
    assert.ok(!JSON.stringify(got).includes(ben.user.id), 'the original sender is not named');
  }
  const page = await api('GET', `/api/conversations/${toDee.id}/messages`, { token: dee.token });
  assert.equal(page.json[0].forwarded, true);
  const sent = await api('GET', `/api/conversations/${source.id}/messages`, { token: ann.token });
  assert.equal(sent.json[0].forwarded, false, 'a message sent is not forwarded');
});

test('forward by socket: the ack holds the results, the forwarder\'s other device and the group hear it', async () => {
  const ann = await newUser('fw');
  const ben = await newUser('fw');
  const cat = await newUser('fw');
  const chat = await directChat(ann, ben);
  const team = await group(ann, [ben, cat], 'team');
  const original = await send(ben, chat.id, 'pass it to the team');
  const annPhone = await device(ann.token);
  const annLaptop = await device(await secondLogin(ann));
  const catPhone = await device(cat.token);
  const laptopGot = collect(annLaptop, 'message_received');
  const catGot = collect(catPhone, 'message_received');

  const ack = await call(annPhone, 'forward_message', { messageId: original.id, conversationIds: [team.id], clientId: 'fw-sock-1' });
  assert.equal(ack.results.length, 1, JSON.stringify(ack));
  const stored = ack.results[0].message;
  assert.equal(stored.forwarded, true);
  assert.equal(stored.clientId, 'fw-sock-1');
  assert.equal((await laptopGot.wait(1))[0].id, stored.id);
  assert.equal((await catGot.wait(1))[0].id, stored.id);

  const again = await call(annPhone, 'forward_message', { messageId: original.id, conversationIds: [team.id], clientId: 'fw-sock-1' });
  assert.equal(again.results[0].message.id, stored.id, 'a retry answers the first message');
  assert.equal(again.results[0].resent, true);
});

test('forward refusals: blocked target, deleted or unseen message, bad lists', async () => {
  const ann = await newUser('fw');
  const ben = await newUser('fw');
  const eve = await newUser('fw');
  const chat = await directChat(ann, ben);
  const toEve = await directChat(ann, eve);
  const original = await send(ben, chat.id, 'hello');
  const gone = await send(ben, chat.id, 'deleted soon');
  await api('DELETE', `/api/messages/${gone.id}`, { token: ben.token });
  await api('POST', '/api/blocks', { token: eve.token, body: { userId: ann.user.id } });
  const forward = (token, id, body) => api('POST', `/api/messages/${id}/forward`, { token, body });

  const blocked = await forward(ann.token, original.id, { conversationIds: [toEve.id] });
  assert.equal(blocked.status, 200, blocked.text);
  assert.equal(blocked.json.results[0].error.code, 'forbidden');
  const evePage = await api('GET', `/api/conversations/${toEve.id}/messages`, { token: eve.token });
  assert.equal(evePage.json.length, 0, 'nothing stored for the blocker');

  assertError(assert, await forward(ann.token, gone.id, { conversationIds: [toEve.id] }), 400, 'bad_request');
  assertError(assert, await forward(eve.token, original.id, { conversationIds: [toEve.id] }), 404, 'not_found');
  assertError(assert, await forward(ann.token, original.id, { conversationIds: [] }), 400, 'bad_request');
  const six = Array.from({ length: 6 }, () => crypto.randomUUID());
  const tooMany = await forward(ann.token, original.id, { conversationIds: six });
  assertError(assert, tooMany, 400, 'bad_request');
  assert.match(tooMany.json.error.message, /1 to 5 conversations/);
  const twice = await forward(ann.token, original.id, { conversationIds: [toEve.id, toEve.id] });
  assertError(assert, twice, 400, 'bad_request');
  assert.match(twice.json.error.message, /twice/);
  assertError(assert, await forward(ann.token, original.id, { conversationIds: ['nope'] }), 400, 'bad_request');
  assertError(assert, await forward(ann.token, original.id, {}), 400, 'bad_request');
  assertError(assert, await forward(ann.token, 'not-a-uuid', { conversationIds: [toEve.id] }), 400, 'bad_request');
  assertError(assert, await forward(undefined, original.id, { conversationIds: [toEve.id] }), 401, 'unauthorized');

  const socket = await device(ann.token);
  for (const payload of [{ conversationIds: [toEve.id] }, { messageId: original.id }, { messageId: original.id, conversationIds: 'x' },
    { messageId: original.id, conversationIds: [42] }, { messageId: original.id, conversationIds: [toEve.id], clientId: 7 },
    { messageId: original.id, conversationIds: Array.from({ length: 65 }, () => crypto.randomUUID()) }]) {
    const ack = await call(socket, 'forward_message', payload);
    assert.equal(ack.error?.code, 'bad_request', JSON.stringify(payload));
  }
  assert.equal((await call(socket, 'forward_message', { messageId: gone.id, conversationIds: [chat.id] })).error?.code, 'bad_request');
  const page = await api('GET', `/api/conversations/${chat.id}/messages`, { token: ann.token });
  assert.equal(page.json.length, 2, 'no refused forward stored anything');
});

test('message info: read by and delivered to from the receipts, the sender\'s only, by REST and socket', async () => {
  const ann = await newUser('mi');
  const ben = await newUser('mi');
  const cat = await newUser('mi');
  const out = await newUser('mi');
  const team = await group(ann, [ben, cat], 'info');
  const mine = await send(ann, team.id, 'who saw this?');

  const info0 = await api('GET', `/api/messages/${mine.id}/info`, { token: ann.token });
  assert.equal(info0.status, 200, info0.text);
  assert.deepEqual([info0.json.readBy.length, info0.json.deliveredTo.length, info0.json.pending.length], [0, 0, 2]);
  assert.equal(info0.json.messageId, mine.id);
  assert.equal(info0.json.conversationId, team.id);

  const annSocket = await device(ann.token);
  const receipts = collect(annSocket, 'receipt');
  const benSocket = await device(ben.token);
  const catSocket = await device(cat.token);
  await call(benSocket, 'mark_delivered', { conversationId: team.id, seq: mine.seq });
  await call(catSocket, 'mark_read', { conversationId: team.id, seq: mine.seq });
  await receipts.wait(2);

  const info = await call(annSocket, 'message_info', { messageId: mine.id });
  assert.deepEqual(info.readBy.map((u) => u.id), [cat.user.id]);
  assert.deepEqual(info.deliveredTo.map((u) => u.id), [ben.user.id]);
  assert.deepEqual(info.pending, []);
  assert.equal(info.readBy[0].username, cat.username);

  // a second device of the sender asks too
  const laptop = await device(await secondLogin(ann));
  assert.deepEqual((await call(laptop, 'message_info', { messageId: mine.id })).readBy.map((u) => u.id), [cat.user.id]);

  assertError(assert, await api('GET', `/api/messages/${mine.id}/info`, { token: ben.token }), 403, 'forbidden');
  assertError(assert, await api('GET', `/api/messages/${mine.id}/info`, { token: out.token }), 404, 'not_found');
  assertError(assert, await api('GET', '/api/messages/nope/info', { token: ann.token }), 400, 'bad_request');
  assertError(assert, await api('GET', `/api/messages/${mine.id}/info`), 401, 'unauthorized');
  assert.equal((await call(benSocket, 'message_info', { messageId: mine.id })).error?.code, 'forbidden');
  assert.equal((await call(annSocket, 'message_info', {})).error?.code, 'bad_request');
  assert.equal((await call(annSocket, 'message_info', { messageId: 'x' })).error?.code, 'bad_request');
});
