// docker/compose.yaml is consistent with itself, with .env.example, with the Dockerfiles, with
// the proxy's haproxy.cfg, with pgAdmin's servers.json and with the variables the bridge and the
// first-start script read. (test/containers builds and runs it.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  DOCKER, LIBPQ_ENV, ROOT, bridgeEnvNames, copies, finalStage, initEnvNames, ops, parseDockerfile,
  readText, readYaml,
} from './lib.mjs';

const compose = readYaml('docker/compose.yaml');
const services = compose.services;
const envExample = Object.fromEntries(readText('docker/.env.example').split('\n')
  .filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

// Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}, resolved against .env.example; $$ is
// a literal $ (a variable of a container's own script), never an interpolation.
const interpolations = [...readText('docker/compose.yaml').matchAll(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g)]
  .filter(([whole]) => whole !== '$$').map(([, name, kind, rest]) => ({ name, kind, rest }));
function resolve(value) {
  return String(value).replace(/\$\$|\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g,
    (m, name, fallback) => (m === '$$' ? '$' : envExample[name] ?? fallback ?? ''));
}
const environment = (service) => Object.fromEntries(Object.entries(services[service].environment ?? {})
  .map(([k, v]) => [k, resolve(v)]));
const publishes = (service) => (services[service].ports ?? []).map((p) => resolve(p).split(':'));

describe('docker/compose.yaml', () => {
  test('has Postgres, Redis, two bridges behind the proxy, and pgAdmin', () => {
    assert.deepEqual(Object.keys(services).sort(), ['bridge-1', 'bridge-2', 'pgadmin', 'postgres', 'proxy', 'redis']);
  });

  test('the two bridges are the same service twice', () => {
    assert.deepEqual(services['bridge-1'], services['bridge-2']);
  });

  test('builds every image it runs from the Dockerfiles in docker/, with the repository as context', () => {
    const built = { postgres: 'postgres', redis: 'redis', 'bridge-1': 'bridge', 'bridge-2': 'bridge', proxy: 'proxy' };
    for (const [service, name] of Object.entries(built)) {
      const { build, image } = services[service];
      assert.equal(path.resolve(DOCKER, build.context), ROOT);
      assert.equal(build.dockerfile, `docker/${name}.Dockerfile`);
      assert.ok(fs.existsSync(path.join(ROOT, build.dockerfile)));
      assert.equal(image, `pgchat/${name}:latest`);
    }
  });

  test('pgAdmin, whose image cannot be built here, starts only in its own profile', () => {
    assert.deepEqual(services.pgadmin.profiles, ['pgadmin']);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'pgadmin') assert.equal(service.profiles, undefined, `${name} starts by default`);
    }
  });

  test('publishes the proxy on 127.0.0.1:5000 and pgAdmin on 5050; nothing else but Postgres on loopback', () => {
    assert.deepEqual(publishes('proxy'), [['127.0.0.1', '5000', '5000']]);
    for (const bridge of ['bridge-1', 'bridge-2']) assert.equal(services[bridge].ports, undefined, `${bridge} is reached through the proxy`);
    assert.deepEqual(publishes('pgadmin'), [['127.0.0.1', '5050', '80']]);
    for (const ports of publishes('postgres')) assert.equal(ports[0], '127.0.0.1');
    assert.equal(services.redis.ports, undefined, 'Redis stays inside the compose network');
  });

  test('the proxy sends each bridge service\'s traffic to its port, checked on /health, and trusts no client', () => {
    const cfg = readText('docker/haproxy.cfg');
    const servers = [...cfg.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map(([, name, host, port]) => ({ name, host, port }));
    assert.deepEqual(servers.map((s) => s.host), ['bridge-1', 'bridge-2']);
    for (const { host, port } of servers) assert.equal(port, environment(host).PGCHAT_PORT);
    assert.match(cfg, /^\s*bind :5000$/m, 'listens where compose publishes');
    assert.match(cfg, /option httpchk GET \/health/);
    assert.match(cfg, /^\s*balance source$/m, 'a long-polling client stays on one bridge');
    assert.match(cfg, /^\s*option forwardfor$/m);
    assert.equal(environment('bridge-1').PGCHAT_TRUST_PROXY, '1', 'the bridges read the client\'s address from X-Forwarded-For');
    assert.deepEqual(services.proxy.depends_on, ['bridge-1', 'bridge-2']);
  });

  test('the bridges run on a read-only root', () => {
    assert.equal(services['bridge-1'].read_only, true);
    assert.equal(services.proxy.read_only, true);
  });

  test('the bridges wait for a healthy Postgres and Redis; pgAdmin for Postgres', () => {
    assert.deepEqual(services['bridge-1'].depends_on, {
      postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' },
    });
    assert.equal(services.pgadmin.depends_on.postgres.condition, 'service_healthy');
    for (const service of ['postgres', 'redis']) assert.ok(services[service].healthcheck?.test, `${service} has a health check`);
    assert.match(services.postgres.healthcheck.test.join(' '), /pg_isready -h 127\.0\.0\.1/,
      'over TCP, so first-start initialisation (socket only) does not count as ready');
  });

  test('every PGCHAT_* variable given to the bridge is one the bridge reads; others are libpq\'s', () => {
    const known = bridgeEnvNames();
    for (const name of Object.keys(services['bridge-1'].environment)) {
      if (name.startsWith('PGCHAT_')) assert.ok(known.has(name), `${name} is read by bridge/core/config.c`);
      else assert.ok(LIBPQ_ENV.has(name), `${name} is a libpq variable`);
    }
  });

  test('every PGCHAT_* variable given to Postgres is one its first-start script reads', () => {
    const known = initEnvNames();
    for (const name of Object.keys(services.postgres.environment).filter((n) => n.startsWith('PGCHAT_'))) {
      assert.ok(known.has(name), `${name} is read by docker/initdb`);
    }
  });

  test('the bridge reaches the postgres and redis services as the role the first start creates', () => {
    const env = environment('bridge-1');
    const db = new URL(env.PGCHAT_DATABASE_URL);
    assert.equal(db.hostname, 'postgres');
    assert.equal(db.port, '5432');
    assert.equal(db.pathname.slice(1), environment('postgres').POSTGRES_DB);
    assert.equal(db.username, readText('docker/initdb/10-chat.sh').match(/PGCHAT_BRIDGE_ROLE:-(\w+)/)[1]);
    assert.equal(db.password, '', 'no password in the URL');
    assert.equal(services['bridge-1'].environment.PGPASSWORD, services.postgres.environment.PGCHAT_BRIDGE_PASSWORD,
      'the bridge logs in with the password the first start sets');
    const redis = new URL(env.PGCHAT_REDIS_URL);
    assert.equal(redis.hostname, 'redis');
    assert.equal(redis.port, '6379');
    assert.ok(!services.redis.command.includes('--port'), 'Redis listens on its default port');
  });

  test('Redis requires the password of .env, given to it on stdin, never on a command line', () => {
    const redis = services.redis;
    assert.equal(redis.environment.REDIS_PASSWORD, '${REDIS_PASSWORD:?set REDIS_PASSWORD in docker/.env}');
    const script = redis.entrypoint.map(resolve);
    assert.deepEqual(script.slice(0, 2), ['sh', '-c']);
    assert.match(script[2], /^exec redis-server - "\$@" <<EOF\nrequirepass \$REDIS_PASSWORD\nEOF$/m,
      'the password is configuration read from stdin');
    assert.match(script[2], /change-me\*\)[^\n]*exit 1/, 'the placeholder stops Redis');
    const commandLines = [...script, ...redis.command, ...redis.healthcheck.test].join(' ');
    assert.doesNotMatch(commandLines, /--requirepass|\s-a\s|--pass|--user/, 'no password option on a command line');
    assert.doesNotMatch(commandLines, new RegExp(envExample.REDIS_PASSWORD), 'the password itself is in no command line');
    assert.equal(redis.user, '999:999', 'the image\'s redis user, as its replaced entrypoint would have chosen');
  });

  test('Redis\'s health check authenticates through REDISCLI_AUTH and needs a PONG', () => {
    const redis = services.redis;
    assert.equal(redis.environment.REDISCLI_AUTH, redis.environment.REDIS_PASSWORD);
    assert.deepEqual(redis.healthcheck.test, ['CMD-SHELL', 'redis-cli ping | grep -qx PONG'],
      'redis-cli exits 0 on NOAUTH, so only the answer tells');
  });

  test('the bridge\'s Redis URL carries the Redis password, which .env.example says must be URL-safe', () => {
    const url = new URL(environment('bridge-1').PGCHAT_REDIS_URL);
    assert.equal(url.username, '');
    assert.equal(url.password, envExample.REDIS_PASSWORD);
    assert.equal(services['bridge-1'].environment.PGCHAT_REDIS_URL,
      'redis://:${REDIS_PASSWORD:?set REDIS_PASSWORD in docker/.env}@redis:6379');
    assert.match(readText('docker/.env.example'), /# .*unescaped.*\n.*hex.*\nREDIS_PASSWORD=/);
  });

  test('keeps Postgres, Redis and pgAdmin data on named volumes', () => {
    const mounts = (service) => services[service].volumes.map((v) => v.split(':'));
    assert.deepEqual(mounts('postgres'), [['postgres-data', '/var/lib/postgresql/data']]);
    assert.deepEqual(mounts('redis'), [['redis-data', '/data']]);
    assert.ok(mounts('pgadmin').some(([volume, target]) => volume === 'pgadmin-data' && target === '/var/lib/pgadmin'));
    const declared = Object.keys(compose.volumes);
    const used = Object.values(services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]))
      .filter((v) => !v.startsWith('.'));
    assert.deepEqual([...new Set(used)].sort(), declared.sort());
  });

  test('every secret comes from .env and has no default; .env.example holds placeholders only', () => {
    const secrets = ['POSTGRES_PASSWORD', 'PGCHAT_BRIDGE_PASSWORD', 'REDIS_PASSWORD', 'PGADMIN_DEFAULT_PASSWORD'];
    for (const name of secrets) {
      const uses = interpolations.filter((i) => i.name === name);
      assert.ok(uses.length > 0, `${name} is used`);
      for (const use of uses) assert.equal(use.kind, ':?', `${name} is required, never defaulted`);
      assert.match(envExample[name], /^change-me/, `${name} in .env.example is a placeholder`);
    }
    for (const service of Object.values(services)) {
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD$|AUTH$/.test(name)) assert.match(value, /^\$\{\w+:\?/, `${name} comes from .env`);
      }
    }
    assert.match(readText('docker/.gitignore'), /^\.env$/m, 'docker/.env is never committed');
  });

  test('.env.example names every variable compose reads, and nothing else', () => {
    const read = new Set(interpolations.map((i) => i.name));
    assert.deepEqual([...read].sort(), Object.keys(envExample).sort());
  });

  test('pgAdmin gets servers.json where it reads it, pointing at the compose database without a password', () => {
    const target = services.pgadmin.environment.PGADMIN_SERVER_JSON_FILE;
    const mount = services.pgadmin.volumes.map((v) => v.split(':')).find(([, t]) => t === target);
    assert.ok(mount, 'servers.json is mounted at PGADMIN_SERVER_JSON_FILE');
    const servers = JSON.parse(fs.readFileSync(path.resolve(DOCKER, mount[0]), 'utf8')).Servers;
    const postgres = environment('postgres');
    assert.equal(Object.keys(servers).length, 1);
    const server = Object.values(servers)[0];
    assert.equal(server.Host, 'postgres');
    assert.equal(server.Port, 5432);
    assert.equal(server.MaintenanceDB, postgres.POSTGRES_DB);
    assert.equal(server.Username, postgres.POSTGRES_USER);
    assert.equal(server.Password, undefined);
    assert.doesNotMatch(JSON.stringify(server), /change-me/);
  });

  test('the bridge image\'s port and web root agree with the compose file', () => {
    const final = finalStage(parseDockerfile('docker/bridge.Dockerfile'));
    assert.deepEqual(ops(final, 'EXPOSE').map((e) => e.args), [environment('bridge-1').PGCHAT_PORT]);
    assert.equal(services['bridge-1'].environment.PGCHAT_WEB_ROOT, undefined, 'the image\'s own web root is used');
    assert.ok(copies(final).some((c) => c.from === 'web'));
  });
});
