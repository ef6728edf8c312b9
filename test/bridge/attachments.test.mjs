// Attachments through the bridge: uploads streamed into PostgreSQL (1 byte, 1 MiB and exactly the
// limit come back byte for byte; one byte more is 413 and stores nothing), types refused by their
// bytes, downloads for members only (404 on every path for anyone else), Range, caching headers,
// thumbnails, expiry of unsent uploads, and files deleted with their message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { BASE, api, newUser, psql, assertError, hasFunction } from './helpers.mjs';
import { connect, call, collect, directChat } from './realtime_helpers.mjs';

const skip = !hasFunction('begin_attachment') && 'attachments are not in the extension yet';
const LIMIT = 16 * 1024 * 1024;
const url = new URL(BASE);

const png = (size) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(size - 8)]);
const pdf = (size) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);
const jpegThumbnail = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), randomBytes(500)]);

// POST /api/attachments with node's http: the headers go first and an early answer (413) is read
// before the body is written, as a careful client does; the body then goes in pieces.
function upload(token, name, file, { thumbnail, headers = {} } = {}) {
  const body = thumbnail ? Buffer.concat([thumbnail, file]) : file;
  const query = new URLSearchParams({ name });
  if (thumbnail) query.set('thumbnail', String(thumbnail.length));
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({
      host: url.hostname, port: url.port, method: 'POST', path: `/api/attachments?${query}`,
      headers: { authorization: `Bearer ${token}`, 'content-length': body.length, ...headers },
    }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', (error) => { if (!answered) reject(error); });
    req.flushHeaders();
    setTimeout(() => {
      if (answered) return;
      let at = 0;
      const write = () => {
        while (at < body.length && !answered) {
          const piece = body.subarray(at, at + 65536);
          at += piece.length;
          if (!req.write(piece)) return req.once('drain', write);
        }
        req.end();
      };
      write();
    }, 50);
  });
}

function download(token, id, { path = '', headers = {}, method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method, path: `/api/attachments/${id}${path}`,
      headers: token ? { authorization: `Bearer ${token}`, ...headers } : headers,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const stored = (userId) => psql(`SELECT count(*) FROM chat.attachments WHERE uploader_id = '${userId}'`);

async function sendWith(user, conversationId, ids, content = 'files') {
  const r = await api('POST', `/api/conversations/${conversationId}/messages`, { token: user.token, body: { content, attachments: ids } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('1 byte, 1 MiB and exactly the limit come back byte for byte to the other member', { skip }, async () => {
  const a = await newUser('att');
  const b = await newUser('att');
  const conversation = (await directChat(a, b)).id;
  const files = [['one.txt', Buffer.from('x')], ['mib.png', png(1024 * 1024)], ['limit.pdf', pdf(LIMIT)]];
  const ids = [];
  for (const [name, bytes] of files) {
    const r = await upload(a.token, name, bytes);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.size, bytes.length);
    assert.equal(r.json.name, name);
    ids.push(r.json.id);
  }
  const message = await sendWith(a, conversation, ids);
  assert.deepEqual(message.attachments.map((f) => [f.name, f.type, f.size]),
    [['one.txt', 'text/plain', 1], ['mib.png', 'image/png', 1024 * 1024], ['limit.pdf', 'application/pdf', LIMIT]]);
  for (let i = 0; i < files.length; i++) {
    const r = await download(b.token, ids[i]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(files[i][1].length));
    assert.ok(r.body.equals(files[i][1]), `${files[i][0]} comes back byte for byte`);
  }
});

test('one byte over the limit is 413 and stores nothing', { skip }, async () => {
  const a = await newUser('att');
  const r = await upload(a.token, 'big.pdf', pdf(LIMIT + 1));
  assertError(assert, r, 413, 'payload_too_large');
  assert.match(r.json.error.message, /at most 16777216 bytes/);
  assert.equal(stored(a.user.id), '0');
});

test('a type outside the list is refused by its bytes, whatever its name, and nothing stays', { skip }, async () => {
  const a = await newUser('att');
  const zip = Buffer.concat([Buffer.from('504b030414000000', 'hex'), randomBytes(300000)]);
  const r = await upload(a.token, 'holiday.png', zip);
  assertError(assert, r, 400, 'bad_request');
  assert.equal(r.json.error.message, 'this type of file is not accepted');
  await new Promise((resolve) => setTimeout(resolve, 200)); // the discard follows the answer
  assert.equal(stored(a.user.id), '0');
});

test('bad uploads: no token, no name, a thumbnail too big or not an image, a chunked body', { skip }, async () => {
  const a = await newUser('att');
  assertError(assert, await upload('', 'a.txt', Buffer.from('hi'), { headers: { authorization: '' } }), 401, 'unauthorized');
  assertError(assert, await upload('not.a.token', 'a.txt', Buffer.from('hi')), 401, 'unauthorized');
  assertError(assert, await upload(a.token, '', Buffer.from('hi')), 400, 'bad_request');
  const tooBig = await api('POST', '/api/attachments?name=a.txt&thumbnail=70000', { token: a.token, body: Buffer.alloc(70001, 65), headers: { 'content-type': 'application/octet-stream' } });
  assertError(assert, tooBig, 400, 'bad_request');
  const gif = await upload(a.token, 'a.txt', Buffer.from('hi'), { thumbnail: Buffer.from('GIF89a-not-allowed') });
  assertError(assert, gif, 400, 'bad_request');
  const chunked = await fetch(`${BASE}/api/attachments?name=a.txt`, {
    method: 'POST', headers: { authorization: `Bearer ${a.token}` }, duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('hello')); c.close(); } }),
  });
  assert.equal(chunked.status, 411);
  assert.equal(stored(a.user.id), '0');
});

