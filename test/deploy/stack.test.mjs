// The containers' own scripts and settings against the real parts, without Docker: the database
// image's first-start script runs against this instance's PostgreSQL, the bridge runs with the
// environment compose gives it (service names mapped to loopback; Redis started by compose's own
// script, with a password), and the image's health check script judges it. Needs the environment of scripts/test.sh (PG*, PGCHAT_*).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, readText, readYaml } from './lib.mjs';
import { freePort, startComposeRedis } from './services.mjs';

const { PGHOST, PGPORT, PGUSER = 'postgres', PGCHAT_PGBIN = '/usr/lib/postgresql/15/bin' } = process.env;
const INIT = path.join(ROOT, 'docker/initdb/10-chat.sh');
const HEALTHCHECK = path.join(ROOT, 'docker/bridge-healthcheck.sh');
const BRIDGE = path.join(ROOT, 'bridge/pgchat-bridge');

const suffix = `${process.pid}`;
const db = `deploy_${suffix}`;
const role = `deploy_bridge_${suffix}`;
const password = crypto.randomBytes(18).toString('base64url');
const redisPassword = crypto.randomBytes(24).toString('hex');
const env = { ...process.env, PATH: `${PGCHAT_PGBIN}:${process.env.PATH}` };

function psql(database, sql, extra = {}) {
  const result = spawnSync(`${PGCHAT_PGBIN}/psql`, ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', database, '-c', sql],
    { env: { ...env, ...extra }, encoding: 'utf8' });
  return { ok: result.status === 0, out: result.stdout.trim(), err: result.stderr.trim() };
}

// The first-start script as the image's entrypoint runs it: as the superuser, on the local socket.
function runInit(extra) {
  return spawnSync(INIT, [], { env: { ...env, POSTGRES_USER: PGUSER, POSTGRES_DB: db, PGCHAT_BRIDGE_ROLE: role, ...extra }, encoding: 'utf8' });
}

function healthcheck(port) {
  return spawnSync(HEALTHCHECK, [], { env: { ...env, PGCHAT_PORT: String(port) }, encoding: 'utf8', timeout: 10000 });
}

