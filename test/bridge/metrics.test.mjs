// GET /metrics: the Prometheus text format, read by a Prometheus text parser; its counters move
// as the tests act; only the operator may read it (loopback, or the bearer token when one is set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { BASE, api, newUser } from './helpers.mjs';
import { connect, call, directChat } from './realtime_helpers.mjs';
import { freePort, startBridge, stopBridge, waitHealthy } from './bridge_process.mjs';

async function scrape(url = BASE, headers = {}) {
  const r = await fetch(`${url}/metrics`, { headers });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusTextFormat(await r.text());
  const value = (name, le) => {
    const family = families.find((f) => f.name === name);
    assert.ok(family, `${name} is exported`);
    if (family.type === 'HISTOGRAM') return family.metrics[0];
    return Number(family.metrics[0].value);
  };
  return { families, value };
}

test('/metrics parses as Prometheus text and its counters move as clients act', async () => {
  const before = await scrape();
  for (const name of ['pgchat_sockets', 'pgchat_engine_sessions', 'pgchat_socket_events_received_total',
    'pgchat_socket_packets_sent_total', 'pgchat_db_calls_pending', 'pgchat_db_slow_calls_pending',
    'pgchat_refused_socket_rate_total', 'pgchat_refused_credentials_total', 'pgchat_sockets_session_ended_total',
    'pgchat_db_call_seconds', 'pgchat_send_batch_sends', 'pgchat_redis_up', 'pgchat_dropped_slow_readers_total',
    'pgchat_connections', 'pgchat_queued_bytes', 'pgchat_queue_budget_bytes', 'pgchat_refused_total',
    'pgchat_refused_socket_calls_total'])
    assert.ok(before.families.some((f) => f.name === name), `${name} is exported`);
  assert.equal(before.value('pgchat_redis_up'), 1);
  const reasons = before.families.find((f) => f.name === 'pgchat_refused_total').metrics.map((m) => m.labels.reason);
  assert.deepEqual(reasons.sort(), ['address_connection_cap', 'address_session_cap', 'budget', 'connection_cap',
    'pre_connect', 'session_cap']);
  assert.ok(before.value('pgchat_connections') >= 1, 'the scrape itself is a connection');

  const a = await newUser('ma');
  const b = await newUser('mb');
  const chat = await directChat(a, b);
  const sa = await connect(a.token);
  const sb = await connect(b.token);
  try {
    const during = await scrape();
    assert.ok(during.value('pgchat_sockets') >= before.value('pgchat_sockets') + 2, 'two more sockets');
    for (let i = 0; i < 5; i++)
      assert.ok((await call(sa, 'send_message', { conversationId: chat.id, content: `m${i}`, clientId: `m${i}` })).id);
    const phone = await api('POST', '/api/auth/login', { body: { login: b.username, password: b.password } });
    const closed = new Promise((resolve) => sb.once('disconnect', resolve));
    await api('POST', '/api/auth/logout-all', { token: phone.json.token });
    await closed;
    const after = await scrape();
    assert.ok(after.value('pgchat_socket_events_received_total') >= before.value('pgchat_socket_events_received_total') + 5);
    assert.ok(after.value('pgchat_socket_packets_sent_total') >= before.value('pgchat_socket_packets_sent_total') + 10,
      'acks and deliveries count as packets sent');
    assert.ok(after.value('pgchat_sockets_session_ended_total') >= before.value('pgchat_sockets_session_ended_total') + 1);
    const batches = after.value('pgchat_send_batch_sends');
    assert.ok(Number(batches.count) >= Number(before.value('pgchat_send_batch_sends').count) + 1);
    const calls = after.value('pgchat_db_call_seconds');
    assert.ok(Number(calls.count) > Number(before.value('pgchat_db_call_seconds').count));
    assert.equal(Number(calls.buckets['+Inf']), Number(calls.count), 'the +Inf bucket holds every call');
  } finally {
    sa.close();
    sb.close();
  }
});

test('/metrics is for the operator: a bearer token when one is set, else loopback only', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const bridge = startBridge(port, { log: 'bridge-metrics-test.log', env: { PGCHAT_METRICS_TOKEN: 'operator-secret' } });
  try {
    await waitHealthy(url);
    assert.equal((await fetch(`${url}/metrics`)).status, 403);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong-secret!' } })).status, 403);
    assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer operator-secre' } })).status, 403);
    const ok = await scrape(url, { authorization: 'Bearer operator-secret' });
    assert.ok(ok.families.length > 10);
    assert.equal((await fetch(`${url}/metricsx`)).status, 404);
  } finally {
    assert.equal(await stopBridge(bridge), 0);
  }
});
