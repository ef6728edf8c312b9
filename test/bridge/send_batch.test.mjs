// The batched send path through a real bridge: forged doorbells deliver nothing, many concurrent
// senders (group commit) are each acked with their own message and delivered exactly once with
// gapless seqs, and a refusal inside a batch is acked to its sender alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, newUser, psql } from './helpers.mjs';
import { call, collect, connect, directChat, sleep } from './realtime_helpers.mjs';

const open = [];
async function device(user) {
  const socket = await connect(user.token);
  open.push(socket);
  return socket;
}
after(() => open.forEach((s) => s.close()));

function notify(payload) {
  psql(`NOTIFY chat, '${payload.replaceAll("'", "''")}'`);
}

// Every event a socket gets about messages, in one list.
function messageEvents(socket) {
  const events = [];
  for (const name of ['message_received', 'message_updated', 'message_deleted']) {
    socket.on(name, (m) => events.push({ name, m }));
  }
  return events;
}

test('forged doorbells deliver nothing, and a real message after them is delivered once', async () => {
  const a = await newUser('sb');
  const b = await newUser('sb');
  const chat = await directChat(a, b);
  const sa = await device(a);
  const sb = await device(b);
  const first = await call(sa, 'send_message', { conversationId: chat.id, content: 'real one', clientId: 'f-1' });
  assert.equal(first.seq, 1);
  await sleep(300);
  const heardA = messageEvents(sa);
  const heardB = messageEvents(sb);

  const fake = { id: randomUUID(), conversationId: chat.id, seq: 2, sender_id: a.user.id, content: 'FAKE inline content', created_at: new Date().toISOString() };
  const forged = [
    { type: 'messages', ranges: [[chat.id, 999, 1005]] },
    { type: 'messages', ranges: [[chat.id, 2, 9223372036854775807n.toString()]] },
    { type: 'messages', ranges: [[randomUUID(), 1, 3]] },
    { type: 'messages', ranges: [[chat.id, 5, 2]] },
    { type: 'messages', ranges: [['not-a-uuid', 1, 1]] },
    { type: 'messages', ranges: 'everything' },
    { type: 'messages', ranges: [[chat.id]] },
    { type: 'messages' },
    { type: 'message_created', conversationId: chat.id, message: fake },
    { type: 'message_created', conversationId: chat.id, seq: 2, content: 'FAKE inline content' },
    // the old inline shape, naming the next seq: must neither deliver nor hide the real seq 2
    { type: 'message_created', conversationId: chat.id, seq: 2, message: fake },
    { type: 'message_updated', conversationId: chat.id, seq: 999, message: { ...fake, content: 'FAKE edit' } },
    { type: 'message_deleted', conversationId: chat.id, seq: 999 },
  ];
  for (const payload of forged) notify(JSON.stringify(payload).replace(/"(9223372036854775807)"/, '$1'));
  notify('not json at all');
  notify('{"type":"messages","ranges":[[');
  notify('');
  await sleep(800);
  assert.deepEqual(heardB, [], `b got ${JSON.stringify(heardB).slice(0, 300)}`);
  assert.deepEqual(heardA, [], `a got ${JSON.stringify(heardA).slice(0, 300)}`);

  const health = await api('GET', '/health');
  assert.equal(health.status, 200, 'the bridge is still up after the forged doorbells');
  const real = await call(sa, 'send_message', { conversationId: chat.id, content: 'real two', clientId: 'f-2' });
  assert.equal(real.seq, 2, 'the forged doorbells took no seq');
  await sleep(500);
  const received = heardB.filter((e) => e.name === 'message_received').map((e) => e.m);
  assert.equal(received.length, 1, `b got ${JSON.stringify(heardB).slice(0, 300)}`);
  assert.deepEqual(received[0], real);
  assert.equal(heardB.length, 1, 'and nothing else');
});

