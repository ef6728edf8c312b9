// Message search over REST (GET /api/messages/search): the caller's own conversations only, any
// language, pages by cursor, snippets; every bad parameter refused with its status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, newUser, assertError, hasFunction } from './helpers.mjs';

const skip = !hasFunction('search_messages') && 'chat.search_messages not in the extension yet';

async function chat(a, b) {
  const r = await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } });
  assert.equal(r.status, 201, r.text);
  return r.json.id;
}

async function send(user, conversationId, content) {
  const r = await api('POST', `/api/conversations/${conversationId}/messages`, { token: user.token, body: { content } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const search = (user, query) => api('GET', `/api/messages/search?${new URLSearchParams(query)}`, { token: user.token });

test('search: own chats only, in any language, with snippets and pages', { skip }, async () => {
  const a = await newUser();
  const b = await newUser();
  const c = await newUser();
  const ab = await chat(a, b);
  const bc = await chat(b, c);
  await send(a, ab, 'Meet me at the harbour lighthouse');
  await send(b, ab, 'Τα λέμε στο λιμάνι');
  await send(b, ab, '灯台の前で会いましょう');
  await send(c, bc, 'the lighthouse is closed');

  const english = await search(a, { q: 'LIGHTHOUSE' });
  assert.equal(english.status, 200, english.text);
  assert.deepEqual(english.json.results.map((r) => r.message.content), ['Meet me at the harbour lighthouse']);
  assert.equal(english.json.results[0].conversation.id, ab);
  assert.deepEqual(english.json.results[0].snippet.filter((p) => p.match).map((p) => p.text), ['lighthouse']);
  assert.equal(english.json.nextCursor, null);

  const greek = await search(a, { q: 'λιμανι' });
  assert.deepEqual(greek.json.results.map((r) => r.message.content), ['Τα λέμε στο λιμάνι']);
  const japanese = await search(a, { q: '灯台' });
  assert.deepEqual(japanese.json.results.map((r) => r.message.content), ['灯台の前で会いましょう']);

  // a conversation the caller is not in: nothing, as for a chat without a match
  const stranger = await search(a, { q: 'lighthouse', conversationId: bc });
  assert.equal(stranger.status, 200);
  assert.deepEqual(stranger.json.results, []);
  const inOne = await search(a, { q: 'lighthouse', conversationId: ab });
  assert.equal(inOne.json.results.length, 1);

  for (let i = 1; i <= 3; i++) await send(a, ab, `pager note ${i}`);
  const first = await search(a, { q: 'pager', limit: 2 });
  assert.deepEqual(first.json.results.map((r) => r.message.content), ['pager note 3', 'pager note 2']);
  assert.ok(first.json.nextCursor);
  const second = await search(a, { q: 'pager', limit: 2, cursor: first.json.nextCursor });
  assert.deepEqual(second.json.results.map((r) => r.message.content), ['pager note 1']);
  assert.equal(second.json.nextCursor, null);
});

test('search: refusals', { skip }, async () => {
  const a = await newUser();
  assertError(assert, await api('GET', '/api/messages/search?q=hello'), 401, 'unauthorized');
  assertError(assert, await search(a, {}), 400, 'bad_request');
  assertError(assert, await search(a, { q: '?!' }), 400, 'bad_request');
  assertError(assert, await search(a, { q: 'x'.repeat(201) }), 400, 'bad_request');
  assertError(assert, await search(a, { q: 'hello', limit: 0 }), 400, 'bad_request');
  assertError(assert, await search(a, { q: 'hello', limit: 'ten' }), 400, 'bad_request');
  assertError(assert, await search(a, { q: 'hello', conversationId: 'nope' }), 400, 'bad_request');
  assertError(assert, await search(a, { q: 'hello', cursor: 'garbage' }), 400, 'bad_request');
  const none = await search(a, { q: 'hello', conversationId: randomUUID() });
  assert.equal(none.status, 200);
  assert.deepEqual(none.json.results, []);
});