test('a non-member gets 404 on every download path; the uploader reads before sending', { skip }, async () => {
  const a = await newUser('att');
  const b = await newUser('att');
  const outsider = await newUser('att');
  const conversation = (await directChat(a, b)).id;
  const up = await upload(a.token, 'p.png', png(5000), { thumbnail: jpegThumbnail });
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.hasThumbnail, true);
  const id = up.json.id;
  assert.equal((await download(a.token, id)).status, 200, 'the uploader reads their upload');
  for (const who of [b, outsider]) {
    for (const options of [{}, { path: '/thumbnail' }, { headers: { range: 'bytes=0-9' } }, { method: 'HEAD' }]) {
      const r = await download(who.token, id, options);
      assert.equal(r.status, 404, `before sending: ${JSON.stringify(options)}`);
    }
  }
  await sendWith(a, conversation, [id]);
  const thumbnail = await download(b.token, id, { path: '/thumbnail' });
  assert.equal(thumbnail.status, 200);
  assert.equal(thumbnail.headers['content-type'], 'image/jpeg');
  assert.ok(thumbnail.body.equals(jpegThumbnail));
  for (const options of [{}, { path: '/thumbnail' }, { headers: { range: 'bytes=0-9' } }, { method: 'HEAD' }]) {
    const r = await download(outsider.token, id, options);
    assert.equal(r.status, 404, `after sending: ${JSON.stringify(options)}`);
    if (options.method !== 'HEAD') assert.equal(JSON.parse(r.body).error.code, 'not_found');
  }
  assert.equal((await download(b.token, randomUUID())).status, 404, 'an unknown id');
  assert.equal((await download(b.token, 'not-a-uuid')).status, 404, 'not an id');
  assert.equal((await download(undefined, id)).status, 401, 'no token');
});

