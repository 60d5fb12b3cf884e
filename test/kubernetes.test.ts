/**
 * deploy/kubernetes, checked without a cluster: each kustomization rendered by the real kustomize, every object
 * validated against the Kubernetes API schemas (and for unknown fields), and every stampede command line in a pod
 * run through the real CLI after Kubernetes' own $(VAR) expansion, with the engine and run entry points captured
 * instead of started (helpers/cli-capture.ts). What is asserted is what the pods would start with: the generators
 * drive the engine's Service on its gRPC port, segment i of the N the Indexed Job runs, into the volume the verdict
 * Job merges from; the engine and the schema Job agree on the store; the Astra Secret is mounted, never inlined.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CassandraOptions, EngineOptions, SchemaAdminOptions } from '../engine/index.js';
import type { RunOptions } from '../bench/run/run-options.js';
import { parseThreshold } from '../reports/gate/threshold.js';
import { captured, SENTINEL } from './helpers/cli-capture.js';
import { flagProblems, shellWords, startAs } from './helpers/cli-lines.js';
import {
  expandK8s,
  shellExpand,
  kustomizeBuild,
  kustomizeVersion,
  schemaProblems,
  strictFieldProblems,
  type Manifest,
} from './helpers/kube-manifests.js';

vi.mock('../engine/index.js', async (original) =>
  (await import('./helpers/cli-capture.js')).captureEngine(await original()),
);
vi.mock('../bench/run/run.js', async (original) =>
  (await import('./helpers/cli-capture.js')).captureRun(await original()),
);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
const read = (p: string): string => readFileSync(join(K8S, p), 'utf8');

/** What a user applies: the two store overlays, then the run's two steps. */
const ENTRIES = ['overlays/cassandra', 'overlays/astra', 'run/generators', 'run/verdict'] as const;
type Entry = (typeof ENTRIES)[number];

// ---- the pod specs we read ---------------------------------------------------------------------------------------

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
}
interface Workload extends Manifest {
  spec: {
    replicas?: number;
    serviceName?: string;
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    backoffLimitPerIndex?: number;
    selector?: { matchLabels?: Record<string, string> };
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}
interface ServiceSpec {
  clusterIP?: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
}

const rendered = {} as Record<Entry, Manifest[]>;

function find(entry: Entry, kind: string, name: string): Manifest {
  const m = rendered[entry].find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`${entry} renders no ${kind} ${name}`);
  return m;
}
const workload = (entry: Entry, kind: string, name: string): Workload => find(entry, kind, name) as Workload;
const podOf = (w: Workload): PodSpec => w.spec.template.spec;
const allContainers = (p: PodSpec): Container[] => [...(p.initContainers ?? []), ...p.containers];
const container = (w: Workload, name: string): Container => {
  const c = allContainers(podOf(w)).find((x) => x.name === name);
  if (!c) throw new Error(`${w.metadata.name} has no container ${name}`);
  return c;
};

// ---- a run as the guide starts one: its ConfigMap, and stand-ins for the mounted volumes --------------------------

/** The ConfigMap stampede-run of docs/kubernetes.md: a tag and a start instant a few minutes ahead. */
const RUN = {
  'run-tag': 'k8s-test-run',
  'start-at': new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 5 * 60_000).toISOString().replace('.000Z', 'Z'),
};
const CONFIG_MAPS: Record<string, Record<string, string>> = { 'stampede-run': RUN };

/** Host folders standing in for the pods' mounts (the CLI reads the Astra files while it parses its options). */
const host = mkdtempSync(join(tmpdir(), 'stampede-k8s-'));
const MOUNTS: Record<string, string> = {
  '/results': join(host, 'results'),
  '/etc/stampede/astra': join(host, 'astra'),
};
const toHost = (a: string): string => {
  for (const [mount, dir] of Object.entries(MOUNTS))
    if (a === mount || a.startsWith(`${mount}/`)) return dir + a.slice(mount.length);
  return a;
};