// The bridge's environment in compose, with ${...} taken from .env.example (its placeholders
// replaced by this run's passwords) and the service names pointed at this instance and at the
// test's Redis; the rest exactly as compose sets it.
function composeBridgeEnv(port, webRoot, databaseUrl, redisPort) {
  const example = Object.fromEntries(readText('docker/.env.example').split('\n').filter((l) => /^\w+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  example.REDIS_PASSWORD = redisPassword;
  const composed = Object.fromEntries(Object.entries(readYaml('docker/compose.yaml').services['bridge-1'].environment)
    .map(([k, v]) => [k, String(v).replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (m, name, d) => example[name] ?? d ?? '')]));
  const url = new URL(composed.PGCHAT_DATABASE_URL);
  assert.equal(url.hostname, 'postgres');
  url.hostname = '127.0.0.1';
  url.port = PGPORT;
  url.username = role;
  url.pathname = `/${db}`;
  const redis = new URL(composed.PGCHAT_REDIS_URL);
  assert.equal(redis.hostname, 'redis');
  assert.equal(redis.password, redisPassword, 'the URL carries the Redis password');
  redis.hostname = '127.0.0.1';
  redis.port = String(redisPort);
  return {
    ...composed,
    PGCHAT_DATABASE_URL: databaseUrl ?? url.toString(),
    PGCHAT_REDIS_URL: redis.toString(),
    PGPASSWORD: password,
    PGCHAT_PORT: String(port),
    PGCHAT_LISTEN: '127.0.0.1', // loopback here; the container listens on all interfaces
    PGCHAT_WEB_ROOT: webRoot, // the image's /usr/share/pgchat/web
  };
}

const bridges = [];
function startBridge(bridgeEnv) {
  const child = spawn(BRIDGE, [], { env: { PATH: process.env.PATH, ...bridgeEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  bridges.push(child);
  return child;
}

async function waitFor(check, ms = 10000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const skip = !PGHOST || !PGPORT ? 'needs the environment of scripts/test.sh' : false;

describe('the containers\' scripts against the real services', { skip }, () => {
  const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pgchat-deploy-web-'));
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>deploy fixture</title>');

  let redis;
  before(async () => {
    assert.ok(fs.existsSync(BRIDGE), 'bridge/pgchat-bridge is built (make bridge/pgchat-bridge)');
    assert.ok(psql('postgres', `CREATE DATABASE ${db}`).ok, 'a scratch database');
    redis = await startComposeRedis(redisPassword, await freePort());
    assert.equal(redis.exitCode, null, `compose's Redis runs: ${redis.output}`);
  });
  after(async () => {
    await redis?.stop();
    for (const child of bridges) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(bridges.map((b) => b.exited));
    psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    psql('postgres', `DROP ROLE IF EXISTS ${role}`);
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  const nothingCreated = () => {
    assert.equal(psql(db, "SELECT count(*) FROM pg_extension WHERE extname = 'chat'").out, '0');
    assert.equal(psql(db, `SELECT count(*) FROM pg_roles WHERE rolname = '${role}'`).out, '0');
  };

  test('the first start refuses a missing bridge password and creates nothing', () => {
    const result = runInit({ PGCHAT_BRIDGE_PASSWORD: '' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /PGCHAT_BRIDGE_PASSWORD is not set/);
    nothingCreated();
  });

  test('the first start refuses the placeholder of .env.example and creates nothing', () => {
    const placeholder = readText('docker/.env.example').match(/^PGCHAT_BRIDGE_PASSWORD=(.*)$/m)[1];
    const result = runInit({ PGCHAT_BRIDGE_PASSWORD: placeholder });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /placeholder/);
    nothingCreated();
  });

  test('the first start refuses the example\'s superuser password and creates nothing', () => {
    const placeholder = readText('docker/.env.example').match(/^POSTGRES_PASSWORD=(.*)$/m)[1];
    const result = runInit({ POSTGRES_PASSWORD: placeholder, PGCHAT_BRIDGE_PASSWORD: password });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /POSTGRES_PASSWORD is still the example's placeholder/);
    nothingCreated();
  });

  test('the first start creates the extension at its default version and the bridge\'s login role', () => {
    const result = runInit({ PGCHAT_BRIDGE_PASSWORD: password });
    assert.equal(result.status, 0, result.stderr);
    const defaultVersion = readText('chat.control').match(/default_version = '([^']+)'/)[1];
    assert.equal(psql(db, "SELECT extversion FROM pg_extension WHERE extname = 'chat'").out, defaultVersion);
    assert.equal(psql(db, `SELECT rolcanlogin AND NOT rolsuper FROM pg_roles WHERE rolname = '${role}'`).out, 't');
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(password), 'the password is never printed');
  });

  test('a second run is harmless and keeps the password', () => {
    const result = runInit({ PGCHAT_BRIDGE_PASSWORD: `${password}-other` });
    assert.equal(result.status, 0, result.stderr);
    const tcp = `postgresql://${role}@127.0.0.1:${PGPORT}/${db}`;
    assert.ok(psql(tcp, 'SELECT 1', { PGHOST: '', PGPASSWORD: password }).ok, 'the first password still works');
  });

  test('the role logs in over TCP with its password, calls the API and reads no table', () => {
    const tcp = `postgresql://${role}@127.0.0.1:${PGPORT}/${db}`;
    const as = { PGHOST: '', PGPASSWORD: password };
    assert.ok(!psql(tcp, 'SELECT 1', { PGHOST: '', PGPASSWORD: 'wrong' }).ok, 'a wrong password is refused');
    const registered = psql(tcp, "SELECT chat.register('deploy_user', 'deploy@example.com', 'deploy password')->'user'->>'username'", as);
    assert.equal(registered.out, 'deploy_user', registered.err);
    const read = psql(tcp, 'SELECT count(*) FROM chat.users', as);
    assert.ok(!read.ok && /permission denied/.test(read.err), 'tables stay closed');
    assert.ok(!psql(tcp, 'SELECT * FROM chat.stats', as).ok, 'statistics stay closed');
  });

  test('the bridge runs with compose\'s environment and the image\'s health check passes', async () => {
    const port = await freePort([redis.port]);
    const child = startBridge(composeBridgeEnv(port, webRoot, undefined, redis.port));
    const up = await waitFor(() => healthcheck(port).status === 0);
    assert.ok(up, `healthy within 10 s; bridge said:\n${child.output}`);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
    assert.deepEqual(health, { status: 'ok', database: 'ok', redis: 'ok' });

    const response = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'deploy_web', email: 'deploy_web@example.com', password: 'deploy password' }),
    });
    assert.equal(response.status, 201);
    assert.ok((await response.json()).token, 'the bridge role registers through the API');
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.match(await page.text(), /deploy fixture/, 'the web root is served');

    child.kill('SIGTERM');
    assert.deepEqual(await child.exited, { code: 0, signal: null }, 'SIGTERM (docker stop) ends it cleanly');
  });

  test('the health check fails while the bridge\'s database is unreachable, and when nothing listens', async () => {
    const port = await freePort([redis.port]);
    const closed = await freePort([port, redis.port]);
    const child = startBridge(composeBridgeEnv(port, webRoot, `postgresql://${role}@127.0.0.1:${closed}/${db}?connect_timeout=2`, redis.port));
    const listening = await waitFor(async () => {
      try { return (await fetch(`http://127.0.0.1:${port}/health`)).status === 503; } catch { return false; }
    });
    assert.ok(listening, `the bridge answers 503; it said:\n${child.output}`);
    const down = healthcheck(port);
    assert.notEqual(down.status, 0);
    child.kill('SIGTERM');
    await child.exited;
    assert.notEqual(healthcheck(port).status, 0, 'no bridge: unhealthy');
  });
});
