// Benchmarks of the conformance server (raw websockets speaking Engine.IO + Socket.IO):
//   echo:  round trips/s of '42["message",...]' -> message-back over C concurrent sockets
//   idle:  memory per idle Socket.IO session, from the server's RSS before and after N sessions
// Usage: node protocol_bench.mjs echo PORT SECONDS CONCURRENCY | idle PORT PID SESSIONS
import WebSocket from '../protocol/node_modules/ws/wrapper.mjs';
import { readFileSync } from 'node:fs';

const [mode, port, a, b] = process.argv.slice(2);
const url = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;

// Opens one socket and joins "/"; resolves once the auth event arrived. Answers pings forever.
function session(onData) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let stage = 0;
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') return ws.send('3');
      if (stage === 0) { stage = 1; ws.send('40'); return; }
      if (stage === 1) { stage = 2; return; }             // CONNECT ack
      if (stage === 2) { stage = 3; resolve(ws); return; } // the auth event
      onData && onData(text);
    });
  });
}

function rssKiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS'));
  return Number(line.split(/\s+/)[1]);
}

async function echo(seconds, concurrency) {
  let count = 0;
  const deadline = Date.now() + seconds * 1000;
  const workers = [];
  for (let i = 0; i < concurrency; i++) {
    workers.push((async () => {
      let next;
      const ws = await session(() => next());
      const payload = `42["message",${i},{"n":[1,2,3],"s":"hello"}]`;
      while (Date.now() < deadline) {
        await new Promise((resolve) => { next = resolve; ws.send(payload); });
        count++;
      }
      ws.close();
    })());
  }
  const started = Date.now();
  await Promise.all(workers);
  const elapsed = (Date.now() - started) / 1000;
  console.log(`echo: ${count} round trips in ${elapsed.toFixed(1)} s over ${concurrency} websockets = ${Math.round(count / elapsed)} round trips/s`);
}

async function idle(pid, sessions) {
  const before = rssKiB(pid);
  const open = [];
  const started = Date.now();
  for (let i = 0; i < sessions; i += 250) {
    const batch = [];
    for (let k = i; k < Math.min(sessions, i + 250); k++) batch.push(session());
    open.push(...(await Promise.all(batch)));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssKiB(pid);
  const per = ((after - before) * 1024) / sessions;
  console.log(`idle: ${open.length} websocket sessions opened in ${((Date.now() - started) / 1000).toFixed(1)} s; server RSS ${before} KiB -> ${after} KiB = ${Math.round(per)} bytes (${(per / 1024).toFixed(2)} KiB) per idle session`);
  for (const ws of open) ws.terminate();
}

if (mode === 'echo') await echo(Number(a), Number(b));
else if (mode === 'idle') await idle(Number(a), Number(b));
else { console.error('usage: echo PORT SECONDS CONCURRENCY | idle PORT PID SESSIONS'); process.exit(2); }
