// The module tests of the bridge's Redis link, presence and typing (test/redis/run.sh: a C
// program printing TAP, under ASan), run from the bridge suite so `make test` includes them.
// Each TAP line becomes a subtest here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const ROOT = new URL('../../', import.meta.url).pathname;

test('presence, typing and the Redis link (test/redis)', { timeout: 240000 }, async (t) => {
  const run = spawnSync('test/redis/run.sh', [], { cwd: ROOT, encoding: 'utf8', timeout: 230000 });
  const lines = (run.stdout || '').split('\n');
  const results = lines.filter((line) => /^(not )?ok \d+/.test(line));
  for (const line of results) {
    await t.test(line.replace(/^(not )?ok \d+ - /, ''), () => {
      assert.ok(line.startsWith('ok'), line);
    });
  }
  const plan = lines.find((line) => /^1\.\.\d+$/.test(line));
  assert.ok(plan, `a TAP plan was printed\n${run.stdout}\n${run.stderr}`);
  assert.equal(results.length, Number(plan.slice(3)), 'every planned test ran');
  assert.equal(run.status, 0, `test/redis/run.sh exited with ${run.status}\n${run.stderr}`);
});
