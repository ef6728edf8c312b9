// A bridge of a test's own, beside the suite's: the binary run.sh names (PGCHAT_TEST_BRIDGE, so
// ASan and valgrind runs cover it too), on a free port, with extra environment; its log goes to
// the artifacts folder.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).pathname;
const COMMAND = (process.env.PGCHAT_TEST_BRIDGE || 'bridge/pgchat-bridge').split(' ').filter(Boolean);
const ARTIFACTS = process.env.PGCHAT_ARTIFACTS || `${ROOT}test/artifacts`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts the bridge; .exited resolves with {code, signal}.
export function startBridge(port, { env = {}, log = 'bridge-own-test.log' } = {}) {
  const out = openSync(`${ARTIFACTS}/${log}`, 'a');
  const child = spawn(COMMAND[0], [...COMMAND.slice(1), '--port', String(port), '--listen', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

export async function waitHealthy(url) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error('the bridge did not come up');
}

// SIGTERM, and the exit status.
export async function stopBridge(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  child.kill('SIGTERM');
  return (await child.exited).code;
}
