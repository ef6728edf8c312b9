// Helpers of cluster.test.mjs: a redis-server (with a password, as a deployment runs it) and two
// bridges of its own, on ports of their own
// (CLUSTER_REDIS_PORT, CLUSTER_PORT_A, CLUSTER_PORT_B; by default the instance's Redis port + 7
// and HTTP port + 3, + 4), sharing the instance's database; Socket.IO clients; small waits.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';

const ROOT = new URL('../../', import.meta.url).pathname;
const env = process.env;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  constructor() {
    this.redisPort = Number(env.CLUSTER_REDIS_PORT || Number(env.PGCHAT_REDIS_PORT || 26389) + 7);
    this.ports = {
      a: Number(env.CLUSTER_PORT_A || Number(env.PGCHAT_PORT || 5100) + 3),
      b: Number(env.CLUSTER_PORT_B || Number(env.PGCHAT_PORT || 5100) + 4),
    };
    this.binary = join(ROOT, env.BRIDGE_ASAN === '1' ? 'bridge/pgchat-bridge-asan' : 'bridge/pgchat-bridge');
    this.artifacts = env.PGCHAT_TEST_ARTIFACTS || join(ROOT, 'test/artifacts');
    this.bridges = {};
    this.dir = mkdtempSync(join(tmpdir(), 'pgchat-cluster-'));
    this.redisPassword = randomBytes(12).toString('hex');
  }

  url(name) {
    return `http://127.0.0.1:${this.ports[name]}`;
  }

  async start() {
    for (const port of [this.redisPort, this.ports.a, this.ports.b]) {
      if (await portAnswers(port)) throw new Error(`port ${port} is taken; set CLUSTER_REDIS_PORT / CLUSTER_PORT_A / CLUSTER_PORT_B`);
    }
    mkdirSync(this.artifacts, { recursive: true });
    writeFileSync(join(this.dir, 'index.html'), '<!doctype html><title>cluster</title>');
    await this.startRedis();
    await Promise.all([this.startBridge('a'), this.startBridge('b')]);
  }

  // In the foreground, as a child of this process, so its exit is seen and nothing outlives us.
  async startRedis() {
    const log = openSync(join(this.dir, 'redis.log'), 'a');
    this.redis = spawn('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', this.dir, '--requirepass', this.redisPassword], { stdio: ['ignore', log, log] });
    closeSync(log);
    const redis = this.redis;
    redis.exited = new Promise((resolve) => redis.on('exit', (code, signal) => resolve({ code, signal })));
    for (let i = 0; i < 100; i++) {
      if (redisCli(this.redisPort, this.redisPassword, 'ping') === 'PONG') return;
      if (redis.exitCode !== null || redis.signalCode !== null) break;
      await sleep(100);
    }
    const text = readFileSync(join(this.dir, 'redis.log'), 'utf8');
    throw new Error(`the cluster redis-server did not start on port ${this.redisPort}:\n${text.slice(-1500)}`);
  }

  async stopRedis() {
    const redis = this.redis;
    if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
    redisCli(this.redisPort, this.redisPassword, 'shutdown', 'nosave');
    const stopped = await Promise.race([redis.exited, sleep(5000).then(() => null)]);
    if (!stopped) {
      redis.kill('SIGKILL');
      await redis.exited;
    }
  }

  async startBridge(name) {
    const log = openSync(join(this.artifacts, `cluster-${name}.log`), 'a');
    const child = spawn(this.binary, [], {
      env: {
        ...env,
        PGCHAT_PORT: String(this.ports[name]),
        PGCHAT_LISTEN: '127.0.0.1',
        PGCHAT_REDIS_URL: `redis://:${this.redisPassword}@127.0.0.1:${this.redisPort}`,
        PGCHAT_WEB_ROOT: this.dir,
        PGCHAT_BRIDGE_ID: `cluster-${name}`,
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.bridges[name] = child;
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await this.waitHealth(name, (h) => h.database === 'ok' && h.redis === 'ok', 15000);
  }

  alive(name) {
    const child = this.bridges[name];
    return child && child.exitCode === null && child.signalCode === null;
  }

  kill(name) {
    this.bridges[name].kill('SIGKILL');
  }

  // SIGTERM; resolves with {code, signal} once it exited.
  async terminate(name) {
    const child = this.bridges[name];
    child.kill('SIGTERM');
    return Promise.race([child.exited, sleep(15000).then(() => ({ code: 'timeout' }))]);
  }

  async health(name) {
    try {
      const r = await fetch(`${this.url(name)}/health`);
      return await r.json();
    } catch {
      return null;
    }
  }

  async waitHealth(name, predicate, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = null;
    while (Date.now() < deadline) {
      if (!this.alive(name)) throw new Error(`bridge ${name} exited (see cluster-${name}.log)`);
      last = await this.health(name);
      if (last && predicate(last)) return last;
      await sleep(100);
    }
    throw new Error(`bridge ${name}: health never matched; last ${JSON.stringify(last)}`);
  }

  // users.last_seen_at of a user, to the second, in UTC ISO form
  async lastSeen(userId) {
    for (let i = 0; i < 20; i++) {
      const value = psql(`SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') FROM chat.users WHERE id = '${userId}'`);
      if (value) return value;
      await sleep(100);
    }
    return '';
  }

  // SIGTERM to every bridge: each must stop cleanly (status 0).
  async stop() {
    const statuses = {};
    for (const [name, child] of Object.entries(this.bridges)) {
      if (this.alive(name)) {
        child.kill('SIGTERM');
        statuses[name] = await Promise.race([child.exited, sleep(15000).then(() => ({ code: 'timeout' }))]);
        if (this.alive(name)) child.kill('SIGKILL');
      }
    }
    await this.stopRedis();
    rmSync(this.dir, { recursive: true, force: true });
    for (const [name, status] of Object.entries(statuses)) {
      if (status.code !== 0) throw new Error(`bridge ${name} stopped with ${JSON.stringify(status)} (see cluster-${name}.log)`);
    }
  }
}

function redisCli(port, password, ...args) {
  try {
    return execFileSync('redis-cli', ['-p', String(port), '--no-auth-warning', '-a', password, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function psql(sql) {
  return execFileSync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
}

async function portAnswers(port) {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
    return true;
  } catch (error) {
    return error?.cause?.code !== 'ECONNREFUSED';
  }
}

async function post(base, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await r.json();
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

// A fresh user: {token, user, username}.
export async function register(base, prefix) {
  const username = `${prefix}${randomBytes(5).toString('hex')}`;
  const json = await post(base, '/api/auth/register', { username, email: `${username}@example.test`, password: 'correct horse battery' });
  return { ...json, username };
}

// A direct chat between a and b (each in the other's presence audience); returns its id.
export async function befriend(base, a, b) {
  const conversation = await post(base, '/api/conversations', { participantIds: [b.user.id] }, a.token);
  return conversation.id;
}

// a keeps b as a contact (so b may see a's last seen under the default setting).
export async function keepContact(base, a, b) {
  await post(base, '/api/contacts', { userId: b.user.id }, a.token);
}

// A connected Socket.IO client (websocket, no automatic reconnection).
export function connect(base, token) {
  const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('connect timed out')), 5000);
    socket.on('connect', () => { clearTimeout(timer); resolve(socket); });
    socket.on('connect_error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// The next `event` on socket whose first argument satisfies predicate.
export function nextEvent(socket, event, predicate = null, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    function on(value) {
      if (predicate && !predicate(value)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(value);
    }
    socket.on(event, on);
  });
}

// Resolves if no `event` arrives within ms, rejects if one does.
export function noEvent(socket, event, ms) {
  return new Promise((resolve, reject) => {
    const on = (value) => {
      clearTimeout(timer);
      socket.off(event, on);
      reject(new Error(`unexpected ${event}: ${JSON.stringify(value)}`));
    };
    const timer = setTimeout(() => { socket.off(event, on); resolve(); }, ms);
    socket.on(event, on);
  });
}
