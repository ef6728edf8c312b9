// Many requests at once: the pool pipelines them and every one gets its own answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, hasFunction } from './helpers.mjs';

test('200 concurrent GET /api/me each get the right user', async () => {
  const users = await Promise.all(Array.from({ length: 8 }, () => newUser('conc')));
  const calls = Array.from({ length: 200 }, (_, i) => users[i % users.length]);
  const answers = await Promise.all(calls.map((u) => api('GET', '/api/me', { token: u.token })));
  answers.forEach((r, i) => {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, calls[i].user.id);
  });
});

test('mixed good and bad requests at once do not disturb each other', async () => {
  const user = await newUser('mix');
  const jobs = [];
  for (let i = 0; i < 60; i++) {
    jobs.push(api('GET', '/api/me', { token: user.token }).then((r) => assert.equal(r.status, 200)));
    jobs.push(api('GET', '/api/me', { token: 'forged' }).then((r) => assert.equal(r.status, 401)));
    jobs.push(api('POST', '/api/auth/login', { body: '{' }).then((r) => assert.equal(r.status, 400)));
  }
  await Promise.all(jobs);
});

test('concurrent sends into one conversation get distinct, gapless seqs', { skip: !(hasFunction('send_message') && hasFunction('create_conversation')) && 'messaging not in the extension yet' }, async () => {
  const a = await newUser();
  const b = await newUser();
  const conv = (await api('POST', '/api/conversations', { token: a.token, body: { participantIds: [b.user.id] } })).json;
  const sends = Array.from({ length: 50 }, (_, i) => api('POST', `/api/conversations/${conv.id}/messages`, { token: i % 2 ? a.token : b.token, body: { content: `m${i}` } }));
  const seqs = (await Promise.all(sends)).map((r) => { assert.equal(r.status, 201, r.text); return r.json.seq; });
  assert.deepEqual(seqs.sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1));
});

test('registrations in flight do not delay ordinary calls', async () => {
  const user = await newUser('slow');
  const registering = Array.from({ length: 6 }, () => newUser('bulk'));
  const started = Date.now();
  const me = await api('GET', '/api/me', { token: user.token });
  const meMs = Date.now() - started;
  await Promise.all(registering);
  const allMs = Date.now() - started;
  assert.equal(me.status, 200);
  assert.ok(meMs < allMs, `me took ${meMs} ms while the registrations took ${allMs} ms`);
});
