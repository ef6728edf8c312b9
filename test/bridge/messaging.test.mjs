// Contacts, conversations, participants, messages and receipts over REST: each route's good path
// and its refusals. Each part is skipped while its SQL function is not in the extension yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, newUser, assertError, hasFunction } from './helpers.mjs';

const missing = (...names) => {
  const absent = names.filter((n) => !hasFunction(n));
  return absent.length ? `chat.${absent.join(', chat.')} not in the extension yet` : false;
};

test('contacts: add, list, remove', { skip: missing('contacts', 'add_contact', 'remove_contact') }, async () => {
  const a = await newUser();
  const b = await newUser();
  const added = await api('POST', '/api/contacts', { token: a.token, body: { userId: b.user.id } });
  assert.equal(added.status, 201, added.text);
  assert.equal(added.json.id, b.user.id);
  const list = await api('GET', '/api/contacts', { token: a.token });
  assert.equal(list.status, 200);
  assert.ok(list.json.some((u) => u.id === b.user.id));
  const removed = await api('DELETE', `/api/contacts/${b.user.id}`, { token: a.token });
  assert.equal(removed.status, 204);
  assert.equal(removed.text, '');
  const after = await api('GET', '/api/contacts', { token: a.token });
  assert.ok(!after.json.some((u) => u.id === b.user.id));
});

test('contacts: refusals', { skip: missing('add_contact') }, async () => {
  const a = await newUser();
  assertError(assert, await api('POST', '/api/contacts', { token: a.token, body: {} }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/contacts', { token: a.token, body: { userId: 'nope' } }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/contacts', { token: a.token, body: { userId: randomUUID() } }), 404, 'not_found');
  assertError(assert, await api('GET', '/api/contacts'), 401, 'unauthorized');
});

test('conversations: a direct chat is created once, listed and read', { skip: missing('create_conversation', 'conversations', 'conversation') }, async () => {
  const a = await newUser();
  const b = await newUser();
  const created = await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } });
  assert.equal(created.status, 201, created.text);
  assert.match(created.json.id, /^[0-9a-f-]{36}$/);
  assert.equal(created.json.isGroup, false);
  const again = await api('POST', '/api/conversations', { token: b.token, body: { participantIds: [a.user.id] } });
  assert.equal(again.json.id, created.json.id);
  const list = await api('GET', '/api/conversations', { token: a.token });
  assert.equal(list.status, 200);
  assert.ok(list.json.some((c) => c.id === created.json.id));
  const one = await api('GET', `/api/conversations/${created.json.id}`, { token: b.token });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.id, created.json.id);
});

test('conversations: refusals', { skip: missing('create_conversation', 'conversation') }, async () => {
  const a = await newUser();
  const b = await newUser();
  const stranger = await newUser();
  assertError(assert, await api('POST', '/api/conversations', { token: a.token, body: { participantIds: 'x' } }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/conversations', { token: a.token, body: { participantIds: ['x'] } }), 400, 'bad_request');
  assertError(assert, await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id], isGroup: 'yes' } }), 400, 'bad_request');
  const c = await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } });
  assertError(assert, await api('GET', `/api/conversations/${c.json.id}`, { token: stranger.token }), 404, 'not_found');
  assertError(assert, await api('GET', `/api/conversations/${randomUUID()}`, { token: a.token }), 404, 'not_found');
});

test('groups: add, promote, remove participants, leave', { skip: missing('create_conversation', 'add_participants', 'set_participant_role', 'remove_participant', 'leave_conversation') }, async () => {
  const [admin, b, c] = [await newUser(), await newUser(), await newUser()];
  const group = await api('POST', '/api/conversations', { token: admin.token, body: { participantIds: [b.user.id], isGroup: true, name: 'Team' } });
  assert.equal(group.status, 201, group.text);
  assert.equal(group.json.isGroup, true);
  assert.equal(group.json.name, 'Team');
  const id = group.json.id;
  const added = await api('POST', `/api/conversations/${id}/participants`, { token: admin.token, body: { userIds: [c.user.id] } });
  assert.equal(added.status, 200, added.text);
  assert.ok(added.json.participants.some((p) => p.id === c.user.id));
  assertError(assert, await api('POST', `/api/conversations/${id}/participants`, { token: b.token, body: { userIds: [admin.user.id] } }), 403, 'forbidden');
  const promoted = await api('PATCH', `/api/conversations/${id}/participants/${b.user.id}`, { token: admin.token, body: { role: 'admin' } });
  assert.equal(promoted.status, 200, promoted.text);
  assert.equal(promoted.json.participants.find((p) => p.id === b.user.id).role, 'admin');
  assertError(assert, await api('PATCH', `/api/conversations/${id}/participants/${b.user.id}`, { token: admin.token, body: { role: 'king' } }), 400, 'bad_request');
  const removed = await api('DELETE', `/api/conversations/${id}/participants/${c.user.id}`, { token: admin.token });
  assert.equal(removed.status, 200, removed.text);
  assert.ok(!removed.json.participants.some((p) => p.id === c.user.id));
  const left = await api('POST', `/api/conversations/${id}/leave`, { token: b.token });
  assert.equal(left.status, 204, left.text);
  assertError(assert, await api('GET', `/api/conversations/${id}`, { token: b.token }), 404, 'not_found');
});

