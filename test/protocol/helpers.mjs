// Shared helpers of the protocol integration tests: the server's address and small waits.
import WebSocket from 'ws';

export const PORT = Number(process.env.PROTOCOL_TEST_PORT || 3300);
export const HTTP = `http://127.0.0.1:${PORT}`;
export const WS = `ws://127.0.0.1:${PORT}`;
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A raw websocket whose messages queue up, so none is missed between awaits.
export function rawSocket(url) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const inbox = [];
  const waiters = [];
  ws.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const item = isBinary ? new Uint8Array(data) : data.toString();
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else inbox.push(item);
  });
  ws.next = () =>
    inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => waiters.push(resolve));
  // the next message that is not a ping
  ws.nextData = async () => {
    for (;;) {
      const m = await ws.next();
      if (m !== '2') return m;
    }
  };
  ws.opened = new Promise((resolve) => ws.on('open', resolve));
  return ws;
}

export async function pollingHandshake(path) {
  const res = await fetch(`${HTTP}${path}?EIO=4&transport=polling`);
  const text = await res.text();
  return JSON.parse(text.substring(1)).sid;
}

export function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)),
  ]);
}
