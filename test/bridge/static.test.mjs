// Static serving of the web build (run.sh points the bridge at a small fixture build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BASE } from './helpers.mjs';

test('/ serves index.html, revalidated on every load', async () => {
  const r = await fetch(`${BASE}/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.match(await r.text(), /fixture index/);
});

test('hashed assets are cached for good with their content type', async () => {
  const r = await fetch(`${BASE}/assets/app-1a2b3c.js`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(await r.text(), 'console.log("fixture");\n');
});

test('the web app is served with a content security policy that forbids framing and inline code', async () => {
  for (const path of ['/', '/assets/app-1a2b3c.js', '/chat/x']) {
    const r = await fetch(`${BASE}${path}`);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /default-src 'self'/, path);
    assert.match(csp, /script-src 'self';/, `${path}: scripts only from the app itself`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /object-src 'none'/, path);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
  }
});

test('a client-side route falls back to index.html', async () => {
  const r = await fetch(`${BASE}/chat/some-conversation`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.match(await r.text(), /fixture index/);
});

test('a missing file with an extension is 404', async () => {
  const r = await fetch(`${BASE}/assets/missing.png`);
  assert.equal(r.status, 404);
});

test('nothing outside the web root is served', async () => {
  const raw = await new Promise((resolve) => {
    let data = '';
    const socket = net.connect(new URL(BASE).port, '127.0.0.1', () => {
      socket.write('GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (d) => { data += d; });
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
  assert.doesNotMatch(raw, /root:/);
  const encoded = await fetch(`${BASE}/%2e%2e/%2e%2e/etc/passwd`);
  assert.doesNotMatch(await encoded.text(), /root:/);
  const link = await fetch(`${BASE}/outside.txt`);
  assert.equal(link.status, 404, 'a symlink leading out of the root is not followed');
});

test('HEAD answers without a body; POST is 405', async () => {
  const head = await fetch(`${BASE}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const post = await fetch(`${BASE}/`, { method: 'POST' });
  assert.equal(post.status, 405);
});