test('messages: send, page back, catch up, edit, delete, receipts', { skip: missing('create_conversation', 'send_message', 'messages', 'messages_after', 'edit_message', 'delete_message', 'mark_read', 'mark_delivered') }, async () => {
  const a = await newUser();
  const b = await newUser();
  const conv = (await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } })).json;
  const sent = [];
  for (let i = 1; i <= 5; i++) {
    const r = await api('POST', `/api/conversations/${conv.id}/messages`, { token: a.token, body: { content: `hello ${i} ✓`, clientId: `c${i}` } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.content, `hello ${i} ✓`);
    assert.equal(r.json.sender_id, a.user.id);
    assert.equal(r.json.conversationId, conv.id);
    sent.push(r.json);
  }
  assert.deepEqual(sent.map((m) => m.seq), [1, 2, 3, 4, 5]);
  const retry = await api('POST', `/api/conversations/${conv.id}/messages`, { token: a.token, body: { content: 'hello 5 ✓', clientId: 'c5' } });
  assert.equal(retry.json.id, sent[4].id, 'a retried clientId gives the first message');
  const reply = await api('POST', `/api/conversations/${conv.id}/messages`, { token: b.token, body: { content: 'reply', replyTo: sent[0].id } });
  assert.equal(reply.status, 201, reply.text);

  const page = await api('GET', `/api/conversations/${conv.id}/messages?before=4&limit=2`, { token: b.token });
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.map((m) => m.seq), [2, 3]);
  const latest = await api('GET', `/api/conversations/${conv.id}/messages`, { token: b.token });
  assert.deepEqual(latest.json.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
  const after = await api('GET', `/api/conversations/${conv.id}/messages?after=4`, { token: b.token });
  assert.deepEqual(after.json.map((m) => m.seq), [5, 6]);

  const edited = await api('PATCH', `/api/messages/${sent[0].id}`, { token: a.token, body: { content: 'edited' } });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(edited.json.isEdited, true);
  assertError(assert, await api('PATCH', `/api/messages/${sent[0].id}`, { token: b.token, body: { content: 'not mine' } }), 403, 'forbidden');
  const deleted = await api('DELETE', `/api/messages/${sent[1].id}`, { token: a.token });
  assert.equal(deleted.status, 200, deleted.text);
  assert.equal(deleted.json.isDeleted, true);

  // b's reply is seq 6: a has it delivered, then read; receipts only move forward
  const delivered = await api('POST', `/api/conversations/${conv.id}/delivered`, { token: a.token, body: { seq: 6 } });
  assert.equal(delivered.status, 200, delivered.text);
  assert.equal(delivered.json.deliveredSeq, 6);
  const read = await api('POST', `/api/conversations/${conv.id}/read`, { token: a.token, body: { seq: 6 } });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.readSeq, 6);
  const back = await api('POST', `/api/conversations/${conv.id}/read`, { token: a.token, body: { seq: 2 } });
  assert.equal(back.json.readSeq, 6);
  assertError(assert, await api('POST', `/api/conversations/${conv.id}/read`, { token: b.token, body: { seq: 'four' } }), 400, 'bad_request');
  assertError(assert, await api('POST', `/api/conversations/${conv.id}/read`, { token: b.token, body: { seq: 4.5 } }), 400, 'bad_request');
});

test('messages: refusals', { skip: missing('create_conversation', 'send_message', 'messages') }, async () => {
  const a = await newUser();
  const b = await newUser();
  const stranger = await newUser();
  const conv = (await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } })).json;
  const path = `/api/conversations/${conv.id}/messages`;
  assertError(assert, await api('POST', path, { token: a.token, body: {} }), 400, 'bad_request');
  assertError(assert, await api('POST', path, { token: a.token, body: { content: '' } }), 400, 'bad_request');
  assertError(assert, await api('POST', path, { token: a.token, body: { content: 12 } }), 400, 'bad_request');
  const tooLong = await api('POST', path, { token: a.token, body: { content: 'x'.repeat(65537) } });
  assert.ok([400, 413].includes(tooLong.status), tooLong.text);
  assertError(assert, await api('POST', path, { token: stranger.token, body: { content: 'hi' } }), 404, 'not_found');
  assertError(assert, await api('GET', path, { token: stranger.token }), 404, 'not_found');
  assertError(assert, await api('GET', `${path}?before=abc`, { token: a.token }), 400, 'bad_request');
  assertError(assert, await api('GET', path), 401, 'unauthorized');
});
