// Privacy over REST and sockets (extension 1.4): the last-seen setting (PUT /api/me/privacy) and
// the null every hidden lastSeenAt reads, presence that tells the last seen only to whom the
// setting allows, a late joiner who gets no event of a message from before, and registration
// that answers a taken username and a taken email alike.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, psql, assertError, uniqueName } from './helpers.mjs';
import { connect, call, collect, group, directChat, sleep } from './realtime_helpers.mjs';

const open = [];
async function device(user) {
  const socket = await connect(user.token);
  open.push(socket);
  return socket;
}
after(() => open.forEach((s) => s.close()));

function seenAt(conversation, user) {
  return conversation.participants.find((p) => p.id === user.user.id).lastSeenAt;
}

test('PUT /api/me/privacy sets who sees my last seen; GET /api/me shows it', async () => {
  const ann = await newUser('pv');
  const me = await api('GET', '/api/me', { token: ann.token });
  assert.deepEqual(me.json.privacy, { lastSeen: 'contacts' }, 'the default is my contacts');
  for (const choice of ['everyone', 'nobody', 'contacts']) {
    const r = await api('PUT', '/api/me/privacy', { token: ann.token, body: { lastSeen: choice } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.privacy.lastSeen, choice);
    assert.equal(r.json.username, ann.username);
  }
  assertError(assert, await api('PUT', '/api/me/privacy', { token: ann.token, body: { lastSeen: 'friends' } }), 400, 'bad_request');
  assertError(assert, await api('PUT', '/api/me/privacy', { token: ann.token, body: { online: 'nobody' } }), 400, 'bad_request');
  assertError(assert, await api('PUT', '/api/me/privacy', { token: ann.token, body: '["nobody"]' }), 400, 'bad_request');
  assertError(assert, await api('PUT', '/api/me/privacy', { body: { lastSeen: 'nobody' } }), 401, 'unauthorized');
  assert.deepEqual((await api('GET', '/api/me', { token: ann.token })).json.privacy, { lastSeen: 'contacts' },
    'refused changes changed nothing');
});

test('lastSeenAt is null for whoever the setting leaves out, in every answer', async () => {
  const ann = await newUser('pv');
  const bo = await newUser('pv');
  const chat = await directChat(ann, bo);
  psql(`SELECT chat.set_last_seen('${ann.user.id}', now())`);
  const asBo = async () => (await api('GET', `/api/conversations/${chat.id}`, { token: bo.token })).json;
  const listedForBo = async () => (await api('GET', '/api/conversations?limit=50', { token: bo.token })).json
    .conversations.find((c) => c.id === chat.id);
  assert.equal(seenAt(await asBo(), ann), null, 'contacts: bo is not one of ann\'s');
  assert.equal(seenAt(await listedForBo(), ann), null, 'the list agrees');
  assert.notEqual(seenAt((await api('GET', `/api/conversations/${chat.id}`, { token: ann.token })).json, ann), null,
    'ann sees her own');
  await api('POST', '/api/contacts', { token: ann.token, body: { userId: bo.user.id } });
  assert.notEqual(seenAt(await asBo(), ann), null, 'once ann keeps bo as a contact, he sees it');
  const stranger = await newUser('pv');
  const added = await api('POST', '/api/contacts', { token: stranger.token, body: { userId: ann.user.id } });
  assert.equal(added.status, 201);
  assert.equal(added.json.lastSeenAt, null, 'a stranger who adds ann gets null');
  await api('PUT', '/api/me/privacy', { token: ann.token, body: { lastSeen: 'everyone' } });
  const contacts = await api('GET', '/api/contacts', { token: stranger.token });
  assert.notEqual(contacts.json.find((u) => u.id === ann.user.id).lastSeenAt, null, 'everyone: the stranger sees it');
  await api('PUT', '/api/me/privacy', { token: bo.token, body: { lastSeen: 'nobody' } });
  assert.equal(seenAt(await asBo(), ann), null, 'who hides his own sees nobody\'s');
});

test('presence tells the last seen only to whom the setting allows', { timeout: 15000 }, async () => {
  const [ann, bo, cy] = await Promise.all([newUser('pv'), newUser('pv'), newUser('pv')]);
  await group(ann, [bo, cy], 'presence');
  await api('POST', '/api/contacts', { token: ann.token, body: { userId: bo.user.id } });
  const [sb, sc] = await Promise.all([device(bo), device(cy)]);
  const toBo = collect(sb, 'presence');
  const toCy = collect(sc, 'presence');
  const sa = await connect(ann.token);
  await sleep(300);
  sa.close();
  const offline = (list) => list.find((p) => p.userId === ann.user.id && !p.online);
  for (let i = 0; i < 50 && !(offline(toBo) && offline(toCy)); i++) await sleep(100);
  assert.match(offline(toBo)?.lastSeen ?? '', /^\d{4}-\d\d-\d\dT/, 'a contact ann keeps is told when she went');
  assert.deepEqual(offline(toCy), { userId: ann.user.id, online: false, lastSeen: null },
    'another member is told only that she is offline');
});

test('presence of someone who never shared a chat with you stays hidden, even after adding them as a contact', { timeout: 15000 }, async () => {
  const [ann, friend, stalker] = await Promise.all([newUser('pv'), newUser('pv'), newUser('pv')]);
  // ann keeps friend as a contact; stalker adds ann without her consent and shares no chat
  await api('POST', '/api/contacts', { token: ann.token, body: { userId: friend.user.id } });
  await api('POST', '/api/contacts', { token: stalker.token, body: { userId: ann.user.id } });
  const [sf, ss] = await Promise.all([device(friend), device(stalker)]);
  const toFriend = collect(sf, 'presence');
  const toStalker = collect(ss, 'presence');
  const sa = await connect(ann.token);
  await sleep(300);
  sa.close();
  const about = (list) => list.filter((p) => p.userId === ann.user.id);
  for (let i = 0; i < 50 && !about(toFriend).some((p) => !p.online); i++) await sleep(100);
  assert.ok(about(toFriend).some((p) => p.online) && about(toFriend).some((p) => !p.online),
    'the contact ann keeps sees her come and go');
  await sleep(300);
  assert.deepEqual(about(toStalker), [], 'the one who added her sees nothing');
});

test('a late joiner gets no edit or delete of a message from before, and what comes after', { timeout: 15000 }, async () => {
  const [ann, bo, cy] = await Promise.all([newUser('pv'), newUser('pv'), newUser('pv')]);
  const chat = await group(ann, [bo], 'late');
  const [sa, sb] = await Promise.all([device(ann), device(bo)]);
  const early = await call(sa, 'send_message', { conversationId: chat.id, content: 'before cy', clientId: 'p1' });
  const doomed = await call(sa, 'send_message', { conversationId: chat.id, content: 'also before cy', clientId: 'p2' });
  const added = await api('POST', `/api/conversations/${chat.id}/participants`, { token: ann.token, body: { userIds: [cy.user.id] } });
  assert.equal(added.status, 200, added.text);
  const sc = await device(cy);
  const received = collect(sc, 'message_received');
  const updated = collect(sc, 'message_updated');
  const deleted = collect(sc, 'message_deleted');
  const boUpdated = collect(sb, 'message_updated');
  const boDeleted = collect(sb, 'message_deleted');

  assert.equal((await call(sa, 'edit_message', { messageId: early.id, content: 'before cy, edited' })).content, 'before cy, edited');
  assert.equal((await call(sa, 'delete_message', { messageId: doomed.id })).isDeleted, true);
  await boUpdated.wait(1);
  await boDeleted.wait(1);
  const later = await call(sa, 'send_message', { conversationId: chat.id, content: 'after cy', clientId: 'p3' });
  await call(sa, 'edit_message', { messageId: later.id, content: 'after cy, edited' });
  await call(sa, 'delete_message', { messageId: later.id });
  await received.wait(1);
  await updated.wait(1);
  await deleted.wait(1);
  await sleep(300);
  assert.deepEqual(received.map((m) => m.id), [later.id], 'cy receives the message from after');
  assert.deepEqual(updated.map((m) => m.id), [later.id], 'and its edit only, never the earlier one\'s');
  assert.deepEqual(deleted.map((m) => m.id), [later.id], 'and its delete only');
  assert.ok(!JSON.stringify([...received, ...updated, ...deleted]).includes('before cy'), 'nothing of the earlier text');

  const synced = await api('GET', `/api/conversations/${chat.id}/messages?after=0`, { token: cy.token });
  assert.deepEqual(synced.json.map((m) => m.id), [later.id], 'catching up from 0 over REST starts at the joining');
  const page = await api('GET', `/api/conversations/${chat.id}/messages`, { token: cy.token });
  assert.deepEqual(page.json.map((m) => m.id), [later.id], 'so does paging back');
  const reply = await call(sc, 'send_message', { conversationId: chat.id, content: 'quoting', clientId: 'p4', replyTo: early.id });
  assert.equal(reply.error?.code, 'bad_request', 'a reply to an earlier message is refused');
});

test('registration answers a taken username and a taken email alike', async () => {
  const taken = await newUser('pv');
  const byName = await api('POST', '/api/auth/register', {
    body: { username: taken.username, email: `${uniqueName('pv')}@example.test`, password: 'correct horse battery' } });
  const byEmail = await api('POST', '/api/auth/register', {
    body: { username: uniqueName('pv'), email: taken.email.toUpperCase(), password: 'correct horse battery' } });
  assertError(assert, byName, 409, 'conflict');
  assert.equal(byName.json.error.message, 'username or email is not available');
  assert.equal(byEmail.status, byName.status);
  assert.deepEqual(byEmail.json, byName.json, 'the same body, whichever is taken');
});
