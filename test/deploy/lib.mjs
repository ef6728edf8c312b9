// Helpers of the deploy suite: read the compose file, the manifests and the Dockerfiles, match
// .dockerignore patterns, and replay a Dockerfile's build stage on a clean copy of the sources.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DOCKER = path.join(ROOT, 'docker');
export const K8S = path.join(DOCKER, 'k8s');

export function readText(relative) {
  return fs.readFileSync(path.join(ROOT, relative), 'utf8');
}

// Parses one YAML document strictly: a syntax error or a duplicate key fails the test.
export function readYaml(relative) {
  const doc = YAML.parseDocument(readText(relative), { uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${relative}: ${doc.errors[0].message}`);
  return doc.toJS();
}

export function readYamlAll(relative) {
  return YAML.parseAllDocuments(readText(relative), { uniqueKeys: true }).map((doc) => {
    if (doc.errors.length) throw new Error(`${relative}: ${doc.errors[0].message}`);
    return doc.toJS();
  }).filter((doc) => doc !== null);
}

// Every k8s object kubectl apply -k applies (all of docker/k8s but the secrets template), with its file.
export function k8sObjects() {
  return fs.readdirSync(K8S).filter((f) => f.endsWith('.yaml') && !['kustomization.yaml', 'secrets.example.yaml'].includes(f))
    .flatMap((file) => readYamlAll(`docker/k8s/${file}`).map((object) => ({ file, ...object })));
}

export function findObject(objects, kind, name) {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in docker/k8s`);
  return found;
}

// The PGCHAT_* variables the bridge reads: every one its C sources name in a string (config.c
// holds most; a module may read its own, as presence does PGCHAT_BRIDGE_ID).
export function bridgeEnvNames() {
  const sources = fs.readdirSync(path.join(ROOT, 'bridge'), { recursive: true })
    .filter((f) => f.endsWith('.c') && !f.startsWith('build'));
  return new Set(sources.flatMap((f) => readText(`bridge/${f}`).match(/"PGCHAT_[A-Z0-9_]+"/g) ?? [])
    .map((s) => s.slice(1, -1)));
}

// The PGCHAT_* variables the database image's first-start script reads.
export function initEnvNames() {
  const dir = path.join(DOCKER, 'initdb');
  const names = fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').match(/PGCHAT_[A-Z0-9_]+/g) ?? []);
  return new Set(names);
}

// libpq's own variables a container may set beside the bridge's (the password stays out of URLs).
export const LIBPQ_ENV = new Set(['PGPASSWORD', 'PGPASSFILE', 'PGSSLMODE', 'PGSSLROOTCERT', 'PGCONNECT_TIMEOUT', 'PGAPPNAME']);

// ---- Dockerfiles ----

// Stages of a Dockerfile: {name, from, instructions: [{op, flags, args, text}]}. Continuation
// lines are joined, comments dropped, and ARGs declared before the first FROM substituted.
export function parseDockerfile(relative) {
  const lines = readText(relative).replace(/\\\n/g, ' ').split('\n');
  const globalArgs = {};
  const stages = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, rest] = line.match(/^(\S+)\s*(.*)$/);
    const upper = op.toUpperCase();
    const text = rest.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a, b) => globalArgs[a ?? b] ?? m).replace(/\s+/g, ' ');
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = text.split('=');
      globalArgs[name] = value;
      continue;
    }
    if (upper === 'FROM') {
      const [image, , name] = text.split(' ');
      stages.push({ name: name ?? null, from: image, instructions: [] });
      continue;
    }
    const flags = {};
    let args = text;
    while (args.startsWith('--')) {
      const [, key, value, after] = args.match(/^--([\w-]+)(?:=(\S+))?\s*(.*)$/);
      flags[key] = value ?? true;
      args = after;
    }
    stages.at(-1).instructions.push({ op: upper, flags, args, text });
  }
  return stages;
}

