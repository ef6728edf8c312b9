// docker/k8s: the manifests parse, name each other correctly (selectors, ports, secrets, images)
// and give the bridge what it reads: 3 replicas probed on /health, Postgres and Redis on volumes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
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
      'Deployment/bridge', 'Ingress/pgchat', 'Namespace/pgchat', 'Service/bridge', 'Service/postgres',
      'Service/redis', 'StatefulSet/postgres', 'StatefulSet/redis',
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

  test('every PGCHAT_* variable given to the bridge is one it reads; the others are libpq\'s', () => {
    const known = bridgeEnvNames();
    for (const name of Object.keys(bridgeEnv)) {
      if (name.startsWith('PGCHAT_')) assert.ok(known.has(name), `${name} is read by bridge/config.c`);
      else assert.ok(LIBPQ_ENV.has(name), `${name} is a libpq variable`);
    }
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
    for (const o of objects) assert.notEqual(o.kind, 'Secret', 'no real secret in the applied manifests');
  });

  test('images are the ones compose builds, and Redis the same version', () => {
    const image = (kind, name) => container(findObject(objects, kind, name), name).image;
    assert.equal(image('StatefulSet', 'postgres'), compose.services.postgres.image);
    assert.equal(image('Deployment', 'bridge'), compose.services.bridge.image);
    assert.equal(image('StatefulSet', 'redis'), compose.services.redis.image);
    const named = kustomization.images.map((i) => i.name).sort();
    assert.deepEqual(named, [compose.services.bridge.image, compose.services.postgres.image].map((i) => i.split(':')[0]).sort());
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
});
