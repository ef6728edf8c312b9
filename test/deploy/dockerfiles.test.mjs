// The Dockerfiles build with the Makefile's own commands (one source of truth): each build
// stage is replayed here on a clean copy of the files it COPYs, and the final stages get exactly
// what those commands produce, plus the runtime libraries the binaries link.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ROOT, aptPackages, copies, dockerignore, finalStage, ignoredFiles, neededPackages, ops,
  parseDockerfile, readText, replayStage, stage, sourceFiles,
} from './lib.mjs';

const POSTGRES = 'docker/postgres.Dockerfile';
const BRIDGE = 'docker/bridge.Dockerfile';
const REDIS = 'docker/redis.Dockerfile';
const PROXY = 'docker/proxy.Dockerfile';
const BASE = 'debian:bookworm-slim';
const replayed = [];
after(() => replayed.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

// A compiler, a bundler or a package script called directly would be a second build recipe.
const DIRECT_BUILD = /\b(cc|gcc|clang|ld|npx|vite|npm (run|ci|install)|node)\b/;

for (const dockerfile of [POSTGRES, BRIDGE, REDIS, PROXY]) {
  describe(dockerfile, () => {
    const stages = parseDockerfile(dockerfile);

    test('builds from debian:bookworm-slim alone (the one image made here, by debootstrap)', () => {
      const names = stages.map((s) => s.name).filter(Boolean);
      for (const s of stages) assert.ok(s.from === BASE || names.includes(s.from), `FROM ${s.from}`);
    });

    test('every build step is a make target of the Makefile, nothing compiles directly', () => {
      for (const build of stages.slice(0, -1)) {
        const steps = ops(build, 'RUN').filter((r) => !/^apt-get update/.test(r.args));
        assert.ok(steps.length > 0, `stage ${build.name} builds something`);
        for (const step of steps) {
          assert.match(step.args, /^make\b/, `stage ${build.name}: "${step.args}" is a make command`);
          assert.doesNotMatch(step.args, DIRECT_BUILD, `stage ${build.name}: "${step.args}"`);
        }
      }
      for (const run of ops(finalStage(stages), 'RUN')) assert.doesNotMatch(run.args, /\bmake\b|\bgcc\b|\bcc\b/);
    });

    test('its .dockerignore keeps every build output and private file of a working tree out', () => {
      const excluded = dockerignore(`${dockerfile}.dockerignore`);
      const sources = stages.flatMap((s) => copies(s).filter((c) => !c.from).flatMap((c) => c.sources))
        .map((s) => s.replace(/\/$/, ''));
      const underSources = ignoredFiles().filter((f) => sources.some((s) => f === s || f.startsWith(`${s}/`)));
      const leaking = underSources.filter((f) => !excluded(f));
      assert.deepEqual(leaking, [], 'ignored files that would reach the build context');
      const tracked = sourceFiles();
      for (const source of sources) {
        const reaching = tracked.filter((f) => (f === source || f.startsWith(`${source}/`)) && !excluded(f));
        assert.ok(reaching.length > 0, `${source} reaches the build`);
      }
    });

    test('runtime images are pinned to a major version, never latest', () => {
      for (const s of stages) assert.match(s.from, /^[\w./-]+:(?!latest)[\w.-]+$/, s.from);
    });
  });
}

describe(POSTGRES, () => {
  const stages = parseDockerfile(POSTGRES);
  const final = finalStage(stages);
  let built;

  test('runs Debian\'s PostgreSQL 15, with the postgres user of uid 999 made before the package', () => {
    assert.ok(aptPackages(final).includes('postgresql-15'));
    const run = ops(final, 'RUN').map((r) => r.args).join('\n');
    assert.match(run, /useradd --system --uid 999 .*postgres/);
    assert.ok(run.indexOf('useradd') < run.indexOf('apt-get install'), 'the user exists before the package makes one');
    assert.match(run, /create_main_cluster = false/, 'the package makes no cluster of its own');
    assert.equal(ops(final, 'STOPSIGNAL')[0]?.args, 'SIGINT', 'a stop is a fast shutdown, not a wait for every client');
  });

  test('its entrypoint is the project\'s own, run on every start with the server as its command', () => {
    const copy = copies(final).find((c) => c.sources.includes('docker/postgres-entrypoint.sh'));
    assert.ok(copy, 'the entrypoint is copied');
    assert.deepEqual(JSON.parse(ops(final, 'ENTRYPOINT')[0].args), [path.posix.basename(copy.dest)]);
    assert.deepEqual(JSON.parse(ops(final, 'CMD')[0].args), ['postgres']);
    const script = readText('docker/postgres-entrypoint.sh');
    for (const name of ['POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_INITDB_ARGS', 'PGDATA', '/docker-entrypoint-initdb.d/'])
      assert.ok(script.includes(name), `it honours ${name}`);
    assert.ok(fs.statSync(path.join(ROOT, 'docker/postgres-entrypoint.sh')).mode & 0o100, 'the script is executable');
  });

  test('its builder stage is the bridge\'s, line for line (the engine builds that layer once)', () => {
    const builder = (file) => stage(parseDockerfile(file), 'build');
    assert.equal(builder(POSTGRES).from, builder(BRIDGE).from);
    assert.equal(ops(builder(POSTGRES), 'RUN')[0].text, ops(builder(BRIDGE), 'RUN')[0].text);
  });

  test('the build stage replayed on a clean copy builds and installs the extension', () => {
    built = replayStage(POSTGRES, 'build');
    replayed.push(built.dir);
    assert.match(built.log, /chat\.so/);
  });

  test('the final stage copies what make install staged: chat.so, chat.control, every SQL script', () => {
    const copy = copies(final).find((c) => c.from === 'build');
    assert.ok(copy, 'a COPY --from=build');
    const workdir = ops(stage(stages, 'build'), 'WORKDIR').at(-1).args;
    const staged = path.join(built.dir, path.relative(workdir, copy.sources[0]));
    const installed = (sub) => fs.readdirSync(path.join(staged, sub));
    assert.ok(installed('lib/postgresql/15/lib').includes('chat.so'));
    const scripts = fs.readdirSync(path.join(ROOT, 'sql')).filter((f) => /^chat--.*\.sql$/.test(f));
    const extension = installed('share/postgresql/15/extension');
    for (const file of ['chat.control', ...scripts]) assert.ok(extension.includes(file), `${file} installed`);
    assert.ok(scripts.includes('chat--1.0--1.1.sql'), 'the upgrade script ships');
  });

  test('the final stage installs the package of every library chat.so links', () => {
    const so = path.join(built.dir, 'stage/usr/lib/postgresql/15/lib/chat.so');
    const packages = aptPackages(final);
    for (const { soname, package: pkg } of neededPackages(so)) {
      if (pkg === 'libc6') continue; // in every Debian image
      assert.ok(packages.includes(pkg), `${soname} needs ${pkg} in the final stage`);
    }
  });

  test('the first-start script is installed where the image runs it', () => {
    const copy = copies(final).find((c) => c.sources.includes('docker/initdb/'));
    assert.equal(copy?.dest, '/docker-entrypoint-initdb.d/');
    assert.ok(fs.statSync(path.join(ROOT, 'docker/initdb/10-chat.sh')).mode & 0o100, 'the script is executable');
  });
});

describe(BRIDGE, () => {
  const stages = parseDockerfile(BRIDGE);
  const final = finalStage(stages);
  let built;

  test('builds the web app with Debian\'s node and npm, and runs on Debian 12 slim', () => {
    assert.ok(aptPackages(stage(stages, 'web')).includes('nodejs'));
    assert.ok(aptPackages(stage(stages, 'web')).includes('npm'));
    assert.equal(final.from, BASE);
  });

  test('the build stage replayed on a clean copy builds bridge/pgchat-bridge', () => {
    built = replayStage(BRIDGE, 'build');
    replayed.push(built.dir);
    assert.ok(fs.statSync(path.join(built.dir, 'bridge/pgchat-bridge')).isFile());
  });

  test('the web stage is the Makefile\'s web target: npm ci from the lockfile, then vite build into web/dist', () => {
    const web = replayStage(BRIDGE, 'web', { dryRun: true });
    replayed.push(web.dir);
    assert.match(web.log, /npm ci/);
    assert.match(web.log, /vite build/);
    assert.ok(fs.existsSync(path.join(web.dir, 'web/package-lock.json')), 'the lockfile reaches the stage');
  });

  test('the final stage takes the binary, the web build and the health check from the stages', () => {
    const all = copies(final);
    assert.deepEqual(all.find((c) => c.from === 'build')?.sources, ['/src/bridge/pgchat-bridge']);
    const web = all.find((c) => c.from === 'web');
    assert.deepEqual(web?.sources, ['/src/web/dist/']);
    const env = Object.fromEntries(ops(final, 'ENV').flatMap((e) => e.args.split(' ').map((kv) => kv.split('='))));
    assert.equal(env.PGCHAT_WEB_ROOT.replace(/\/$/, ''), web.dest.replace(/\/$/, ''), 'PGCHAT_WEB_ROOT is where the web build lands');
    const entry = JSON.parse(ops(final, 'ENTRYPOINT')[0].args);
    const binary = all.find((c) => c.from === 'build').dest;
    assert.equal(path.posix.basename(binary), entry[0]);
  });

  test('the runtime installs the package of every library the bridge links, and the libuv plugin', () => {
    const packages = aptPackages(final);
    for (const { soname, package: pkg } of neededPackages(path.join(built.dir, 'bridge/pgchat-bridge'))) {
      if (pkg === 'libc6') continue;
      assert.ok(packages.includes(pkg), `${soname} needs ${pkg} in the runtime stage`);
    }
    assert.ok(packages.includes('libwebsockets-evlib-uv'), 'lws loads its libuv support as a plugin');
  });

  test('runs as an unprivileged user, exposes PGCHAT_PORT and checks /health', () => {
    const user = ops(final, 'USER').at(-1)?.args ?? 'root';
    assert.doesNotMatch(user, /^(root|0)(:|$)/);
    const uid = user.split(':')[0];
    assert.match(ops(final, 'RUN').map((r) => r.args).join('\n'), new RegExp(`useradd .*--uid ${uid}\\b`));
    const env = Object.fromEntries(ops(final, 'ENV').flatMap((e) => e.args.split(' ').map((kv) => kv.split('='))));
    assert.deepEqual(ops(final, 'EXPOSE').map((e) => e.args), [env.PGCHAT_PORT]);
    const health = ops(final, 'HEALTHCHECK')[0];
    assert.ok(health, 'a HEALTHCHECK');
    const script = copies(final).find((c) => c.sources.includes('docker/bridge-healthcheck.sh'));
    assert.ok(health.args.includes(path.posix.basename(script.dest)), 'the health check runs the copied script');
    assert.match(readText('docker/bridge-healthcheck.sh'), /GET \/health/);
  });
});

describe(REDIS, () => {
  const final = finalStage(parseDockerfile(REDIS));

  test('is Debian\'s redis-server, run as the uid 999 compose and the manifests give it', () => {
    assert.ok(aptPackages(final).includes('redis-server'));
    assert.match(ops(final, 'RUN').map((r) => r.args).join('\n'), /useradd --system --uid 999 .*redis/);
    assert.equal(ops(final, 'USER').at(-1)?.args, '999:999');
    assert.deepEqual(ops(final, 'EXPOSE').map((e) => e.args), ['6379']);
  });
});

describe(PROXY, () => {
  const final = finalStage(parseDockerfile(PROXY));

  test('is Debian\'s HAProxy with the project\'s configuration, run unprivileged', () => {
    assert.ok(aptPackages(final).includes('haproxy'));
    assert.ok(copies(final).some((c) => c.sources.includes('docker/haproxy.cfg') && c.dest === '/etc/haproxy/haproxy.cfg'));
    assert.doesNotMatch(ops(final, 'USER').at(-1)?.args ?? 'root', /^(root|0)(:|$)/);
    assert.deepEqual(ops(final, 'EXPOSE').map((e) => e.args), ['5000']);
  });
});
