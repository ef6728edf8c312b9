// Socket.IO v5 behaviour of the conformance server at /socket.io/, over raw websockets:
// connect with and without auth, namespaces, events, acks, binary, disconnect, refusals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HTTP, WS, sleep, rawSocket, withTimeout } from './helpers.mjs';

const wsUrl = `${WS}/socket.io/?EIO=4&transport=websocket`;

async function connected(connectPacket = '40') {
  const ws = rawSocket(wsUrl);
  await ws.next();                      // Engine.IO open
  ws.send(connectPacket);
  const ack = await ws.nextData();      // Socket.IO CONNECT
  const auth = await ws.nextData();     // the "auth" event
  return { ws, ack, auth };
}

describe('socket.io connect', () => {
  it('joins the main namespace and echoes an empty auth', async () => {
    const { ws, ack, auth } = await connected('40');
    assert.ok(ack.startsWith('40'));
    const payload = JSON.parse(ack.substring(2));
    assert.deepEqual(Object.keys(payload), ['sid']);
    assert.equal(auth, '42["auth",{}]');
    ws.close();
  });

  it('passes the auth payload through', async () => {
    const { ws, auth } = await connected('40{"token":"123"}');
    assert.equal(auth, '42["auth",{"token":"123"}]');
    ws.close();
  });

  it('joins a custom namespace, with or without the comma', async () => {
    for (const packet of ['40/custom,', '40/custom']) {
      const { ws, ack, auth } = await connected(packet);
      assert.ok(ack.startsWith('40/custom,'));
      assert.equal(typeof JSON.parse(ack.substring(10)).sid, 'string');
      assert.equal(auth, '42/custom,["auth",{}]');
      ws.close();
    }
  });

  it('passes auth on a custom namespace', async () => {
    const { ws, auth } = await connected('40/custom,{"token":"abc"}');
    assert.equal(auth, '42/custom,["auth",{"token":"abc"}]');
    ws.close();
  });

  it('refuses an unknown namespace with CONNECT_ERROR', async () => {
    const ws = rawSocket(wsUrl);
    await ws.next();
    ws.send('40/random');
    assert.equal(await ws.nextData(), '44/random,{"message":"Invalid namespace"}');
    ws.close();
  });

  it('closes on an invalid handshake', async () => {
    const ws = rawSocket(wsUrl);
    await ws.next();
    ws.send('4abc');
    await withTimeout(ws.closed, 2000, 'close');
  });

  it('closes on a connect payload that is not an object', async () => {
    const ws = rawSocket(wsUrl);
    await ws.next();
    ws.send('40"token"');
    await withTimeout(ws.closed, 2000, 'close');
  });

  it('closes a connection that joins nothing within connectTimeout', async () => {
    const ws = rawSocket(wsUrl);
    await ws.next();
    const started = Date.now();
    const timer = setInterval(() => ws.readyState === 1 && ws.send('3'), 100);  // stay alive
    await withTimeout(ws.closed, 3000, 'connect timeout');
    clearInterval(timer);
    assert.ok(Date.now() - started >= 900);
  });
});

describe('socket.io disconnect', () => {
  it('leaves the main namespace and keeps the connection', async () => {
    const { ws } = await connected();
    ws.send('41');
    assert.equal(await ws.next(), '2');  // the next thing is a ping: still open
    ws.close();
  });

  it('leaves a custom namespace and keeps the main one', async () => {
    const { ws } = await connected();
    ws.send('40/custom');
    await ws.nextData();
    await ws.nextData();
    ws.send('41/custom');
    ws.send('42["message","message to main namespace"]');
    assert.equal(await ws.nextData(), '42["message-back","message to main namespace"]');
    ws.close();
  });
});

describe('socket.io messages', () => {
  it('echoes nested JSON', async () => {
    const { ws } = await connected();
    ws.send('42["message",1,"2",{"3":[true]},{"a":{"b":[null,1.5,"\\u00e9"]}}]');
    assert.equal(await ws.nextData(), '42["message-back",1,"2",{"3":[true]},{"a":{"b":[null,1.5,"é"]}}]');
    ws.close();
  });

  it('echoes binary attachments', async () => {
    const { ws } = await connected();
    ws.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    ws.send(Uint8Array.from([1, 2, 3]));
    ws.send(Uint8Array.from([4, 5, 6]));
    assert.equal(await ws.nextData(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual(await ws.nextData(), Uint8Array.from([1, 2, 3]));
    assert.deepEqual(await ws.nextData(), Uint8Array.from([4, 5, 6]));
    ws.close();
  });

  it('answers an ack', async () => {
    const { ws } = await connected();
    ws.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await ws.nextData(), '43456[1,"2",{"3":[false]}]');
    ws.close();
  });

  it('answers an ack with binary attachments', async () => {
    const { ws } = await connected();
    ws.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    ws.send(Uint8Array.from([1, 2, 3]));
    ws.send(Uint8Array.from([4, 5, 6]));
    assert.equal(await ws.nextData(), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual(await ws.nextData(), Uint8Array.from([1, 2, 3]));
    assert.deepEqual(await ws.nextData(), Uint8Array.from([4, 5, 6]));
    ws.close();
  });

  it('asks the client for an ack and uses the answer', async () => {
    const { ws } = await connected();
    ws.send('42["emit-with-ack",1,"2"]');
    const asked = await ws.nextData();
    const match = /^42(\d+)\["emit-with-ack",1,"2"\]$/.exec(asked);
    assert.ok(match, asked);
    ws.send(`43${match[1]}[{"answer":true}]`);
    assert.equal(await ws.nextData(), '42["emit-with-ack",{"answer":true}]');
    ws.close();
  });

  for (const [what, packet] of [
    ['unknown packet type', '4abc'],
    ['payload that is not an array', '42{}'],
    ['bad ack id', '42abc["message-with-ack",1]'],
    ['reserved event name', '42["disconnect"]'],
    ['placeholder out of range', '451-["message",{"_placeholder":true,"num":1}]'],
    ['event to a namespace not joined', '42/custom,["message"]'],
  ]) {
    it(`closes the connection on a ${what}`, async () => {
      const { ws } = await connected();
      ws.send(packet);
      await withTimeout(ws.closed, 2000, what);
    });
  }

  it('closes on a binary message nobody announced', async () => {
    const { ws } = await connected();
    ws.send(Uint8Array.from([4, 97, 98, 99]));
    await withTimeout(ws.closed, 2000, 'binary');
  });

  it('closes on too many attachments', async () => {
    const { ws } = await connected();
    ws.send('4511-["message"]');
    await withTimeout(ws.closed, 2000, 'attachments');
  });
});

describe('socket.io over raw polling', () => {
  it('connects and exchanges an event', async () => {
    const open = await (await fetch(`${HTTP}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.substring(1)).sid;
    const at = `${HTTP}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    assert.equal(await (await fetch(at, { method: 'POST', body: '40\x1e42["message","x"]' })).text(), 'ok');
    const body = await (await fetch(at)).text();
    const packets = body.split('\x1e');
    assert.ok(packets[0].startsWith('40{"sid":'));
    assert.equal(packets[1], '42["auth",{}]');
    assert.equal(packets[2], '42["message-back","x"]');
    await sleep(1);
  });
});
