// The load of test/bench/attachments.sh: CLIENTS users each upload a file of SIZE bytes at once
// (one streamed POST each), then each downloads their own file at once; the bridge's resident
// memory (VmRSS of BRIDGE_PID) is sampled every 50 ms meanwhile. Prints key=value lines.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const base = new URL(process.env.PGCHAT_URL);
const clients = Number(process.env.CLIENTS || 20);
const size = Number(process.env.SIZE || 16 * 1024 * 1024);
const pid = process.env.BRIDGE_PID;
const tag = process.env.TAG || 'run';

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function request(method, path, { token, body, json } = {}) {
  return new Promise((resolve, reject) => {
    const payload = json ? Buffer.from(JSON.stringify(json)) : body;
    const headers = { 'content-length': payload ? payload.length : 0 };
    if (json) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers, agent: false }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (c) => { bytes += c.length; if (!json && method === 'GET') return; chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode, bytes, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (payload) {
      // the body in 64 KiB writes, honouring backpressure, as a browser streams a file
      let at = 0;
      const write = () => {
        while (at < payload.length) {
          const piece = payload.subarray(at, at + 65536);
          at += piece.length;
          if (!req.write(piece)) return req.once('drain', write);
        }
        req.end();
      };
      write();
    } else req.end();
  });
}

const users = [];
for (let i = 0; i < clients; i++) {
  const name = `bench_${tag}_${i}_${randomBytes(3).toString('hex')}`;
  const r = await request('POST', '/api/auth/register', { json: { username: name, email: `${name}@example.com`, password: 'bench password 1' } });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${r.text}`);
  users.push(JSON.parse(r.text).token);
}
const file = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

let peak = 0;
const idle = rss();
const sampler = setInterval(() => { peak = Math.max(peak, rss()); }, 50);

let started = process.hrtime.bigint();
const uploads = await Promise.all(users.map((token) => request('POST', '/api/attachments?name=bench.pdf', { token, body: file })));
const uploadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
const ids = uploads.map((u) => {
  if (u.status !== 201) throw new Error(`upload: ${u.status} ${u.text}`);
  return JSON.parse(u.text).id;
});
const uploadPeak = Math.max(peak, rss());

peak = 0;
started = process.hrtime.bigint();
const downloads = await Promise.all(users.map((token, i) => request('GET', `/api/attachments/${ids[i]}`, { token })));
const downloadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
const downloadPeak = Math.max(peak, rss());
for (const d of downloads) if (d.status !== 200 || d.bytes !== size) throw new Error(`download: ${d.status} ${d.bytes}`);

const mb = (clients * size) / (1024 * 1024);
console.log(`tag=${tag} clients=${clients} file_bytes=${size} total_mib=${mb.toFixed(0)}`);
console.log(`tag=${tag} rss_idle_kib=${idle} rss_upload_peak_kib=${uploadPeak} rss_download_peak_kib=${downloadPeak}`);
console.log(`tag=${tag} upload_seconds=${uploadSeconds.toFixed(2)} upload_mib_s=${(mb / uploadSeconds).toFixed(1)}`);
console.log(`tag=${tag} download_seconds=${downloadSeconds.toFixed(2)} download_mib_s=${(mb / downloadSeconds).toFixed(1)}`);