/** The container's environment as Kubernetes gives it (JOB_COMPLETION_INDEX for pod `index` of an Indexed Job). */
/** The pod IP the tests' pods are given ($(POD_IP) from the downward API). */
const POD_IP = '10.0.0.7';

function envOf(c: Container, index?: number): Record<string, string> {
  const env: Record<string, string> = index === undefined ? {} : { JOB_COMPLETION_INDEX: String(index) };
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expandK8s(e.value, env);
    const ref = e.valueFrom?.configMapKeyRef;
    const v = ref && CONFIG_MAPS[ref.name]?.[ref.key];
    if (v !== undefined) env[e.name] = v;
    // The downward API's pod IP: an address as the pod would have.
    if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = POD_IP;
  }
  return env;
}

/** The image's ENTRYPOINT (Dockerfile), which a shell script must exec to run the same CLI. */
const IMAGE_ENTRYPOINT = ['node', 'bin/stampede.js'];

/**
 * The stampede argv a container runs: its args after $(VAR) expansion (the image's entrypoint is the CLI), or, for a
 * `sh -c 'exec node bin/stampede.js ...'` script, its words after the shell's $VAR expansion and globbing against
 * `existing` (the folders the glob would find on the volume).
 */
function argvOf(c: Container, env: Record<string, string>, existing: string[] = []): string[] {
  if (c.command === undefined) return (c.args ?? []).map((a) => expandK8s(a, env));
  expect(c.command, `${c.name}: a shell`).toEqual(['sh', '-c']);
  expect(c.args, `${c.name}: one script`).toHaveLength(1);
  const words = shellExpand(expandK8s(c.args?.[0] ?? '', env), env);
  expect(
    words.slice(0, 3).map((w) => w.word),
    `${c.name} execs the image's entrypoint`,
  ).toEqual(['exec', ...IMAGE_ENTRYPOINT]);
  return words.slice(3).flatMap(({ word, glob }) => {
    if (!glob) return [word];
    const re = new RegExp(
      `^${word
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    );
    const hits = existing.filter((e) => re.test(e)).sort();
    // No match: sh passes the pattern on as written.
    return hits.length > 0 ? hits : [word];
  });
}

const IMAGE = (() => {
  const component = parse(read('components/image/kustomization.yaml')) as {
    images: { name: string; newName: string; newTag: string }[];
  };
  const image = component.images.find((i) => i.name === 'stampede');
  return `${image?.newName}:${image?.newTag}`;
})();

const stampedeContainers = (entry: Entry): { owner: Workload; c: Container }[] =>
  rendered[entry]
    .filter((m) => m.kind === 'StatefulSet' || m.kind === 'Job')
    .flatMap((m) => allContainers(podOf(m as Workload)).map((c) => ({ owner: m as Workload, c })))
    .filter(({ c }) => c.image === IMAGE);

function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

beforeAll(() => {
  for (const e of ENTRIES) rendered[e] = kustomizeBuild(join(K8S, e));
  // The Astra Secret's two files, as `kubectl create secret generic stampede-astra` makes them: a stand-in bundle
  // (the shape of Astra's: config.json and the TLS files; no Astra here) and a token.
  const astra = MOUNTS['/etc/stampede/astra'] as string;
  const zip = new AdmZip();
  zip.addFile('config.json', Buffer.from(JSON.stringify({ host: 'astra.invalid', port: 29080, keyspace: 'stampede' })));
  for (const f of ['ca.crt', 'cert', 'key']) zip.addFile(f, Buffer.from('stand-in'));
  mkdirSync(astra, { recursive: true });
  zip.writeZip(join(astra, 'secure-connect.zip'));
  writeFileSync(join(astra, 'token'), 'AstraCS:stand-in-token\n');
});

// ---- tests ------------------------------------------------------------------------------------------------------

/** Files a kustomization uses: resources (files, or folders with their kustomization), components, patches. */
function usedFiles(dir: string, into = new Set<string>()): Set<string> {
  const file = join(dir, 'kustomization.yaml');
  into.add(relative(K8S, file));
  const k = parse(readFileSync(file, 'utf8')) as {
    resources?: string[];
    components?: string[];
    patches?: { path?: string }[];
  };
  for (const r of [...(k.resources ?? []), ...(k.components ?? [])]) {
    const p = join(dir, r);
    if (statSync(p).isDirectory()) usedFiles(p, into);
    else into.add(relative(K8S, p));
  }
  for (const patch of k.patches ?? []) if (patch.path) into.add(relative(K8S, join(dir, patch.path)));
  return into;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [relative(K8S, p)];
  });
}

describe('deploy/kubernetes rendered by kustomize', () => {
  it('renders every kustomization with the real kustomize, and every file is used by one', () => {
    expect(kustomizeVersion()).toMatch(/kustomize\/v\d+\.\d+/);
    const used = new Set<string>();
    for (const e of ENTRIES) {
      expect(rendered[e].length, e).toBeGreaterThan(0);
      usedFiles(join(K8S, e), used);
    }
    expect(filesUnder(K8S).filter((f) => !used.has(f))).toEqual([]);
    // Every stampede container got the image the component sets.
    for (const e of ENTRIES) expect(stampedeContainers(e).length, e).toBeGreaterThan(0);
    for (const e of ENTRIES)
      for (const m of rendered[e].filter((x) => x.kind === 'StatefulSet' || x.kind === 'Job'))
        for (const c of allContainers(podOf(m as Workload)))
          expect(c.image, `${m.metadata.name}/${c.name}`).toBe(IMAGE);
  });

  it('every object validates against the Kubernetes API schemas and has no unknown fields', () => {
    const all = ENTRIES.flatMap((e) => rendered[e]);
    expect(all.flatMap(schemaProblems)).toEqual([]);
    expect(strictFieldProblems(all, ROOT)).toEqual([]);
    // The checks can fail: a bad enum and a misspelt field in a copy of the generator Job.
    const bad = structuredClone(workload('run/generators', 'Job', 'stampede-generators'));
    bad.spec.completionMode = 'Indexd';
    const c = bad.spec.template.spec.containers[0] as Container & { argz?: string[] };
    c.argz = c.args;
    expect(schemaProblems(bad).join('\n')).toContain('completionMode');
    expect(strictFieldProblems([bad], ROOT).join('\n')).toMatch(/argz.*does not exist/);
  });

  it('every stampede command line uses real commands and only the flags they declare', () => {
    const commands = new Set<string>();
    const generators = workload('run/generators', 'Job', 'stampede-generators');
    const outs = Array.from({ length: generators.spec.completions ?? 0 }, (_, i) =>
      flagValue(argvOf(container(generators, 'generator'), envOf(container(generators, 'generator'), i)), '--out'),
    ).map(String);
    for (const e of ENTRIES) {
      for (const { owner, c } of stampedeContainers(e)) {
        const argv = argvOf(c, envOf(c, owner.spec.completionMode === 'Indexed' ? 0 : undefined), outs);
        expect(argv.join(' '), `${owner.metadata.name}/${c.name}: every $(VAR) is defined`).not.toMatch(/\$\(|\$\w/);
        expect(flagProblems(argv), `${e}: ${owner.metadata.name}/${c.name}`).toEqual([]);
        commands.add(argv[0] as string);
      }
    }
    expect([...commands].sort()).toEqual(['engine', 'gate', 'merge', 'run', 'schema']);
    // The check sees a misspelt flag.
    expect(flagProblems(['merge', '/results/a', '--outt', 'x'])).toEqual(['stampede merge has no flag --outt']);
  });
});

describe('the engine', () => {
  const overlays = ['overlays/cassandra', 'overlays/astra'] as const;

  async function engineOptions(entry: Entry): Promise<Partial<EngineOptions> & { host?: string; port?: number }> {
    const c = container(workload(entry, 'StatefulSet', 'stampede-engine'), 'engine');
    const r = await startAs(argvOf(c, envOf(c)).map(toHost));
    expect(r.stderr, `${entry}: the CLI got as far as starting the engine`).toContain(SENTINEL);
    expect(captured.engine).toHaveLength(1);
    return captured.engine[0] as Partial<EngineOptions>;
  }

  it('is a cluster of several members advertising their pod IPs, behind a headless Service on its gRPC port', async () => {
    for (const e of overlays) {
      const sts = workload(e, 'StatefulSet', 'stampede-engine');
      expect(sts.spec.replicas, 'members of one engine cluster').toBeGreaterThan(1);
      const svc = find(e, 'Service', sts.spec.serviceName ?? '').spec as ServiceSpec;
      expect(svc.clusterIP).toBe('None');
      const labels = sts.spec.template.metadata?.labels ?? {};
      expect(labels).toMatchObject(svc.selector);
      expect(labels).toMatchObject(sts.spec.selector?.matchLabels ?? { missing: 'selector' });
      const o = await engineOptions(e);
      expect(o.store).toBe('cassandra');
      expect(o.host, 'reachable from other pods').toBe('0.0.0.0');
      const engine = container(sts, 'engine');
      const grpc = engine.ports?.find((p) => p.name === 'grpc');
      expect(grpc?.containerPort).toBe(o.port);
      expect(svc.ports.find((p) => p.name === 'grpc')).toMatchObject({ port: o.port, targetPort: 'grpc' });
      expect(o.cluster, "joins the store's engine cluster").toBe(true);
      expect(o.advertiseAddress, 'the other members dial its pod IP').toBe(`${POD_IP}:${o.port}`);
    }
  });

  it('is scraped by Prometheus and probed on its metrics endpoint, which answers once it serves', async () => {
    for (const e of overlays) {
      const sts = workload(e, 'StatefulSet', 'stampede-engine');
      const o = await engineOptions(e);
      const annotations = sts.spec.template.metadata?.annotations ?? {};
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(annotations['prometheus.io/port'])).toBe(o.metricsPort);
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      const engine = container(sts, 'engine');
      const metrics = engine.ports?.find((p) => p.name === 'metrics');
      expect(metrics?.containerPort).toBe(o.metricsPort);
      for (const probe of [engine.startupProbe, engine.readinessProbe, engine.livenessProbe])
        expect(probe?.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
    }
  });

  it('every container requests the CPU and memory it was sized for, with a memory limit and no CPU limit', () => {
    for (const e of ENTRIES)
      for (const { owner, c } of stampedeContainers(e)) {
        const where = `${owner.metadata.name}/${c.name}`;
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
        // CFS throttling would show up as latency in the measurement itself.
        expect(c.resources?.limits?.cpu, where).toBeUndefined();
      }
  });
});

describe('the store: the schema Job and the engine agree', () => {
  async function schemaOptions(entry: Entry): Promise<SchemaAdminOptions> {
    const c = container(workload(entry, 'Job', 'stampede-schema'), 'schema');
    const argv = argvOf(c, envOf(c)).map(toHost);
    expect(argv.slice(0, 2), 'create: verify would fail on a new cluster').toEqual(['schema', 'create']);
    const r = await startAs(argv);
    expect(r.stderr, `${entry}: the CLI got as far as connecting`).toContain(SENTINEL);
    expect(captured.schema).toHaveLength(1);
    return captured.schema[0] as SchemaAdminOptions;
  }
  async function engineCassandra(entry: Entry): Promise<CassandraOptions> {
    const c = container(workload(entry, 'StatefulSet', 'stampede-engine'), 'engine');
    await startAs(argvOf(c, envOf(c)).map(toHost));
    return (captured.engine[0] as Partial<EngineOptions>).cassandra as CassandraOptions;
  }

  it('cassandra: the same contact points, data center and keyspace; the keyspace replicated three times', async () => {
    const schema = await schemaOptions('overlays/cassandra');
    const engine = await engineCassandra('overlays/cassandra');
    expect(schema.contactPoints).toEqual(engine.contactPoints);
    expect(engine.contactPoints.length).toBeGreaterThan(0);
    expect(schema.localDataCenter).toBe(engine.localDataCenter);
    expect(schema.keyspace).toBe(engine.keyspace);
    expect(schema.replication).toEqual({ class: 'SimpleStrategy', replicationFactor: 3 });
  });

  it('astra: the bundle and the token are files of the Secret stampede-astra, which no manifest inlines', async () => {
    const schema = await schemaOptions('overlays/astra');
    const engine = await engineCassandra('overlays/astra');
    expect(schema.keyspace).toBe(engine.keyspace);
    expect(schema.secureConnectBundle).toBe(engine.secureConnectBundle);
    // The token reached the options from the mounted file, never from the manifest.
    expect(engine.password).toBe('AstraCS:stand-in-token');
    for (const name of ['stampede-engine', 'stampede-schema']) {
      const w = workload('overlays/astra', name === 'stampede-engine' ? 'StatefulSet' : 'Job', name);
      const c = podOf(w).containers[0] as Container;
      const argv = argvOf(c, envOf(c));
      const volume = podOf(w).volumes?.find((v) => v.secret?.secretName === 'stampede-astra');
      expect(volume, `${name} mounts the Secret`).toBeDefined();
      const mount = c.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.readOnly).toBe(true);
      const files = (volume?.secret?.items ?? []).map((i) => posix.join(mount?.mountPath ?? '?', i.path));
      expect(files).toContain(flagValue(argv, '--astra-bundle'));
      expect(files).toContain(flagValue(argv, '--astra-token-file'));
      expect((volume?.secret?.items ?? []).map((i) => i.key).sort()).toEqual(['secure-connect.zip', 'token']);
    }
    // Referenced, not inlined: no Secret object, no literal credential in an env var, no token in any file.
    for (const e of ENTRIES) {
      expect(
        rendered[e].filter((m) => m.kind === 'Secret'),
        e,
      ).toEqual([]);
      for (const { c } of stampedeContainers(e))
        for (const v of c.env ?? []) if (/TOKEN|PASSWORD|SECRET/i.test(v.name)) expect(v.value, v.name).toBeUndefined();
    }
    for (const f of filesUnder(K8S)) expect(read(f), f).not.toMatch(/AstraCS:/);
    // The command that makes the Secret, in the overlay and the guide, names the keys the pods mount.
    for (const text of [
      read('overlays/astra/kustomization.yaml'),
      readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8'),
    ]) {
      expect(text).toMatch(/kubectl create secret generic stampede-astra/);
      expect(text).toMatch(/--from-file=secure-connect\.zip=/);
      expect(text).toMatch(/--from-file=token=/);
    }
  });
});

describe('a distributed run', () => {
  const generators = (): Workload => workload('run/generators', 'Job', 'stampede-generators');
  const results = (w: Workload): string => {
    const volume = podOf(w).volumes?.find((v) => v.persistentVolumeClaim);
    const claim = volume?.persistentVolumeClaim?.claimName;
    expect(find('overlays/cassandra', 'PersistentVolumeClaim', claim ?? '?').spec).toMatchObject({
      accessModes: ['ReadWriteMany'],
    });
    const mount = allContainers(podOf(w))[0]?.volumeMounts?.find((m) => m.name === volume?.name);
    return mount?.mountPath ?? '?';
  };

  it('the Indexed Job runs segment i of N in pod i, N = its completions, all at the shared start instant', async () => {
    const job = generators();
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions ?? 0;
    expect(n).toBeGreaterThan(1);
    expect(job.spec.parallelism, 'every segment runs at once').toBe(n);
    expect(job.spec.backoffLimitPerIndex, 'a retried segment would start late').toBe(0);
    const c = container(job, 'generator');
    const svc = find('overlays/cassandra', 'Service', 'stampede-engine').spec as ServiceSpec;
    const grpcPort = svc.ports.find((p) => p.name === 'grpc')?.port;
    const mount = results(job);
    const outs = new Set<string>();
    for (let i = 0; i < n; i++) {
      const argv = argvOf(c, envOf(c, i));
      expect(flagValue(argv, '--segment')).toBe(`${i}/${n}`);
      const r = await startAs(argv.map(toHost));
      expect(r.stderr, `segment ${i}: the CLI got as far as starting the run`).toContain(SENTINEL);
      const o = captured.run[0] as RunOptions;
      expect(o.segment).toEqual({ index: i, count: n });
      // Every member of the engine StatefulSet by its stable name under the headless Service.
      const sts = workload('overlays/cassandra', 'StatefulSet', 'stampede-engine');
      expect(o.targets).toEqual(
        Array.from({ length: sts.spec.replicas ?? 0 }, (_, m) => `stampede-engine-${m}.stampede-engine:${grpcPort}`),
      );
      expect(o.runTag).toBe(RUN['run-tag']);
      expect(o.startAtMs).toBe(Date.parse(RUN['start-at']));
      const out = flagValue(argv, '--out') ?? '';
      expect(out.startsWith(`${mount}/${RUN['run-tag']}/`), out).toBe(true);
      outs.add(out);
    }
    expect(outs.size, 'each segment writes its own folder').toBe(n);
  });

  it('the verdict Job merges exactly those segments, then gates the merge: the gate exit code is the verdict', () => {
    const job = workload('run/verdict', 'Job', 'stampede-verdict');
    expect(podOf(job).restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBe(0);
    expect(results(job)).toBe(results(generators()));
    const g = container(generators(), 'generator');
    const outs = Array.from({ length: generators().spec.completions ?? 0 }, (_, i) =>
      String(flagValue(argvOf(g, envOf(g, i)), '--out')),
    );
    // merge first (an init container: if it refuses the set the gate never runs), the gate is the pod's only container.
    expect(podOf(job).initContainers?.map((c) => c.name)).toEqual(['merge']);
    expect(podOf(job).containers.map((c) => c.name)).toEqual(['gate']);
    const merge = argvOf(container(job, 'merge'), envOf(container(job, 'merge')), outs);
    expect(merge[0]).toBe('merge');
    const out = flagValue(merge, '--out');
    expect(merge.slice(1, 1 + outs.length).sort()).toEqual([...outs].sort());
    expect(merge[1 + outs.length]).toBe('--out');
    const gate = argvOf(container(job, 'gate'), envOf(container(job, 'gate')));
    expect(gate[0]).toBe('gate');
    expect(flagValue(gate, '--current')).toBe(out);
    const thresholds = gate.filter((_, i) => gate[i - 1] === '--threshold');
    expect(thresholds.length).toBeGreaterThan(0);
    for (const t of thresholds) expect(() => parseThreshold(t), t).not.toThrow();
  });
});

// docs/kubernetes.md lives beside the manifests' story: its stampede command lines are held to the same check.
describe('docs/kubernetes.md', () => {
  const text = readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8');
  const blocks = (lang: string): string[] =>
    [...text.matchAll(new RegExp(`\`\`\`(?:${lang})\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) =>
      (m[1] as string).replace(/\\\n\s*/g, ''),
    );

  it('its stampede command lines use real commands and flags', () => {
    const lines = blocks('sh|bash')
      .flatMap((b) => b.split('\n'))
      .filter((l) => /^\s*stampede /.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const argv = shellWords(l.replace(/^\s*stampede /, '').replace(/\s#.*$/, ''));
      expect(flagProblems(argv), l).toEqual([]);
    }
  });

  it('the container scripts it suggests (a partial merge) exec the CLI with real flags', () => {
    const scripts = blocks('text')
      .flatMap((b) => b.split('\n'))
      .filter((l) => l.startsWith('exec '));
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      const words = shellExpand(s, { RUN_TAG: RUN['run-tag'] }).map((w) => w.word);
      expect(words.slice(0, 3), s).toEqual(['exec', ...IMAGE_ENTRYPOINT]);
      expect(flagProblems(words.slice(3)), s).toEqual([]);
    }
  });
});
