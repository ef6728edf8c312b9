// Limits a single client can't push past: a socket sends at most PGCHAT_SOCKET_EVENT_RATE events a
// second (default 100, in bursts of 200); the rest are answered rate_limited and do nothing, the
// flooder's peers are not slowed, and the socket may go on once it slows down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUser, psql } from './helpers.mjs';
import { connect, call, collect, directChat, sleep } from './realtime_helpers.mjs';

test('a socket flooding events is refused past its rate, stores nothing extra, and others are not slowed', async () => {
  const flooder = await newUser('lf');
  const peer = await newUser('lp');
  const other = await newUser('lo');
  const flood = await directChat(flooder, peer);
  const calm = await directChat(other, peer);
  const sf = await connect(flooder.token);
  const so = await connect(other.token);
  const sp = await connect(peer.token);
  try {
    const received = collect(sp, 'message_received');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 600 }, (_, i) =>
      call(sf, 'send_message', { conversationId: flood.id, content: `flood ${i}`, clientId: `f${i}` }, 15000)));
    const elapsed = Date.now() - started;
    const refused = answers.filter((a) => a.error?.code === 'rate_limited').length;
    const stored = answers.filter((a) => a.id).length;
    assert.equal(refused + stored, 600, JSON.stringify(answers.find((a) => !a.id && a.error?.code !== 'rate_limited')));
    // a burst of 200 and 100 a second for the time the flood took
    assert.ok(stored >= 200 && stored <= 200 + Math.ceil(elapsed / 10) + 5, `stored ${stored} in ${elapsed} ms`);
    assert.ok(refused >= 600 - stored, `${refused} refused`);
    assert.equal(Number(psql(`SELECT count(*) FROM chat.messages WHERE conversation_id = '${flood.id}'`)), stored,
      'a refused send stores nothing');
    console.log(`# socket flood: 600 sends in ${elapsed} ms, ${stored} stored, ${refused} refused rate_limited`);

    // someone else's message still goes through at once
    const t0 = Date.now();
    const mine = await call(so, 'send_message', { conversationId: calm.id, content: 'still here', clientId: 'c1' });
    assert.ok(mine.id, JSON.stringify(mine));
    await received.wait(stored + 1, 10000);
    console.log(`# another user's send during the flood: acked in ${Date.now() - t0} ms`);

    // the flooder, slowed down, is served again
    await sleep(1100);
    const again = await call(sf, 'send_message', { conversationId: flood.id, content: 'calm now', clientId: 'f-after' });
    assert.ok(again.id, JSON.stringify(again));
  } finally {
    sf.close();
    so.close();
    sp.close();
  }
});
