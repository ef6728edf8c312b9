// The layer check (test/bridge/layers.sh) on the bridge as it stands, and on copies of it with one
// breach injected each, to show the check fails where it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const check = join(here, 'layers.sh');
const bridge = join(here, '..', '..', 'bridge');

function runCheck(root) {
  const result = spawnSync('bash', [check, root], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

// a copy of bridge/ (sources only) with CHANGE applied to it
function withCopy(change, body) {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    cpSync(bridge, root, { recursive: true, filter: (source) => !source.includes('/build') });
    change(root);
    body(runCheck(root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the bridge as it stands follows core < protocol < presence < chat < http', () => {
  const { status, output } = runCheck(bridge);
  assert.equal(status, 0, output);
});

test('the check fails when a protocol/ file includes a chat/ header', () => {
  withCopy((root) => appendFileSync(join(root, 'protocol', 'sio_server.c'), '\n#include "chat/fanout.h"\n'), ({ status, output }) => {
    assert.equal(status, 1);
    assert.match(output, /protocol\/sio_server\.c includes "chat\/fanout\.h": chat\/ stands above/);
  });
});

test('the check fails when core/ includes presence/ and when a header includes upward', () => {
  withCopy((root) => {
    appendFileSync(join(root, 'core', 'db.c'), '\n#include "presence/redis.h"\n');
    appendFileSync(join(root, 'presence', 'presence.h'), '\n#include "http/rest.h"\n');
  }, ({ status, output }) => {
    assert.equal(status, 1);
    assert.match(output, /core\/db\.c includes "presence\/redis\.h"/);
    assert.match(output, /presence\/presence\.h includes "http\/rest\.h"/);
  });
});

test('the check fails on an include without its folder, and on a source outside the layer folders', () => {
  withCopy((root) => {
    appendFileSync(join(root, 'chat', 'fanout.c'), '\n#include "log.h"\n');
    writeFileSync(join(root, 'attachments.c'), '/* new */\n');
  }, ({ status, output }) => {
    assert.equal(status, 1);
    assert.match(output, /chat\/fanout\.c includes "log\.h" without its folder/);
    assert.match(output, /attachments\.c is in no layer folder/);
  });
});

test('an include downward or within a layer is allowed', () => {
  withCopy((root) => appendFileSync(join(root, 'http', 'health.c'), '\n#include "chat/chat_sql.h"\n#include "http/rest.h"\n'),
    ({ status, output }) => assert.equal(status, 0, output));
});
