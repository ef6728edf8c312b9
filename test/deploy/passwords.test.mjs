// The passwords of a deployment against the real programs: Redis started by compose's own script
// demands its password and refuses the example's placeholder, its health check passes only when
// authenticated; the bridge refuses to start with any change-me placeholder of the example files.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, readText, readYamlAll } from './lib.mjs';
import { composeRedis, freePort, redisCli, startComposeRedis } from './services.mjs';

const BRIDGE = path.join(ROOT, 'bridge/pgchat-bridge');
const example = Object.fromEntries(readText('docker/.env.example').split('\n').filter((l) => /^\w+=/.test(l))
  .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const k8sPlaceholders = readYamlAll('docker/k8s/secrets.example.yaml').flatMap((s) => Object.values(s.stringData));
const password = crypto.randomBytes(24).toString('hex'); // what the docs tell operators to use

describe('Redis as compose starts it', () => {
  const started = [];
  after(async () => { for (const redis of started) await redis.stop(); });

  test('refuses to start without a password or with the example\'s placeholder', async () => {
    for (const value of [undefined, '', example.REDIS_PASSWORD]) {
      const port = await freePort();
      const redis = await startComposeRedis(value, port);
      started.push(redis);
      const { code } = await redis.exited;
      assert.equal(code, 1, `REDIS_PASSWORD=${value}: ${redis.output}`);
      assert.match(redis.output, value ? /still the example's placeholder/ : /REDIS_PASSWORD is not set/);
      assert.equal(redisCli(port, undefined, 'ping'), '', 'nothing listens');
    }
  });

  test('answers only clients that authenticate, and keeps the password off its command line', async () => {
    const port = await freePort();
    const redis = await startComposeRedis(password, port);
    started.push(redis);
    assert.equal(redisCli(port, password, 'ping'), 'PONG', redis.output);
    assert.match(redisCli(port, undefined, 'ping'), /NOAUTH/);
    assert.match(redisCli(port, 'wrong', 'ping'), /NOAUTH/, 'a wrong password authenticates nothing');
    assert.equal(redisCli(port, password, 'config', 'get', 'save'), 'save\n60 1', 'compose\'s options apply');
    const cmdline = fs.readFileSync(`/proc/${redis.pid}/cmdline`, 'utf8');
    assert.match(cmdline, /redis-server/, 'the script exec\'d Redis in its own place');
    assert.ok(!cmdline.includes(password), 'the password is on no command line');
  });

  test('the health check passes with REDISCLI_AUTH and fails without it', async () => {
    const port = await freePort();
    const redis = await startComposeRedis(password, port);
    started.push(redis);
    const [kind, check] = composeRedis().healthcheck.test;
    assert.equal(kind, 'CMD-SHELL');
    assert.match(check, /^redis-cli /);
    const local = check.replace(/^redis-cli /, `redis-cli -p ${port} `); // the service's port, on loopback
    const run = (auth) => spawnSync('sh', ['-c', local], { env: { PATH: process.env.PATH, ...auth }, timeout: 5000 }).status;
    assert.equal(run({ REDISCLI_AUTH: password }), 0);
    assert.notEqual(run({}), 0, 'NOAUTH is unhealthy');
    assert.notEqual(run({ REDISCLI_AUTH: 'wrong' }), 0, 'a wrong password is unhealthy');
  });
});

describe('the bridge refuses the example files\' placeholders', () => {
  // The bridge exits at configuration, before it connects anywhere: nothing needs to listen.
  function bridgeWith(env) {
    return new Promise((resolve) => {
      const child = spawn(BRIDGE, [], { env: { PATH: process.env.PATH, PGCHAT_LISTEN: '127.0.0.1', PGCHAT_PORT: '55619', ...env } });
      let output = '';
      child.stdout.on('data', (d) => { output += d; });
      child.stderr.on('data', (d) => { output += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, output }); });
    });
  }
  const database = 'postgresql://pgchat_bridge@127.0.0.1:1/pgchat';
  const redis = `redis://:${password}@127.0.0.1:1`;

  test('a placeholder database password, in PGPASSWORD, in the URL or in a conninfo', async () => {
    assert.ok(fs.existsSync(BRIDGE), 'bridge/pgchat-bridge is built (make bridge/pgchat-bridge)');
    const placeholders = [example.PGCHAT_BRIDGE_PASSWORD, ...k8sPlaceholders];
    const cases = [
      ...placeholders.map((p) => ({ PGPASSWORD: p, PGCHAT_DATABASE_URL: database })),
      { PGCHAT_DATABASE_URL: `postgresql://pgchat_bridge:${example.PGCHAT_BRIDGE_PASSWORD}@127.0.0.1:1/pgchat` },
      { PGCHAT_DATABASE_URL: `host=127.0.0.1 port=1 password='${example.PGCHAT_BRIDGE_PASSWORD}'` },
    ];
    for (const env of cases) {
      const { code, output } = await bridgeWith({ ...env, PGCHAT_REDIS_URL: redis });
      assert.equal(code, 2, `${JSON.stringify(env)}: ${output}`);
      assert.match(output, /the database password .* change-me placeholder; set a real one/);
    }
  });

  test('a placeholder Redis password in the Redis URL, with or without a user name', async () => {
    for (const url of [`redis://:${example.REDIS_PASSWORD}@redis:6379`, `redis://default:${example.REDIS_PASSWORD}@redis`]) {
      const { code, output } = await bridgeWith({ PGPASSWORD: password, PGCHAT_DATABASE_URL: database, PGCHAT_REDIS_URL: url });
      assert.equal(code, 2, `${url}: ${output}`);
      assert.match(output, /the password in the Redis URL \(PGCHAT_REDIS_URL\) is an example's change-me placeholder/);
    }
  });

  test('real passwords pass the check (the bridge starts and runs until stopped)', async () => {
    const env = { PGPASSWORD: password, PGCHAT_DATABASE_URL: `${database}?connect_timeout=1`, PGCHAT_REDIS_URL: redis };
    const child = spawn(BRIDGE, [], { env: { PATH: process.env.PATH, PGCHAT_LISTEN: '127.0.0.1', PGCHAT_PORT: String(await freePort()), ...env } });
    let output = '';
    child.stderr.on('data', (d) => { output += d; });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 1500))]);
    assert.equal(early, null, `still running: ${output}`);
    assert.doesNotMatch(output, /change-me/);
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  });
});
