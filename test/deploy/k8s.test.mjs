// docker/k8s: the manifests parse, name each other correctly (selectors, ports, secrets, images)
// and give the bridge what it reads: 3 replicas probed on /health, Postgres and Redis on volumes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import {
  K8S, LIBPQ_ENV, bridgeEnvNames, finalStage, findObject, initEnvNames, k8sObjects, ops,
  parseDockerfile, readText, readYaml, readYamlAll,
} from './lib.mjs';

const objects = k8sObjects();
const compose = readYaml('docker/compose.yaml');
const kustomization = readYaml('docker/k8s/kustomization.yaml');
const secrets = readYamlAll('docker/k8s/secrets.example.yaml');

const container = (workload, name) => workload.spec.template.spec.containers.find((c) => c.name === name);
const envOf = (c) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
const bridge = findObject(objects, 'Deployment', 'bridge');
const bridgeContainer = container(bridge, 'bridge');
const bridgeEnv = envOf(bridgeContainer);

// The container port a Service or probe names (by name or number).
function containerPort(c, port) {
  const found = c.ports.find((p) => p.name === port || p.containerPort === port);
  assert.ok(found, `container ${c.name} has port ${port}`);
  return found.containerPort;
}

describe('docker/k8s', () => {
  test('every manifest parses into objects with a kind, a name and the pgchat namespace', () => {
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'Deployment/bridge', 'Ingress/pgchat', 'Namespace/pgchat', 'NetworkPolicy/bridge-from-ingress',
      'NetworkPolicy/default-deny-ingress', 'NetworkPolicy/postgres-from-bridge', 'NetworkPolicy/redis-from-bridge',
      'Service/bridge', 'Service/postgres', 'Service/redis', 'StatefulSet/postgres', 'StatefulSet/redis',
    ]);
    for (const o of objects) {
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${o.file}: ${JSON.stringify(o).slice(0, 80)}`);
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'pgchat', `${o.kind} ${o.metadata.name}`);
    }
    assert.equal(findObject(objects, 'Namespace', 'pgchat').kind, 'Namespace');
    assert.equal(kustomization.namespace, 'pgchat');
  });

  test('kustomization applies every manifest but the secrets template', () => {
    const files = fs.readdirSync(K8S).filter((f) => f.endsWith('.yaml') && !['kustomization.yaml', 'secrets.example.yaml'].includes(f));
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
    assert.ok(!kustomization.resources.includes('secrets.example.yaml'));
  });

  test('the bridge is a Deployment of 3 replicas probed for readiness and liveness on /health', () => {
    assert.equal(bridge.spec.replicas, 3);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      const { httpGet } = bridgeContainer[probe];
      assert.equal(httpGet.path, '/health', probe);
      assert.equal(containerPort(bridgeContainer, httpGet.port), Number(bridgeEnv.PGCHAT_PORT), `${probe} on PGCHAT_PORT`);
    }
    const live = bridgeContainer.livenessProbe;
    assert.ok(live.periodSeconds * live.failureThreshold >= 60, 'a database outage does not restart every bridge at once');
  });

  test('every PGCHAT_* variable given to the bridge is one it reads; the others are libpq\'s or expanded', () => {
    const known = bridgeEnvNames();
    // a variable another one names as $(NAME) is there for the kubelet to expand
    const expanded = new Set(Object.values(bridgeEnv).filter((v) => typeof v === 'string')
      .flatMap((v) => [...v.matchAll(/\$\((\w+)\)/g)].map((m) => m[1])));
    for (const name of Object.keys(bridgeEnv)) {
      if (name.startsWith('PGCHAT_')) assert.ok(known.has(name), `${name} is read by bridge/core/config.c`);
      else assert.ok(LIBPQ_ENV.has(name) || expanded.has(name), `${name} is a libpq variable or expanded into another`);
    }
  });

  test('Redis requires the password of the pgchat-redis secret; the bridge\'s URL carries it', () => {
    const redis = container(findObject(objects, 'StatefulSet', 'redis'), 'redis');
    const redisEnv = envOf(redis);
    const ref = { secretKeyRef: { name: 'pgchat-redis', key: 'redis-password' } };
    assert.deepEqual(redisEnv.REDIS_PASSWORD, ref);
    assert.deepEqual(redisEnv.REDISCLI_AUTH, ref, 'redis-cli in the probes authenticates from the environment');
    assert.deepEqual(bridgeEnv.REDIS_PASSWORD, ref);
    // the kubelet expands $(NAME) only for variables listed before
    const names = bridgeContainer.env.map((e) => e.name);
    assert.ok(names.indexOf('REDIS_PASSWORD') < names.indexOf('PGCHAT_REDIS_URL'));
    const url = new URL(bridgeEnv.PGCHAT_REDIS_URL.replace('$(REDIS_PASSWORD)', '0123abcd'));
    assert.equal(url.password, '0123abcd');
    assert.equal(url.username, '');
  });

  test('Redis runs compose\'s script and options: the password on stdin, probes that need a PONG', () => {
    const redis = container(findObject(objects, 'StatefulSet', 'redis'), 'redis');
    const composeRedis = compose.services.redis;
    assert.deepEqual(redis.command, composeRedis.entrypoint.map((v) => v.replaceAll('$$', '$')));
    assert.deepEqual(redis.args, composeRedis.command);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      assert.deepEqual(redis[probe].exec.command, ['sh', '-c', 'redis-cli ping | grep -qx PONG'], probe);
    }
    assert.doesNotMatch([...redis.command, ...redis.args].join(' '), /--requirepass|\$\(REDIS_PASSWORD\)/,
      'no password on a command line');
  });

  test('Postgres, Redis and the bridge run unprivileged, read-only, with RuntimeDefault seccomp', () => {
    const users = { postgres: 999, redis: 999, bridge: 10001 }; // the images' own users
    for (const [name, uid] of Object.entries(users)) {
      const workload = objects.find((o) => o.spec?.template && o.metadata.name === name);
      const pod = workload.spec.template.spec;
      const c = container(workload, name);
      const context = { ...pod.securityContext, ...c.securityContext };
      assert.equal(context.runAsNonRoot, true, name);
      assert.equal(context.runAsUser, uid, `${name} runs as ${uid}`);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, name);
      assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] }, name);
      assert.deepEqual(c.securityContext.seccompProfile, { type: 'RuntimeDefault' }, name);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, name);
      // every mount is a pod volume or a claim template
      const volumes = new Set([...(pod.volumes ?? []), ...(workload.spec.volumeClaimTemplates ?? []).map((t) => t.metadata)]
        .map((v) => v.name));
      for (const mount of c.volumeMounts ?? []) assert.ok(volumes.has(mount.name), `${name}: volume ${mount.name}`);
    }
    // what each image writes outside its data volume, on a read-only root
    const mounts = (name) => container(findObject(objects, 'StatefulSet', name), name).volumeMounts.map((m) => m.mountPath);
    for (const path of ['/var/run/postgresql', '/tmp']) assert.ok(mounts('postgres').includes(path), `postgres: ${path}`);
    for (const path of ['/data', '/tmp']) assert.ok(mounts('redis').includes(path), `redis: ${path}`);
  });

  test('NetworkPolicies deny every ingress but ingress-controller to bridge, bridge to Postgres and Redis', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const deny = findObject(objects, 'NetworkPolicy', 'default-deny-ingress');
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress'] }, 'selects every pod, allows nothing');
    const workloads = objects.filter((o) => o.spec?.template);
    const selected = (selector) => workloads.filter((w) => Object.entries(selector.matchLabels ?? {})
      .every(([k, v]) => w.spec.template.metadata.labels[k] === v)).map((w) => w.metadata.name);
    // every allowed flow as "source -> pod:port", the port checked against the pod's own
    const flows = policies.filter((p) => p !== deny).flatMap((policy) => {
      assert.deepEqual(policy.spec.policyTypes, ['Ingress'], policy.metadata.name);
      const [target] = selected(policy.spec.podSelector);
      assert.equal(selected(policy.spec.podSelector).length, 1, `${policy.metadata.name} selects one workload`);
      const ports = workloads.find((w) => w.metadata.name === target).spec.template.spec.containers[0].ports
        .map((p) => p.containerPort);
      return policy.spec.ingress.flatMap((rule) => rule.from.flatMap((from) => rule.ports.map((port) => {
        assert.equal(port.protocol, 'TCP');
        assert.ok(ports.includes(port.port), `${target} listens on ${port.port}`);
        const source = from.namespaceSelector
          ? `namespace ${from.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}/${from.podSelector?.matchLabels['app.kubernetes.io/name']}`
          : selected(from.podSelector).join(',');
        return `${source} -> ${target}:${port.port}`;
      })));
    });
    assert.deepEqual(flows.sort(), [
      'bridge -> postgres:5432', 'bridge -> redis:6379', 'namespace ingress-nginx/ingress-nginx -> bridge:5000',
    ]);
  });

  test('the bridge reaches the postgres and redis Services on their ports, as the role Postgres creates', () => {
    const db = new URL(bridgeEnv.PGCHAT_DATABASE_URL);
    const postgresService = findObject(objects, 'Service', db.hostname);
    assert.ok(postgresService.spec.ports.some((p) => String(p.port) === db.port));
    assert.equal(db.password, '', 'no password in the URL');
    assert.equal(db.username, readText('docker/initdb/10-chat.sh').match(/PGCHAT_BRIDGE_ROLE:-(\w+)/)[1]);
    const postgres = findObject(objects, 'StatefulSet', 'postgres');
    const postgresEnv = envOf(container(postgres, 'postgres'));
    assert.equal(db.pathname.slice(1), postgresEnv.POSTGRES_DB);
    assert.deepEqual(bridgeEnv.PGPASSWORD, postgresEnv.PGCHAT_BRIDGE_PASSWORD, 'the same secret on both sides');
    const redis = new URL(bridgeEnv.PGCHAT_REDIS_URL);
    assert.ok(findObject(objects, 'Service', redis.hostname).spec.ports.some((p) => String(p.port) === redis.port));
  });

  test('every PGCHAT_* variable given to Postgres is one its first-start script reads', () => {
    const known = initEnvNames();
    const postgres = container(findObject(objects, 'StatefulSet', 'postgres'), 'postgres');
    for (const name of Object.keys(envOf(postgres)).filter((n) => n.startsWith('PGCHAT_'))) {
      assert.ok(known.has(name), `${name} is read by docker/initdb`);
    }
  });

  test('each Service selects its pods and targets a port they expose', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const workload = objects.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind)
        && Object.entries(service.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
      assert.ok(workload, `Service ${service.metadata.name} selects a workload`);
      assert.deepEqual(workload.spec.selector.matchLabels, service.spec.selector);
      for (const port of service.spec.ports) containerPort(workload.spec.template.spec.containers[0], port.targetPort);
      if (workload.kind === 'StatefulSet') assert.equal(workload.spec.serviceName, service.metadata.name);
    }
  });

  test('Postgres and Redis keep their data on persistent volume claims', () => {
    for (const [name, mountPath] of [['postgres', '/var/lib/postgresql/data'], ['redis', '/data']]) {
      const set = findObject(objects, 'StatefulSet', name);
      const claim = set.spec.volumeClaimTemplates[0];
      assert.ok(claim.spec.resources.requests.storage, `${name} asks for storage`);
      const mount = container(set, name).volumeMounts.find((m) => m.name === claim.metadata.name);
      assert.equal(mount?.mountPath, mountPath);
    }
    const pgdata = envOf(container(findObject(objects, 'StatefulSet', 'postgres'), 'postgres')).PGDATA;
    assert.match(pgdata, /^\/var\/lib\/postgresql\/data\/.+/, 'PGDATA is a folder inside the volume');
  });

  test('every secret a pod reads exists in the template, which holds placeholders only', () => {
    const keys = new Map(secrets.map((s) => [s.metadata.name, s.stringData]));
    for (const workload of objects.filter((o) => o.spec?.template)) {
      for (const c of workload.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          assert.ok(keys.get(ref.name)?.[ref.key], `${workload.metadata.name}: secret ${ref.name}/${ref.key}`);
        }
      }
    }
    for (const data of keys.values()) for (const value of Object.values(data)) assert.match(value, /^change-me/);
    assert.deepEqual([...keys.keys()].sort(), ['pgchat-db', 'pgchat-redis']);
    for (const o of objects) assert.notEqual(o.kind, 'Secret', 'no real secret in the applied manifests');
  });

  test('images are the ones compose builds (Postgres, the bridge, Redis), each named in the kustomization', () => {
    const image = (kind, name) => container(findObject(objects, kind, name), name).image;
    assert.equal(image('StatefulSet', 'postgres'), compose.services.postgres.image);
    assert.equal(image('Deployment', 'bridge'), compose.services['bridge-1'].image);
    assert.equal(image('StatefulSet', 'redis'), compose.services.redis.image);
    for (const [kind, name] of [['StatefulSet', 'postgres'], ['Deployment', 'bridge'], ['StatefulSet', 'redis']]) {
      assert.equal(container(findObject(objects, kind, name), name).imagePullPolicy, 'IfNotPresent', `${name}: a loaded image is used, not pulled`);
    }
    const named = kustomization.images.map((i) => i.name).sort();
    assert.deepEqual(named, ['bridge-1', 'postgres', 'redis'].map((s) => compose.services[s].image.split(':')[0]).sort());
  });

  test('the bridge runs as the image\'s unprivileged user and outlives its drain on SIGTERM', () => {
    const user = ops(finalStage(parseDockerfile('docker/bridge.Dockerfile')), 'USER').at(-1).args;
    const pod = bridge.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(String(pod.securityContext.runAsUser), user.split(':')[0]);
    assert.equal(bridgeContainer.securityContext.allowPrivilegeEscalation, false);
    const drain = Number(bridgeEnv.PGCHAT_DRAIN_SECONDS ?? 10);
    assert.ok(pod.terminationGracePeriodSeconds > drain, 'the kubelet waits longer than the bridge drains');
  });

  test('the Ingress routes to the bridge Service with sticky sessions for long-polling', () => {
    const ingress = findObject(objects, 'Ingress', 'pgchat');
    const annotations = ingress.metadata.annotations;
    assert.equal(annotations['nginx.ingress.kubernetes.io/affinity'], 'cookie');
    assert.ok(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) > 60, 'idle websockets stay open');
    const backends = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service));
    for (const backend of backends) {
      const service = findObject(objects, 'Service', backend.name);
      assert.ok(service.spec.ports.some((p) => p.name === backend.port.name || p.port === backend.port.number));
    }
    assert.match(readText('docker/k8s/ingress.yaml'), /long-polling/);
  });

  test('the Ingress serves every host over TLS from the pgchat-tls secret and redirects plain HTTP', () => {
    const ingress = findObject(objects, 'Ingress', 'pgchat');
    const annotations = ingress.metadata.annotations;
    const covered = new Set(ingress.spec.tls.flatMap((t) => t.hosts));
    for (const rule of ingress.spec.rules) assert.ok(covered.has(rule.host), `${rule.host} has a certificate`);
    assert.deepEqual(ingress.spec.tls.map((t) => t.secretName), ['pgchat-tls']);
    assert.equal(annotations['nginx.ingress.kubernetes.io/ssl-redirect'], 'true');
    assert.equal(annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'], 'true');
    assert.equal(annotations['nginx.ingress.kubernetes.io/session-cookie-secure'], 'true', 'the affinity cookie too');
    for (const file of ['docker/k8s/secrets.example.yaml', 'docs/operations.md']) {
      assert.match(readText(file), /pgchat-tls/, `${file} names the certificate's secret`);
    }
  });
});

// kubectl's own reading of the kustomization, where kubectl is installed (Debian: kubernetes-client).
// `kubectl apply --dry-run=client` would also need an API server, which this machine lacks.
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
describe('docker/k8s through kubectl', { skip: !kubectl && 'no kubectl here (apt install kubernetes-client)' }, () => {
  test('kubectl kustomize builds every object of the files, in the pgchat namespace, with the images compose builds', () => {
    const built = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const docs = YAML.parseAllDocuments(built.stdout).map((d) => d.toJS()).filter(Boolean);
    const names = (list) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(names(docs), names(objects));
    for (const o of docs) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'pgchat');
    const images = docs.flatMap((o) => o.spec?.template?.spec.containers.map((c) => c.image) ?? []).sort();
    assert.deepEqual(images, ['bridge-1', 'postgres', 'redis'].map((s) => compose.services[s].image).sort());
  });
});
