// PostgreSQL goes away in the middle of the run: the bridge answers 503 (never crashes), and
// comes back by itself once the database returns. Runs last (RUN_LAST in run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { api, newUser } from './helpers.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

function pgCtl(action) {
  const script = `source scripts/env.sh; as_owner "$PGCHAT_PGBIN/pg_ctl" -D "$PGCHAT_PGDATA" -m fast -w -t 60 \\
    -l "$PGCHAT_LOG_DIR/postgres.log" -o "-p $PGCHAT_PG_PORT -k $PGCHAT_SOCKET_DIR" ${action} >/dev/null`;
  execFileSync('bash', ['-c', script], { cwd: ROOT, stdio: 'inherit' });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a Postgres restart gives 503s, then the bridge recovers alone', { timeout: 120000 }, async () => {
  const user = await newUser('restart');
  assert.equal((await api('GET', '/api/me', { token: user.token })).status, 200);

  // requests in flight while the server stops: each gets an answer, 200 or 503
  const during = Array.from({ length: 40 }, () => api('GET', '/api/me', { token: user.token }));
  pgCtl('stop');
  for (const r of await Promise.all(during)) assert.ok([200, 503].includes(r.status), r.text);

  const down = await api('GET', '/api/me', { token: user.token });
  assert.equal(down.status, 503, down.text);
  assert.equal(down.json.error.code, 'unavailable');
  const health = await api('GET', '/health');
  assert.equal(health.status, 503);
  assert.equal(health.json.database, 'down');
  const login = await api('POST', '/api/auth/login', { body: { username: user.username, password: user.password } });
  assert.equal(login.status, 503, login.text);

  pgCtl('start');
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    await sleep(200);
    status = (await api('GET', '/api/me', { token: user.token })).status;
  }
  assert.equal(status, 200, 'the bridge reconnected by itself');
  assert.equal((await api('GET', '/health')).status, 200);
  let again;
  for (let i = 0; i < 100; i++) { // the slow pool reconnects on its own backoff schedule
    again = await api('POST', '/api/auth/login', { body: { username: user.username, password: user.password } });
    if (again.status !== 503) break;
    await sleep(200);
  }
  assert.equal(again.status, 200, again.text);
});
