// Engine.IO v4 behaviour of the conformance server's raw echo at /engine.io/, over plain fetch
// and raw websockets: handshake, messages, heartbeat, close, upgrade, and every refusal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PORT, HTTP, WS, PING_INTERVAL, PING_TIMEOUT, sleep, rawSocket, pollingHandshake, withTimeout } from './helpers.mjs';

const url = (query) => `${HTTP}/engine.io/?${query}`;
const wsUrl = (query) => `${WS}/engine.io/?${query}`;

describe('engine.io handshake', () => {
  it('opens a polling session with the configured timings', async () => {
    const res = await fetch(url('EIO=4&transport=polling'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const text = await res.text();
    assert.equal(text[0], '0');
    const open = JSON.parse(text.substring(1));
    assert.deepEqual(Object.keys(open).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
    assert.equal(typeof open.sid, 'string');
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, PING_INTERVAL);
    assert.equal(open.pingTimeout, PING_TIMEOUT);
    assert.equal(open.maxPayload, 1000000);
  });

  it('opens a websocket session with no upgrades', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    const first = await ws.next();
    const open = JSON.parse(first.substring(1));
    assert.deepEqual(open.upgrades, []);
    ws.close();
  });

  it('refuses a missing or bad EIO version with 400', async () => {
    for (const q of ['transport=polling', 'EIO=abc&transport=polling', 'EIO=3&transport=polling']) {
      const res = await fetch(url(q));
      assert.equal(res.status, 400, q);
      assert.equal((await res.json()).code, 5);
    }
  });

  it('refuses a missing or unknown transport with 400', async () => {
    for (const q of ['EIO=4', 'EIO=4&transport=abc']) {
      const res = await fetch(url(q));
      assert.equal(res.status, 400, q);
      assert.equal((await res.json()).code, 0);
    }
  });

  it('refuses a handshake by any method but GET', async () => {
    for (const method of ['POST', 'PUT']) {
      const res = await fetch(url('EIO=4&transport=polling'), { method });
      assert.equal(res.status, 400, method);
    }
  });

  it('refuses an unknown sid with 400', async () => {
    const res = await fetch(url('EIO=4&transport=polling&sid=nosuchsession'));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 1);
  });

  it('closes websockets with a bad version, transport or sid', async () => {
    for (const q of ['transport=websocket', 'EIO=abc&transport=websocket', 'EIO=4', 'EIO=4&transport=abc', 'EIO=4&transport=websocket&sid=unknown']) {
      const ws = rawSocket(wsUrl(q));
      await withTimeout(ws.closed, 2000, q);
    }
  });

  it('answers a CORS preflight', async () => {
    const res = await fetch(url('EIO=4&transport=polling'), {
      method: 'OPTIONS',
      headers: { origin: 'http://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-methods'), /POST/);
  });
});

describe('engine.io messages over polling', () => {
  it('echoes one text packet', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const push = await fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body: '4hello' });
    assert.equal(push.status, 200);
    assert.equal(await push.text(), 'ok');
    const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(await poll.text(), '4hello');
  });

  it('echoes several packets, text and base64 binary, in one payload', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const body = '4test1\x1e4test2\x1ebAQIDBA==\x1e4€';
    await fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body });
    const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(await poll.text(), body);
  });

  it('closes the session on an invalid packet', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const push = await fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body: 'abc' });
    assert.equal(push.status, 400);
    const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(poll.status, 400);
  });

  it('closes the session on bad base64 and changes nothing before it', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const push = await fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body: '4first\x1ebA=QI' });
    assert.equal(push.status, 400);
    assert.equal((await fetch(url(`EIO=4&transport=polling&sid=${sid}`))).status, 400);
  });

  it('refuses an oversized payload with 413 before reading it (raw socket)', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const status = await new Promise((resolve, reject) => {
      const socket = net.connect(PORT, '127.0.0.1', () => {
        socket.write(`POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
          'Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000002\r\n\r\n4xx');
      });
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString();
        if (head.includes('\r\n')) { resolve(head.split('\r\n')[0]); socket.destroy(); }
      });
      socket.on('error', reject);
    });
    assert.match(status, /^HTTP\/1\.1 413/);
  });

  it('closes the session on a duplicate poll', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const [first, second] = await Promise.all([
      fetch(url(`EIO=4&transport=polling&sid=${sid}`)),
      sleep(5).then(() => fetch(url(`EIO=4&transport=polling&sid=${sid}&t=dup`))),
    ]);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), '1');
    assert.equal(second.status, 400);
    assert.equal((await fetch(url(`EIO=4&transport=polling&sid=${sid}`))).status, 400);
  });

  it('closes the session when a held poll is cancelled', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const controller = new AbortController();
    fetch(url(`EIO=4&transport=polling&sid=${sid}`), { signal: controller.signal }).catch(() => {});
    await sleep(5);
    controller.abort();
    const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(poll.status, 400);
  });
});

describe('engine.io messages over websocket', () => {
  it('echoes text and binary frames', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    ws.send('4hello');
    assert.equal(await ws.nextData(), '4hello');
    ws.send(Uint8Array.from([1, 2, 3, 4]));
    assert.deepEqual(await ws.nextData(), Uint8Array.from([1, 2, 3, 4]));
    ws.close();
  });

  // Frames queued together leave in one write, framed by the server itself: a burst of every
  // header size (7-bit, 16-bit and 64-bit lengths), text and binary, one larger than a write
  // among small ones, must come back whole and in order.
  it('echoes a burst of frames of every size in order', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    const burst = [];
    for (let i = 0; i < 40; i++) {
      burst.push(`4small ${i}`);
      burst.push(Uint8Array.from({ length: 1 + (i % 7) * 40 }, (_, k) => (i + k) & 0xff));
      if (i % 10 === 3) burst.push('4' + String(i % 10).repeat(125 + i * 300));
      if (i % 20 === 7) burst.push('4' + 'L'.repeat(70000 + i));
      if (i === 30) burst.push(Uint8Array.from({ length: 66000 }, (_, k) => k & 0xff));
    }
    for (const m of burst) ws.send(m);
    for (const m of burst) assert.deepEqual(await withTimeout(ws.nextData(), 2000, 'echo'), m);
    ws.close();
  });

  it('closes on an invalid packet', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    ws.send('abc');
    await withTimeout(ws.closed, 2000, 'close');
  });

  it('closes on a message over maxPayload', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    ws.send('4' + 'y'.repeat(1000001));
    await withTimeout(ws.closed, 2000, 'close');
  });
});

describe('engine.io heartbeat', () => {
  it('pings over polling and takes pongs', async () => {
    const sid = await pollingHandshake('/engine.io/');
    for (let i = 0; i < 3; i++) {
      const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
      assert.equal(await poll.text(), '2');
      const push = await fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body: '3' });
      assert.equal(push.status, 200);
    }
  });

  it('closes a silent polling session after pingInterval + pingTimeout', async () => {
    const sid = await pollingHandshake('/engine.io/');
    await sleep(PING_INTERVAL + PING_TIMEOUT + 10);
    assert.equal((await fetch(url(`EIO=4&transport=polling&sid=${sid}`))).status, 400);
  });

  it('pings over websocket and takes pongs', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    for (let i = 0; i < 3; i++) {
      assert.equal(await ws.next(), '2');
      ws.send('3');
    }
    ws.close();
  });

  it('closes a silent websocket', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    const started = Date.now();
    await withTimeout(ws.closed, 2000, 'ping timeout');
    assert.ok(Date.now() - started >= PING_INTERVAL + PING_TIMEOUT - 50);
  });
});

describe('engine.io close', () => {
  it('ends a polling session on a close packet, the held poll getting a noop', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const [poll] = await Promise.all([
      fetch(url(`EIO=4&transport=polling&sid=${sid}`)),
      sleep(5).then(() => fetch(url(`EIO=4&transport=polling&sid=${sid}`), { method: 'POST', body: '1' })),
    ]);
    assert.equal(await poll.text(), '6');
    assert.equal((await fetch(url(`EIO=4&transport=polling&sid=${sid}`))).status, 400);
  });

  it('ends a websocket session on a close packet', async () => {
    const ws = rawSocket(wsUrl('EIO=4&transport=websocket'));
    await ws.next();
    ws.send('1');
    await withTimeout(ws.closed, 2000, 'close');
  });
});

describe('engine.io upgrade', () => {
  it('upgrades polling to websocket with a probe', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const ws = rawSocket(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    const poll = await fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    assert.equal(await poll.text(), '6');
    ws.send('5');
    ws.send('4hello');
    assert.equal(await ws.nextData(), '4hello');
    ws.close();
  });

  it('answers a held poll with a noop on the probe', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const held = fetch(url(`EIO=4&transport=polling&sid=${sid}`));
    await sleep(20);
    const ws = rawSocket(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
    await ws.opened;
    ws.send('2probe');
    assert.equal(await ws.next(), '3probe');
    assert.equal(await (await held).text(), '6');
    ws.close();
  });

  it('refuses polling after the upgrade', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const ws = rawSocket(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
    await ws.opened;
    ws.send('2probe');
    await ws.next();
    ws.send('5');
    await sleep(20);
    assert.equal((await fetch(url(`EIO=4&transport=polling&sid=${sid}`))).status, 400);
    ws.send('4hello');
    assert.equal(await ws.nextData(), '4hello');
    ws.close();
  });

  it('closes a second websocket for an upgraded sid', async () => {
    const sid = await pollingHandshake('/engine.io/');
    const ws = rawSocket(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
    await ws.opened;
    ws.send('2probe');
    await ws.next();
    ws.send('5');
    const second = rawSocket(wsUrl(`EIO=4&transport=websocket&sid=${sid}`));
    await withTimeout(second.closed, 2000, 'second websocket');
    ws.send('4hello');
    assert.equal(await ws.nextData(), '4hello');
    ws.close();
  });
});
