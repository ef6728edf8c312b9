// Nothing lost: a group chat goes on while its bridge is killed and restarted, then while
// PostgreSQL restarts. Senders retry until acked (same clientId), devices behave like the web
// client (reconnect, sync from their last seq, merge by id). At the end every acked message has
// reached every device exactly once, and each device holds seq 1..N with no gap.
// This file runs its own bridge on a free port (the suite's bridge stays up); it restarts
// PostgreSQL, so run.sh runs it last but one (RUN_LAST), before database_restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { freePort, startBridge, waitHealthy } from './bridge_process.mjs';
import { newUser } from './helpers.mjs';
import { Device, group, sleep } from './realtime_helpers.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

let bridge = null;
const opened = []; // every device, closed at the end whatever happened, so the process can exit
function start(port) {
  bridge = startBridge(port, { log: 'bridge-restart-test.log' });
  return bridge;
}

function pgCtl(action) {
  const script = `source scripts/env.sh; as_owner "$PGCHAT_PGBIN/pg_ctl" -D "$PGCHAT_PGDATA" -m fast -w -t 60 \\
    -l "$PGCHAT_LOG_DIR/postgres.log" -o "-p $PGCHAT_PG_PORT -k $PGCHAT_SOCKET_DIR" ${action} >/dev/null`;
  execFileSync('bash', ['-c', script], { cwd: ROOT, stdio: 'inherit' });
}

after(async () => {
  opened.forEach((d) => d.close());
  if (bridge && bridge.exitCode === null) {
    bridge.kill('SIGTERM');
    await bridge.exited;
  }
});

test('a bridge restart and a Postgres restart lose nothing: every acked message reaches every device once, in seq order', { timeout: 180000 }, async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  start(port);
  await waitHealthy(url);

  const users = await Promise.all([newUser('nl'), newUser('nl'), newUser('nl')]);
  const chat = await group(users[0], users.slice(1), 'nothing lost');
  // user 0 on two devices (one over long-polling), users 1 and 2 on one each
  const devices = [
    new Device(users[0], { url }),
    new Device(users[0], { url, transports: ['polling', 'websocket'] }),
    new Device(users[1], { url }),
    new Device(users[2], { url, transports: ['polling'] }),
  ];
  opened.push(...devices);
  await Promise.all(devices.map((d) => d.ready));
  const senders = [devices[0], devices[2], devices[3]];
  const perSender = 30;
  const acked = [];
  let sent = 0;

  const sending = senders.map(async (device, s) => {
    for (let i = 0; i < perSender; i++) {
      const ack = await device.sendUntilAcked(chat.id, `sender ${s} message ${i}`, `nl-${s}-${i}`);
      acked.push(ack);
      sent++;
      await sleep(20);
    }
  });

  const disruptions = (async () => {
    while (sent < 20) await sleep(20);
    bridge.kill('SIGKILL'); // a crash: nothing drained, nothing said
    await bridge.exited;
    await sleep(300);
    start(port);
    await waitHealthy(url);
    while (sent < 55) await sleep(20);
    pgCtl('stop');
    await sleep(500);
    pgCtl('start');
  })();

  await Promise.all([...sending, disruptions]);
  const total = senders.length * perSender;
  assert.equal(new Set(acked.map((m) => m.id)).size, total, 'each send acked with its own message');
  assert.deepEqual(acked.map((m) => m.seq).sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1));

  // delivery by events (and the syncs devices make when they reconnect), no final sync
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline && devices.some((d) => d.sorted(chat.id).length < total)) await sleep(100);
  const byId = new Map(acked.map((m) => [m.id, m]));
  for (const [i, device] of devices.entries()) {
    const list = device.sorted(chat.id);
    assert.deepEqual(list.map((m) => m.seq), Array.from({ length: total }, (_, k) => k + 1), `device ${i}: seq 1..${total} once each`);
    for (const m of list) assert.equal(byId.get(m.id)?.seq, m.seq, `device ${i}: ${m.id} is an acked message`);
  }
  const reconnects = devices.map((d) => d.connects - 1);
  const duplicates = devices.map((d) => d.deliveries - total);
  console.log(`# reconnects per device ${reconnects.join(',')}; events beyond one per message ${duplicates.join(',')} (merged by id)`);
  assert.ok(reconnects.every((n) => n >= 1), 'every device reconnected after the bridge restart');
  devices.forEach((d) => d.close());
  bridge.kill('SIGTERM');
  const { code } = await bridge.exited;
  assert.equal(code, 0, 'the restarted bridge stops cleanly');
});