test('Range returns the right bytes (206), 416 beyond the end; ETag, immutable, nosniff, a safe name', { skip }, async () => {
  const a = await newUser('att');
  const file = pdf(700 * 1024);
  const up = await upload(a.token, '../rapport "final".pdf', file);
  assert.equal(up.status, 201, up.text);
  const id = up.json.id;
  const cases = [['bytes=0-0', 0, 1], ['bytes=100-1099', 100, 1100], ['bytes=262140-262150', 262140, 262151],
    [`bytes=${file.length - 10}-`, file.length - 10, file.length], ['bytes=-5', file.length - 5, file.length],
    [`bytes=500000-${file.length + 100}`, 500000, file.length]];
  for (const [range, from, to] of cases) {
    const r = await download(a.token, id, { headers: { range } });
    assert.equal(r.status, 206, range);
    assert.equal(r.headers['content-range'], `bytes ${from}-${to - 1}/${file.length}`);
    assert.ok(r.body.equals(file.subarray(from, to)), `the bytes of ${range}`);
  }
  const beyond = await download(a.token, id, { headers: { range: `bytes=${file.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-range'], `bytes */${file.length}`);
  const whole = await download(a.token, id);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['etag'], `"${id}"`);
  assert.match(whole.headers['cache-control'], /immutable/);
  assert.equal(whole.headers['x-content-type-options'], 'nosniff');
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.equal(whole.headers['content-type'], 'application/pdf');
  assert.equal(whole.headers['content-disposition'], `attachment; filename="rapport final.pdf"; filename*=UTF-8''rapport%20final.pdf`);
  const again = await download(a.token, id, { headers: { 'if-none-match': `"${id}"` } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
});

test('an expired upload is gone: not readable, not sendable', { skip }, async () => {
  const a = await newUser('att');
  const b = await newUser('att');
  const conversation = (await directChat(a, b)).id;
  const up = await upload(a.token, 'late.png', png(1000));
  assert.equal(up.status, 201, up.text);
  psql(`UPDATE chat.attachments SET expires_at = now() - interval '1 second' WHERE id = '${up.json.id}'`);
  assert.ok(Number(psql('SELECT chat.expire_attachments()')) >= 1);
  assert.equal((await download(a.token, up.json.id)).status, 404);
  const r = await api('POST', `/api/conversations/${conversation}/messages`, { token: a.token, body: { content: 'late', attachments: [up.json.id] } });
  assertError(assert, r, 400, 'bad_request');
  assert.equal(psql(`SELECT count(*) FROM chat.attachment_chunks WHERE attachment_id = '${up.json.id}'`), '0');
});

test('sockets: send_message carries attachments to the other member; deleting the message deletes its files', { skip }, async () => {
  const a = await newUser('att');
  const b = await newUser('att');
  const conversation = (await directChat(a, b)).id;
  const up = await upload(a.token, 'voice.ogg', Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead'), randomBytes(3000)]));
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.type, 'audio/ogg');
  const sa = await connect(a.token);
  const sb = await connect(b.token);
  try {
    const received = collect(sb, 'message_received');
    const bad = await call(sa, 'send_message', { conversationId: conversation, content: 'x', attachments: 'nope' });
    assert.equal(bad.error.code, 'bad_request');
    const ack = await call(sa, 'send_message', { conversationId: conversation, content: 'listen', clientId: randomUUID(), attachments: [up.json.id] });
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    const message = ack.message ?? ack;
    assert.deepEqual(message.attachments, [{ id: up.json.id, name: 'voice.ogg', type: 'audio/ogg', size: up.json.size, hasThumbnail: false }]);
    const [got] = await received.wait(1);
    assert.deepEqual(got.attachments, message.attachments);
    assert.equal((await download(b.token, up.json.id)).status, 200);
    const deleted = await api('DELETE', `/api/messages/${message.id}`, { token: a.token });
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.json.attachments, undefined);
    for (const who of [a, b]) assert.equal((await download(who.token, up.json.id)).status, 404);
    assert.equal(psql(`SELECT count(*) FROM chat.attachment_chunks WHERE attachment_id = '${up.json.id}'`), '0');
    assert.equal(stored(a.user.id), '0');
  } finally {
    sa.close();
    sb.close();
  }
});
