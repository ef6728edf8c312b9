// The original design's client, unchanged where that costs no safety: it joins and leaves a chat
// with a bare conversation id, sends {conversationId, senderId, content} without a clientId or an
// ack, and reads message_received by the original keys. Only the token at CONNECT is new: a socket
// without one stays refused (docs/realtime.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newUser } from './helpers.mjs';
import { connect, call, collect, directChat, group, sleep } from './realtime_helpers.mjs';

test('the original client chats through the bridge with bare-id join and leave', async () => {
  const alice = await newUser('oa');
  const bob = await newUser('ob');
  const chat = await directChat(alice, bob);
  const sa = await connect(alice.token);
  const sb = await connect(bob.token);
  try {
    const atBob = collect(sb, 'message_received');
    const atAlice = collect(sa, 'message_received');
    sa.emit('user_online', alice.user.id);
    sb.emit('user_online', bob.user.id);
    sa.emit('join_conversation', chat.id);
    sb.emit('join_conversation', chat.id);

    // the original client sends no ack and no clientId; senderId is ignored, never trusted
    sa.emit('send_message', { conversationId: chat.id, senderId: bob.user.id, content: 'hi from the original client' });
    const [m] = await atBob.wait(1);
    for (const key of ['id', 'sender_id', 'content', 'created_at', 'conversationId'])
      assert.ok(key in m, `message_received carries ${key}`);
    assert.equal(m.sender_id, alice.user.id);
    assert.equal(m.content, 'hi from the original client');
    assert.equal(m.conversationId, chat.id);
    await atAlice.wait(1); // the sender's own sockets receive it too

    sb.emit('send_message', { conversationId: chat.id, senderId: bob.user.id, content: 'hello back' });
    const got = await atAlice.wait(2);
    assert.equal(got[1].content, 'hello back');
    assert.equal(got[1].sender_id, bob.user.id);

    sa.emit('leave_conversation', chat.id);
    sb.emit('leave_conversation', chat.id);
    await sleep(50);
  } finally {
    sa.close();
    sb.close();
  }
});

test('bare-id join and leave answer like their object forms', async () => {
  const alice = await newUser('oa');
  const bob = await newUser('ob');
  const carol = await newUser('oc');
  const chat = await group(alice, [bob], 'original');
  const sa = await connect(alice.token);
  const sc = await connect(carol.token);
  try {
    assert.deepEqual(await call(sa, 'join_conversation', chat.id), { ok: true });
    assert.deepEqual(await call(sa, 'leave_conversation', chat.id), { ok: true });
    // a stranger learns nothing more from the bare form
    assert.equal((await call(sc, 'join_conversation', chat.id)).error.code, 'not_found');
    assert.equal((await call(sc, 'join_conversation', randomUUID())).error.code, 'not_found');
    // bad bare values are refused as the object form's are
    for (const bad of ['not-a-uuid', '', 42, true, null, ['x']]) {
      const answer = await call(sa, 'join_conversation', bad);
      assert.equal(answer.error?.code, 'bad_request', `join_conversation ${JSON.stringify(bad)}`);
      const left = await call(sa, 'leave_conversation', bad);
      assert.equal(left.error?.code, 'bad_request', `leave_conversation ${JSON.stringify(bad)}`);
    }
    // other events keep taking one object only
    assert.equal((await call(sa, 'typing', chat.id)).error.code, 'bad_request');
    assert.equal((await call(sa, 'mark_read', chat.id)).error.code, 'bad_request');
  } finally {
    sa.close();
    sc.close();
  }
});

test('a socket without a token is still refused', async () => {
  await assert.rejects(connect(undefined), (error) => {
    assert.equal(error.data?.code, 'unauthorized');
    return true;
  });
});