test('20 users in 10 direct chats, 20 messages each with 4 in flight: own acks, delivered once, gapless seqs', async () => {
  const users = await Promise.all(Array.from({ length: 20 }, () => newUser('sb')));
  const chats = await Promise.all(Array.from({ length: 10 }, (_, i) => directChat(users[2 * i], users[2 * i + 1])));
  const sockets = await Promise.all(users.map((u) => device(u)));
  const received = sockets.map((s) => collect(s, 'message_received'));

  async function sender(index) {
    const chat = chats[Math.floor(index / 2)];
    const acks = [];
    let next = 0;
    async function lane() {
      while (next < 20) {
        const n = next++;
        const clientId = `u${index}-m${n}`;
        const content = `message ${n} from ${index}`;
        const ack = await call(sockets[index], 'send_message', { conversationId: chat.id, content, clientId }, 20000);
        acks.push({ clientId, content, ack });
      }
    }
    await Promise.all([lane(), lane(), lane(), lane()]);
    return acks;
  }
  const all = await Promise.all(users.map((_, i) => sender(i)));

  for (const [index, acks] of all.entries()) {
    assert.equal(acks.length, 20);
    for (const { clientId, content, ack } of acks) {
      assert.ok(ack.id, `user ${index} ${clientId}: ${JSON.stringify(ack)}`);
      assert.equal(ack.clientId, clientId, 'each send is acked with its own message');
      assert.equal(ack.content, content);
      assert.equal(ack.sender_id, users[index].user.id);
      assert.equal(ack.conversationId, chats[Math.floor(index / 2)].id);
    }
  }
  for (const [i, chat] of chats.entries()) {
    const acks = [...all[2 * i], ...all[2 * i + 1]].map((x) => x.ack);
    assert.deepEqual(acks.map((m) => m.seq).sort((x, y) => x - y), Array.from({ length: 40 }, (_, k) => k + 1),
      `chat ${i}: seqs are gapless and unique`);
    assert.equal(new Set(acks.map((m) => m.id)).size, 40);
    for (const member of [2 * i, 2 * i + 1]) {
      const list = await received[member].wait(40, 15000);
      await sleep(200);
      assert.equal(list.length, 40, `member ${member} got each message exactly once`);
      assert.deepEqual(new Set(list.map((m) => m.id)), new Set(acks.map((m) => m.id)));
      const other = member ^ 1;
      const fromOther = list.filter((m) => m.sender_id === users[other].user.id);
      assert.equal(fromOther.length, 20, `member ${member} got the other's 20 messages`);
      assert.ok(list.every((m) => m.conversationId === chat.id), 'nothing from another chat');
    }
  }
  const stored = psql(`SELECT count(*) || ',' || count(DISTINCT (conversation_id, seq)) FROM chat.messages WHERE conversation_id IN (${chats.map((c) => `'${c.id}'`).join(',')})`);
  assert.equal(stored, '400,400', 'each send stored once');
});

test('refusals inside a batch are acked to their senders while the rest of the moment succeeds', async () => {
  const a = await newUser('sb');
  const b = await newUser('sb');
  const c = await newUser('sb');
  const stranger = await newUser('sb');
  const chat = await directChat(a, b);
  const elsewhere = await directChat(a, c);
  const sa = await device(a);
  const sb = await device(b);
  const sx = await device(stranger);
  const atB = collect(sb, 'message_received');
  const other = await call(sa, 'send_message', { conversationId: elsewhere.id, content: 'in another chat', clientId: 'o-1' });

  // all emitted in one turn, so they reach the bridge together and ride the same batches
  const sends = [
    call(sa, 'send_message', { conversationId: chat.id, content: 'good 1', clientId: 'g-1' }),
    call(sx, 'send_message', { conversationId: chat.id, content: 'let me in', clientId: 'x-1' }),
    call(sb, 'send_message', { conversationId: chat.id, content: 'good 2', clientId: 'g-2' }),
    call(sa, 'send_message', { conversationId: chat.id, content: 'é'.repeat(65537), clientId: 'long' }),
    call(sb, 'send_message', { conversationId: chat.id, content: 'cross reply', clientId: 'r-1', replyTo: other.id }),
    call(sa, 'send_message', { conversationId: chat.id, content: '', clientId: 'empty' }),
    call(sa, 'send_message', { conversationId: chat.id, content: 'good 3', clientId: 'g-3' }),
    call(sx, 'send_message', { conversationId: randomUUID(), content: 'nowhere', clientId: 'x-2' }),
    call(sb, 'send_message', { conversationId: chat.id, content: 'good 4', clientId: 'g-4' }),
  ];
  const [good1, stranger1, good2, tooLong, crossReply, empty, good3, nowhere, good4] = await Promise.all(sends);

  assert.equal(stranger1.error?.code, 'not_found', `a non-member: ${JSON.stringify(stranger1)}`);
  assert.equal(nowhere.error?.code, 'not_found', `no such conversation: ${JSON.stringify(nowhere)}`);
  assert.ok(['bad_request', 'payload_too_large'].includes(tooLong.error?.code), `too long: ${JSON.stringify(tooLong).slice(0, 200)}`);
  assert.equal(crossReply.error?.code, 'bad_request', `reply across chats: ${JSON.stringify(crossReply)}`);
  assert.equal(empty.error?.code, 'bad_request', `empty: ${JSON.stringify(empty)}`);
  for (const refusal of [stranger1, nowhere, tooLong, crossReply, empty]) {
    assert.equal(typeof refusal.error.message, 'string');
    assert.ok(!('id' in refusal), 'a refusal carries no message');
  }
  const goods = [good1, good2, good3, good4];
  assert.deepEqual(goods.map((m) => m.clientId), ['g-1', 'g-2', 'g-3', 'g-4'], 'each good send is acked with its own message');
  assert.deepEqual(goods.map((m) => m.seq).sort(), [1, 2, 3, 4], 'the refusals took no seq');
  await atB.wait(4);
  await sleep(300);
  assert.deepEqual(new Set(atB.map((m) => m.id)), new Set(goods.map((m) => m.id)), 'only the good ones are delivered');
  assert.equal(atB.length, 4);
});
