// What people expect of a messenger (extension 1.6) over REST and sockets: blocking (a send
// refused, nothing stored, the list of blocked users on every device of the blocker, no typing in
// the chat), per-user mute/archive/pin on every device of that user and no one else's, reactions
// live to every member, delete for me on the user's devices only; every bad input with its error.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, assertError } from './helpers.mjs';
import { connect, call, collect, group, directChat, sleep } from './realtime_helpers.mjs';

const open = [];
async function device(user, token = user.token) {
  const socket = await connect(token);
  open.push(socket);
  return socket;
}
after(() => open.forEach((s) => s.close()));

// A second device of the same user: a login of its own.
async function secondLogin(user) {
  const r = await api('POST', '/api/auth/login', { body: { login: user.username, password: user.password } });
  assert.equal(r.status, 200, r.text);
  return r.json.token;
}

async function send(user, conversationId, content) {
  return api('POST', `/api/conversations/${conversationId}/messages`, { token: user.token, body: { content } });
}

test('block over REST: the blocked user\'s send is refused (403) and not stored; list and unblock', async () => {
  const ann = await newUser('bk');
  const ben = await newUser('bk');
  const chat = await directChat(ann, ben);
  const blocked = await api('POST', '/api/blocks', { token: ann.token, body: { userId: ben.user.id } });
  assert.equal(blocked.status, 201, blocked.text);
  assert.equal(blocked.json.id, ben.user.id);
  assert.ok(blocked.json.blockedAt);
  const list = await api('GET', '/api/blocks', { token: ann.token });
  assert.deepEqual(list.json.map((u) => u.id), [ben.user.id]);

  const refused = await send(ben, chat.id, 'let me in');
  assertError(assert, refused, 403, 'forbidden');
  assert.match(refused.json.error.message, /can't message this user/);
  assertError(assert, await send(ann, chat.id, 'hi'), 403, 'forbidden');
  const page = await api('GET', `/api/conversations/${chat.id}/messages`, { token: ann.token });
  assert.equal(page.json.length, 0, 'nothing was stored');

  const socket = await device(ben);
  const ack = await call(socket, 'send_message', { conversationId: chat.id, content: 'by socket', clientId: 'bk-1' });
  assert.equal(ack.error?.code, 'forbidden', JSON.stringify(ack));

  assertError(assert, await api('POST', '/api/blocks', { token: ann.token, body: { userId: ann.user.id } }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/blocks', { token: ann.token, body: { userId: 'nope' } }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/blocks', { token: ann.token, body: {} }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/blocks', { token: ann.token, body: { userId: '00000000-0000-4000-8000-000000000000' } }), 404, 'not_found');
  assertError(assert, await api('GET', '/api/blocks'), 401, 'unauthorized');

  const unblocked = await api('DELETE', `/api/blocks/${ben.user.id}`, { token: ann.token });
  assert.equal(unblocked.status, 204);
  assert.equal((await send(ben, chat.id, 'thanks')).status, 201, 'after unblocking, sends go through');
});

test('blocking: every device of the blocker hears blocks_updated; the blocked gets no typing and no photo', async () => {
  const ann = await newUser('bk');
  const ben = await newUser('bk');
  const chat = await directChat(ann, ben);
  const annPhone = await device(ann);
  const annLaptop = await device(ann, await secondLogin(ann));
  const benPhone = await device(ben);
  const onPhone = collect(annPhone, 'blocks_updated');
  const onLaptop = collect(annLaptop, 'blocks_updated');
  const benUpdates = collect(benPhone, 'conversation_updated');
  const benTyping = collect(benPhone, 'user_typing');

  assert.deepEqual(await call(annPhone, 'typing', { conversationId: chat.id }), { ok: true });
  await benTyping.wait(1);
  await api('PATCH', '/api/me', { token: ann.token, body: { profilePhoto: 'https://example.com/ann.png' } });
  await api('POST', '/api/blocks', { token: ann.token, body: { userId: ben.user.id } });
  const [onPhoneNow] = await onPhone.wait(1);
  const [onLaptopNow] = await onLaptop.wait(1);
  assert.deepEqual(onPhoneNow.blocked.map((u) => u.id), [ben.user.id]);
  assert.deepEqual(onLaptopNow.blocked.map((u) => u.id), [ben.user.id], 'the other device of the blocker too');
  const [updated] = await benUpdates.wait(1);
  assert.equal(updated.participants.find((p) => p.id === ann.user.id).profilePhoto, null, 'the blocked sees no photo of the blocker');

  await sleep(200); // the members are reloaded with the block
  assert.deepEqual(await call(annPhone, 'typing', { conversationId: chat.id }), { ok: true });
  await sleep(500);
  assert.equal(benTyping.length, 1, 'no typing goes to the blocked');

  await api('DELETE', `/api/blocks/${ben.user.id}`, { token: ann.token });
  const [afterUnblock] = await onLaptop.wait(2);
  assert.ok(afterUnblock, 'unblocking is heard too');
  assert.deepEqual(onLaptop[1].blocked, []);
});

test('a blocked user can\'t add the blocker to a group (403), and nobody is added', async () => {
  const ann = await newUser('bk');
  const ben = await newUser('bk');
  const cal = await newUser('bk');
  await api('POST', '/api/blocks', { token: ann.token, body: { userId: ben.user.id } });
  const g = await group(ben, [cal], 'ben and cal');
  const r = await api('POST', `/api/conversations/${g.id}/participants`, { token: ben.token, body: { userIds: [ann.user.id] } });
  assertError(assert, r, 403, 'forbidden');
  const now = await api('GET', `/api/conversations/${g.id}`, { token: ben.token });
  assert.equal(now.json.participants.length, 2);
});

test('mute, archive and pin are each user\'s own, and reach every device of that user', async () => {
  const ann = await newUser('st');
  const ben = await newUser('st');
  const chat = await directChat(ann, ben);
  const phone = await device(ann);
  const laptop = await device(ann, await secondLogin(ann));
  const benSocket = await device(ben);
  const onLaptop = collect(laptop, 'conversation_updated');
  const onBen = collect(benSocket, 'conversation_updated');

  const pinned = await api('PATCH', `/api/conversations/${chat.id}/state`, { token: ann.token, body: { pinned: true } });
  assert.equal(pinned.status, 200, pinned.text);
  assert.equal(pinned.json.pinned, true);
  const [update] = await onLaptop.wait(1);
  assert.equal(update.id, chat.id);
  assert.equal(update.pinned, true, 'the other device hears the pin');

  const muted = await call(phone, 'set_conversation_state', { conversationId: chat.id, mute: '8h' });
  assert.equal(muted.muted, true, JSON.stringify(muted));
  assert.ok(Date.parse(muted.mutedUntil) > Date.now() + 7 * 3600e3);
  assert.equal((await onLaptop.wait(2))[1].muted, true);

  const archived = await call(phone, 'set_conversation_state', { conversationId: chat.id, archived: true });
  assert.equal(archived.archived, true);
  assert.equal(archived.pinned, false, 'archiving unpins');
  assert.equal((await onLaptop.wait(3))[2].archived, true);
  const list = await api('GET', '/api/conversations?limit=50', { token: ann.token });
  assert.ok(!list.json.conversations.some((c) => c.id === chat.id), 'out of the list');
  const archivedList = await api('GET', '/api/conversations/archived', { token: ann.token });
  assert.deepEqual(archivedList.json.map((c) => c.id), [chat.id]);

  await sleep(300);
  assert.equal(onBen.length, 0, 'the other member hears nothing of it');
  const benView = await api('GET', `/api/conversations/${chat.id}`, { token: ben.token });
  assert.equal(benView.json.archived, false);
  assert.equal(benView.json.muted, false);

  // refusals
  assertError(assert, await api('PATCH', `/api/conversations/${chat.id}/state`, { token: ann.token, body: { mute: 'forever' } }), 400, 'bad_request');
  assertError(assert, await api('PATCH', `/api/conversations/${chat.id}/state`, { token: ann.token, body: { pinned: 'yes' } }), 400, 'bad_request');
  assertError(assert, await api('PATCH', `/api/conversations/${chat.id}/state`, { token: ann.token, body: { starred: true } }), 400, 'bad_request');
  assertError(assert, await api('PATCH', `/api/conversations/${chat.id}/state`, { token: ann.token, body: '[]' }), 400, 'bad_request');
  const stranger = await newUser('st');
  assertError(assert, await api('PATCH', `/api/conversations/${chat.id}/state`, { token: stranger.token, body: { pinned: true } }), 404, 'not_found');
  const bad = await call(phone, 'set_conversation_state', { conversationId: 'x', pinned: true });
  assert.equal(bad.error?.code, 'bad_request');
});

test('pins are capped at 3 (400) and head the first page', async () => {
  const ann = await newUser('pn');
  const chats = [];
  for (let i = 0; i < 4; i++) chats.push(await directChat(ann, await newUser('pn')));
  for (const c of chats.slice(0, 3)) {
    const r = await api('PATCH', `/api/conversations/${c.id}/state`, { token: ann.token, body: { pinned: true } });
    assert.equal(r.status, 200, r.text);
  }
  const fourth = await api('PATCH', `/api/conversations/${chats[3].id}/state`, { token: ann.token, body: { pinned: true } });
  assertError(assert, fourth, 400, 'bad_request');
  assert.match(fourth.json.error.message, /at most 3/);
  const page = await api('GET', '/api/conversations?limit=1', { token: ann.token });
  assert.deepEqual(page.json.conversations.slice(0, 3).map((c) => c.id), [chats[2].id, chats[1].id, chats[0].id], 'the last pinned first');
  assert.equal(page.json.conversations.length, 4, 'the pinned ones and the one asked for');
});

test('reactions go live to every member; a non-member can\'t react (404)', async () => {
  const ann = await newUser('rx');
  const ben = await newUser('rx');
  const cal = await newUser('rx');
  const g = await group(ann, [ben, cal], 'reactors');
  const sent = await send(ann, g.id, 'react to me');
  const annSocket = await device(ann);
  const benSocket = await device(ben);
  const onAnn = collect(annSocket, 'message_reactions');
  const onBen = collect(benSocket, 'message_reactions');

  const answer = await call(benSocket, 'react', { messageId: sent.json.id, emoji: '🎉' });
  assert.deepEqual(answer.reactions, [{ emoji: '🎉', count: 1, userIds: [ben.user.id] }], JSON.stringify(answer));
  const [live] = await onAnn.wait(1);
  assert.equal(live.id, sent.json.id);
  assert.deepEqual(live.reactions, answer.reactions, 'the sender sees it live');
  await onBen.wait(1);

  const rest = await api('PUT', `/api/messages/${sent.json.id}/reaction`, { token: cal.token, body: { emoji: '🎉' } });
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.json.reactions[0].count, 2);
  assert.equal((await onAnn.wait(2))[1].reactions[0].count, 2);
  const removed = await api('DELETE', `/api/messages/${sent.json.id}/reaction`, { token: cal.token });
  assert.equal(removed.status, 200, removed.text);
  assert.equal(removed.json.reactions[0].count, 1);
  const history = await api('GET', `/api/conversations/${g.id}/messages`, { token: ann.token });
  assert.deepEqual(history.json[0].reactions, [{ emoji: '🎉', count: 1, userIds: [ben.user.id] }], 'pages carry them');

  const stranger = await newUser('rx');
  assertError(assert, await api('PUT', `/api/messages/${sent.json.id}/reaction`, { token: stranger.token, body: { emoji: '👍' } }), 404, 'not_found');
  assertError(assert, await api('PUT', `/api/messages/${sent.json.id}/reaction`, { token: ben.token, body: { emoji: 'nice' } }), 400, 'bad_request');
  assertError(assert, await api('PUT', `/api/messages/${sent.json.id}/reaction`, { token: ben.token, body: {} }), 400, 'bad_request');
  const badSocket = await call(benSocket, 'react', { messageId: 'not-a-uuid', emoji: '👍' });
  assert.equal(badSocket.error?.code, 'bad_request');
});

test('delete for me: hidden on every device of that user, still there for the others', async () => {
  const ann = await newUser('dm');
  const ben = await newUser('dm');
  const chat = await directChat(ann, ben);
  const sent = await send(ben, chat.id, 'forget this');
  const phone = await device(ann);
  const laptop = await device(ann, await secondLogin(ann));
  const benSocket = await device(ben);
  const onLaptop = collect(laptop, 'message_hidden');
  const onBen = collect(benSocket, 'message_hidden');
  const answer = await call(phone, 'hide_message', { messageId: sent.json.id });
  assert.deepEqual(answer, { conversationId: chat.id, messageId: sent.json.id, seq: 1, hidden: true });
  const [heard] = await onLaptop.wait(1);
  assert.deepEqual(heard, { conversationId: chat.id, seq: 1 });
  assert.equal((await api('GET', `/api/conversations/${chat.id}/messages`, { token: ann.token })).json.length, 0);
  assert.equal((await api('GET', `/api/conversations/${chat.id}/messages`, { token: ben.token })).json.length, 1);
  const rest = await api('POST', `/api/messages/${sent.json.id}/hide`, { token: ann.token });
  assert.equal(rest.status, 200, 'again: the same answer');
  await sleep(300);
  assert.equal(onBen.length, 0, 'the other member hears nothing');
  assertError(assert, await api('POST', `/api/messages/${sent.json.id}/hide`, { token: (await newUser('dm')).token }), 404, 'not_found');
});
