// The npm socket.io-client against the conformance server, over websocket only, polling only
// and the default polling-then-upgrade: auth, nested JSON and binary, acks both ways, two
// namespaces, ping timeout of a silent client, reconnect.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { HTTP, withTimeout } from './helpers.mjs';

const sockets = [];
function connect(nsp, options) {
  const socket = io(`${HTTP}${nsp}`, { forceNew: true, reconnection: false, ...options });
  sockets.push(socket);
  return socket;
}
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
after(() => sockets.forEach((s) => s.disconnect()));

const modes = {
  'websocket only': { transports: ['websocket'] },
  'polling only': { transports: ['polling'] },
  'default upgrade': {},
};

for (const [mode, options] of Object.entries(modes)) {
  describe(`socket.io-client, ${mode}`, () => {
    it('connects with auth and gets it echoed', async () => {
      const socket = connect('/', { ...options, auth: { token: 'secret', nested: { n: 1 } } });
      const [auth] = await withTimeout(once(socket, 'auth'), 3000, 'auth');
      assert.deepEqual(auth, { token: 'secret', nested: { n: 1 } });
      assert.ok(socket.connected);
      socket.disconnect();
    });

    it('exchanges nested JSON and binary events', async () => {
      const socket = connect('/', options);
      await once(socket, 'auth');
      const payload = { a: [1, 'two', { three: [true, null] }], b: 'é€😀', c: -1.25 };
      const bytes = Buffer.from([0, 1, 2, 254, 255]);
      socket.emit('message', payload, bytes, [bytes, { deep: bytes }]);
      const args = await withTimeout(once(socket, 'message-back'), 3000, 'message-back');
      assert.deepEqual(args[0], payload);
      assert.deepEqual(Buffer.from(args[1]), bytes);
      assert.deepEqual(Buffer.from(args[2][0]), bytes);
      assert.deepEqual(Buffer.from(args[2][1].deep), bytes);
      socket.disconnect();
    });

    it('gets acks from the server', async () => {
      const socket = connect('/', options);
      await once(socket, 'auth');
      const answer = await withTimeout(socket.emitWithAck('message-with-ack', 1, { x: [2] }, Buffer.from([9])), 3000, 'ack');
      assert.equal(answer, 1);
      const both = await new Promise((resolve) => socket.emit('message-with-ack', 'a', 'b', (...args) => resolve(args)));
      assert.deepEqual(both, ['a', 'b']);
      socket.disconnect();
    });

    it('answers acks the server asks for', async () => {
      const socket = connect('/', options);
      await once(socket, 'auth');
      let asked = 0;
      socket.on('emit-with-ack', (...args) => {
        const ack = args.pop();
        if (typeof ack === 'function') {
          asked++;
          ack({ got: args });
        }
      });
      const back = once(socket, 'emit-with-ack');
      socket.emit('emit-with-ack', 'ping', 42);
      const [answer] = await withTimeout(
        new Promise((resolve) => socket.on('emit-with-ack', (a) => { if (a && a.got) resolve([a]); })),
        3000, 'ack round trip');
      assert.equal(asked, 1);
      assert.deepEqual(answer, { got: ['ping', 42] });
      await back;
      socket.disconnect();
    });

    it('uses two namespaces over one connection', async () => {
      const main = connect('/', { ...options, forceNew: true });
      const custom = main.io.socket('/custom', { auth: { room: 'c' } });
      sockets.push(custom);
      custom.connect();
      const [[mainAuth], [customAuth]] = await withTimeout(Promise.all([once(main, 'auth'), once(custom, 'auth')]), 3000, 'auths');
      assert.deepEqual(mainAuth, {});
      assert.deepEqual(customAuth, { room: 'c' });
      custom.disconnect();
      main.emit('message', 'still here');
      const [echo] = await withTimeout(once(main, 'message-back'), 3000, 'echo');
      assert.equal(echo, 'still here');
      main.disconnect();
    });

    it('is refused an unknown namespace', async () => {
      const socket = connect('/nowhere', options);
      const [err] = await withTimeout(once(socket, 'connect_error'), 3000, 'connect_error');
      assert.equal(err.message, 'Invalid namespace');
      socket.disconnect();
    });

    it('is dropped by the server when it stops answering pings', async () => {
      const socket = connect('/', options);
      await once(socket, 'auth');
      const engine = socket.io.engine;
      const send = engine._sendPacket.bind(engine);
      engine._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : send(type, ...rest));
      const [reason] = await withTimeout(once(socket, 'disconnect'), 3000, 'disconnect');
      assert.match(reason, /transport close|ping timeout|transport error/);
    });
  });
}

describe('socket.io-client reconnect', () => {
  it('reconnects after the connection drops and keeps working', async () => {
    const socket = connect('/', { transports: ['websocket'], reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
    await once(socket, 'auth');
    const firstId = socket.id;
    const back = once(socket, 'auth');
    socket.io.engine.transport.ws._socket.destroy();   // the network goes away
    await withTimeout(once(socket.io, 'reconnect'), 5000, 'reconnect');
    await withTimeout(back, 3000, 'connected again');
    assert.ok(socket.connected);
    assert.notEqual(socket.id, firstId);
    socket.emit('message', 'after reconnect');
    const [echo] = await withTimeout(once(socket, 'message-back'), 3000, 'echo');
    assert.equal(echo, 'after reconnect');
    socket.disconnect();
  });

  it('reconnects a polling client whose session expired', async () => {
    const socket = connect('/', { transports: ['polling'], reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
    await once(socket, 'auth');
    const engine = socket.io.engine;
    const send = engine._sendPacket.bind(engine);
    engine._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : send(type, ...rest));
    const back = new Promise((resolve) => socket.once('disconnect', () => socket.once('auth', resolve)));
    await withTimeout(once(socket.io, 'reconnect'), 5000, 'reconnect');
    await withTimeout(back, 3000, 'connected again');
    assert.ok(socket.connected);
    socket.disconnect();
  });
});