export function stage(stages, name) {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

export const finalStage = (stages) => stages.at(-1);
export const ops = (stage, op) => stage.instructions.filter((i) => i.op === op);

// The packages a stage's `apt-get install` lines name.
export function aptPackages(stage) {
  return ops(stage, 'RUN').flatMap((run) => {
    const match = run.args.match(/apt-get install ([^&;|]*)/);
    return match ? match[1].split(/\s+/).filter((w) => w && !w.startsWith('-')) : [];
  });
}

// COPY sources and destination (JSON form not used by our Dockerfiles).
export function copies(stage) {
  return ops(stage, 'COPY').map((copy) => {
    const words = copy.args.split(' ');
    return { from: copy.flags.from ?? null, sources: words.slice(0, -1), dest: words.at(-1) };
  });
}

// ---- .dockerignore ----

function patternToRegExp(pattern) {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') { i++; out += '(?:.*/)?'; } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

// Docker's rule: the last pattern that matches the path or one of its parent folders decides;
// a leading ! re-includes.
export function dockerignore(relative) {
  const rules = readText(relative).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ include: l.startsWith('!'), re: patternToRegExp(path.posix.normalize(l.replace(/^!/, '').replace(/^\//, ''))) }));
  return (file) => {
    const parts = file.split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) { excluded = !rule.include; break; }
      }
    }
    return excluded;
  };
}

// The source files of the working tree (tracked or new, never what .gitignore ignores): what a
// build context holds once the .dockerignore has kept build output out.
export function sourceFiles() {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)));
}

// Files in the working tree git ignores (build output, node_modules, private data).
export function ignoredFiles() {
  return execFileSync('git', ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\0').filter(Boolean)
    .map((f) => f.replace(/\/$/, ''));
}

// Replays a build stage without Docker: copies the source files its COPY lines name (minus what
// the Dockerfile's .dockerignore excludes) into a temporary WORKDIR, then runs its RUN lines that
// are `make` commands there, with the WORKDIR's absolute path pointing at the copy. `dryRun`
// passes -n to make (for steps that need the network, such as npm ci). Returns {dir, log}.
export function replayStage(dockerfile, stageName, { dryRun = false } = {}) {
  const stages = parseDockerfile(dockerfile);
  const build = stage(stages, stageName);
  const workdir = ops(build, 'WORKDIR').at(-1)?.args;
  if (!workdir) throw new Error(`${dockerfile}: stage ${stageName} has no WORKDIR`);
  const excluded = dockerignore(`${dockerfile}.dockerignore`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pgchat-deploy-${stageName}-`));
  const files = sourceFiles();
  for (const copy of copies(build).filter((c) => !c.from)) {
    for (const source of copy.sources) {
      const prefix = source.replace(/\/$/, '');
      const copied = files.filter((f) => (f === prefix || f.startsWith(`${prefix}/`)) && !excluded(f));
      if (!copied.length) throw new Error(`${dockerfile}: COPY ${source} copies nothing`);
      const destDir = path.join(dir, path.posix.relative(workdir, path.posix.resolve(workdir, copy.dest)));
      for (const file of copied) {
        const target = file === prefix ? path.join(destDir, path.basename(file)) : path.join(destDir, path.relative(prefix, file));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), target);
      }
    }
  }
  let log = '';
  for (const run of ops(build, 'RUN').filter((r) => /^make\b/.test(r.args))) {
    const command = run.args.replaceAll(workdir, dir).replace(/^make\b/, dryRun ? 'make -n' : 'make');
    // a clean environment for make, as in the image: no flags inherited from an outer make (-s, -j),
    // and the image's PostgreSQL, not one an outer PG_CONFIG names
    const { PG_CONFIG: _outer, ...inherited } = process.env;
    const env = { ...inherited, MAKEFLAGS: '', MFLAGS: '', MAKELEVEL: '' };
    const result = spawnSync('bash', ['-c', command], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    log += `$ ${command}\n${result.stdout}${result.stderr}`;
    if (result.status !== 0) throw new Error(`${dockerfile} stage ${stageName}: "${run.args}" failed:\n${log.slice(-3000)}`);
  }
  return { dir, log };
}

// The Debian packages that provide the shared libraries an ELF file links directly (NEEDED).
export function neededPackages(file) {
  const dynamic = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const resolved = Object.fromEntries(execFileSync('ldd', [file], { encoding: 'utf8' }).split('\n')
    .map((l) => l.match(/^\s*(\S+) => (\S+)/)).filter(Boolean).map((m) => [m[1], m[2]]));
  return needed.map((soname) => {
    // with merged /usr, dpkg may know a library by its /lib path or by its /usr/lib path
    const real = fs.realpathSync(resolved[soname]);
    const candidates = [real, real.replace(/^\/usr\/lib\//, '/lib/'), resolved[soname]];
    for (const candidate of candidates) {
      const owner = spawnSync('dpkg', ['-S', candidate], { encoding: 'utf8' });
      if (owner.status === 0) return { soname, package: owner.stdout.split(':')[0] };
    }
    throw new Error(`no Debian package provides ${soname} (${real})`);
  });
}
