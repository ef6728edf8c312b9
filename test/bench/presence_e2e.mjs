// Presence and typing end to end across two real bridges (the two-bridge setup of
// test/bridge/cluster.mjs: its own redis-server, two bridges, the instance's database), as a
// client sees them: USERS users with a direct chat with one watcher; the watcher sits on bridge b.
//   typing: a user on bridge a alternates typing / stop_typing in every chat; the watcher counts
//           user_typing + user_stop_typing.
//   presence: the users connect to bridge a and leave, ROUNDS times; the watcher counts presence.
// Usage: node test/bench/presence_e2e.mjs [USERS] [ROUNDS]
import { Cluster, connect, register } from '../bridge/cluster.mjs';

const USERS = Number(process.argv[2] || 100);
const ROUNDS = Number(process.argv[3] || 5);
const cluster = new Cluster();

// Waits for target events, or until none came for quietMs; counter.last is the last one's time.
async function waitCount(counter, target, quietMs = 2000) {
  while (counter.n < target && Date.now() - (counter.last || Date.now()) < quietMs) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return counter.n >= target;
}

function counting(counter) {
  return () => {
    counter.n++;
    counter.last = Date.now();
  };
}


try {
  await cluster.start();
  const a = cluster.url('a');
  const watcher = await register(a, 'bw');
  const users = [];
  for (let i = 0; i < USERS; i += 10) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(10, USERS - i) }, () => register(a, 'bu')))));
  }
  const chats = [];
  for (const user of users) {
    const r = await fetch(`${a}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ participantIds: [watcher.user.id] }),
    });
    chats.push((await r.json()).id);
  }
  const sw = await connect(cluster.url('b'), watcher.token);

  // typing: one socket per user on bridge a, each typing in its chat with the watcher
  const typers = await Promise.all(users.map((u) => connect(a, u.token)));
  const typing = { n: 0, last: 0 };
  sw.on('user_typing', counting(typing));
  sw.on('user_stop_typing', counting(typing));
  await new Promise((r) => setTimeout(r, 500));
  typing.n = 0;
  typing.last = Date.now();
  let startedMs = Date.now();
  // a round at a time: a burst far past the watcher's send queue (1024 messages) would get it
  // disconnected as a slow reader, which is the server protecting itself, not a figure
  let typingDone = true;
  for (let round = 0; round < ROUNDS && typingDone; round++) {
    typers.forEach((s, i) => s.emit('typing', { conversationId: chats[i] }));
    typers.forEach((s, i) => s.emit('stop_typing', { conversationId: chats[i] }));
    typingDone = await waitCount(typing, 2 * USERS * (round + 1));
  }
  const typingTarget = 2 * USERS * ROUNDS;
  const typingSeconds = (typing.last - startedMs) / 1000;
  typers.forEach((s) => s.close());
  await new Promise((r) => setTimeout(r, 1000));

  // presence: every user connects to bridge a and leaves, ROUNDS times
  const presence = { n: 0, last: Date.now() };
  sw.on('presence', counting(presence));
  startedMs = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const sockets = await Promise.all(users.map((u) => connect(a, u.token)));
    sockets.forEach((s) => s.close());
  }
  const presenceTarget = 2 * USERS * ROUNDS;
  presence.last = Date.now();
  const presenceDone = await waitCount(presence, presenceTarget);
  const presenceSeconds = (presence.last - startedMs) / 1000;
  sw.close();

  console.log(`e2e typing: ${typing.n} user_typing/user_stop_typing from bridge a seen on bridge b in ${typingSeconds.toFixed(2)} s = ${Math.round(typing.n / typingSeconds)} events/s${typingDone ? '' : ` (INCOMPLETE, ${typingTarget} expected)`}`);
  console.log(`e2e presence: ${presence.n} presence events for connects/disconnects on bridge a seen on bridge b in ${presenceSeconds.toFixed(2)} s = ${Math.round(presence.n / presenceSeconds)} events/s (includes Socket.IO connects and token checks)${presenceDone ? '' : ` (some coalesced or missing: ${presenceTarget} changes made)`}`);
} finally {
  await cluster.stop();
}
