// Real services for the deploy suite's process tests: a free port of the suite's own range, and
// Redis started exactly as compose starts it (its entrypoint script and options, with the
// password in the environment), only told to listen on loopback at that port.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readYaml } from './lib.mjs';

const PORTS = [55610, 55619]; // this suite's own range

export async function freePort(skip = []) {
  for (let port = PORTS[0]; port <= PORTS[1]; port++) {
    if (skip.includes(port)) continue;
    const free = await new Promise((resolve) => {
      const server = net.createServer().once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${PORTS.join('..')}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Compose writes $$ for a literal $ (the script's own variables); the container sees one.
export const unescapeCompose = (value) => String(value).replaceAll('$$', '$');

export function composeRedis() {
  return readYaml('docker/compose.yaml').services.redis;
}

// redis-cli against the test's port; auth, if any, comes from REDISCLI_AUTH as in the container.
export function redisCli(port, auth, ...args) {
  const env = { ...process.env };
  delete env.REDISCLI_AUTH;
  if (auth !== undefined) env.REDISCLI_AUTH = auth;
  const result = spawnSync('redis-cli', ['-p', String(port), ...args], { env, encoding: 'utf8', timeout: 5000 });
  return result.stdout.trim();
}

// Starts compose's Redis; resolves once it answers (with the password) or it has exited.
// Returns the child with .port, .output, .exited, .dir and stop().
export async function startComposeRedis(password, port) {
  const redis = composeRedis();
  const [shell, ...entry] = redis.entrypoint.map(unescapeCompose);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgchat-deploy-redis-'));
  const env = { PATH: process.env.PATH };
  if (password !== undefined) env.REDIS_PASSWORD = password;
  const child = spawn(shell, [...entry, ...redis.command, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.dir = dir;
  child.port = port;
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await child.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (redisCli(port, password, 'ping') === 'PONG') break;
    await sleep(50);
  }
  return child;
}
