// GET /api/conversations by pages: ?limit=N&before=<nextCursor> answers {conversations,
// nextCursor}; without either it still answers the whole list as an array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, assertError, hasFunction } from './helpers.mjs';

const skip = hasFunction('conversation_page') ? false : 'chat.conversation_page not in the extension yet';

// a user with `count` direct chats, each with one message, the last made the newest
async function userWithChats(count) {
  const me = await newUser('pager');
  const ids = [];
  for (let i = 0; i < count; i++) {
    const other = await newUser('peer');
    const c = await api('POST', '/api/conversations', { token: me.token, body: { participantIds: [other.user.id] } });
    assert.equal(c.status, 201, c.text);
    const sent = await api('POST', `/api/conversations/${c.json.id}/messages`, { token: other.token, body: { content: `hi ${i}` } });
    assert.equal(sent.status, 201, sent.text);
    ids.push(c.json.id);
  }
  return { me, ids };
}

test('conversation pages: walking nextCursor lists every chat once, newest first', { skip }, async () => {
  const { me, ids } = await userWithChats(5);
  const seen = [];
  let before = '';
  for (let pages = 0; pages < 10; pages++) {
    const r = await api('GET', `/api/conversations?limit=2${before ? `&before=${before}` : ''}`, { token: me.token });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.conversations.length <= 2);
    seen.push(...r.json.conversations.map((c) => c.id));
    if (!r.json.nextCursor) break;
    assert.match(r.json.nextCursor, /^\d+_[0-9a-f-]{36}$/);
    before = r.json.nextCursor;
  }
  assert.deepEqual(seen, [...ids].reverse());
});

test('conversation pages: a page carries unread counts and the last message', { skip }, async () => {
  const { me } = await userWithChats(1);
  const r = await api('GET', '/api/conversations?limit=1', { token: me.token });
  assert.equal(r.status, 200, r.text);
  const [c] = r.json.conversations;
  assert.equal(c.unreadCount, 1);
  assert.equal(c.lastMessage.content, 'hi 0');
  assert.equal(c.participants.length, 2);
  assert.equal(r.json.nextCursor, null);
});

test('conversation pages: without a cursor or limit the answer is still the whole array', { skip }, async () => {
  const { me, ids } = await userWithChats(3);
  const r = await api('GET', '/api/conversations', { token: me.token });
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json));
  assert.deepEqual(r.json.map((c) => c.id), [...ids].reverse());
});

test('conversation pages: a cursor alone pages by 50', { skip }, async () => {
  const { me, ids } = await userWithChats(3);
  const first = await api('GET', '/api/conversations?limit=1', { token: me.token });
  const rest = await api('GET', `/api/conversations?before=${first.json.nextCursor}`, { token: me.token });
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.json.conversations.map((c) => c.id), [ids[1], ids[0]]);
  assert.equal(rest.json.nextCursor, null);
});

test('conversation pages: a malformed cursor or limit is a 400 JSON error', { skip }, async () => {
  const me = await newUser('pager');
  for (const query of ['before=nope', 'before=12_not-a-uuid', 'before=_00000000-0000-0000-0000-000000000000',
    'limit=0', 'limit=201', 'limit=ten', 'limit=5&before=1%202']) {
    assertError(assert, await api('GET', `/api/conversations?${query}`, { token: me.token }), 400, 'bad_request');
  }
  // well formed for the bridge, refused by the extension: an upper-case id is not what it writes
  assertError(assert, await api('GET', '/api/conversations?before=1_0000000A-0000-0000-0000-000000000000', { token: me.token }), 400, 'bad_request');
  assertError(assert, await api('GET', '/api/conversations?limit=5'), 401, 'unauthorized');
});
