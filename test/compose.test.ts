/**
 * docker-compose.yml, the Dockerfile and the Prometheus/Grafana files they mount, checked without a Docker engine:
 * the services and how they are wired (dependencies, healthchecks, mounts, ports), and every stampede command line
 * of the file run through the real CLI (`main` of cli/main.ts) with its side effects — starting an engine,
 * connecting to Cassandra, starting a run — replaced by a capture. So what is checked is the options each container
 * would start with, after the CLI's own parsing and validation, not just how the flags are spelt.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parse } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import type { CassandraOptions, EngineOptions, SchemaAdminOptions } from '../engine/index.js';
import type { RunOptions } from '../bench/run/run-options.js';
import { SCENARIOS } from '../scenarios/index.js';
import { captured, SENTINEL } from './helpers/cli-capture.js';
import { flagProblems, shellWords, startAs } from './helpers/cli-lines.js';

// What the CLI would have started, captured instead (see helpers/cli-capture.ts).
vi.mock('../engine/index.js', async (original) =>
  (await import('./helpers/cli-capture.js')).captureEngine(await original()),
);
vi.mock('../bench/run/run.js', async (original) =>
  (await import('./helpers/cli-capture.js')).captureRun(await original()),
);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const repoPath = (p: string): string => join(ROOT, p);
const read = (p: string): string => readFileSync(repoPath(p), 'utf8');

// ---- the compose file -------------------------------------------------------------------------------------------

type Scalar = string | number | boolean | null;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: {
    test?: string | string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    start_period?: string;
  };
  environment?: Record<string, Scalar> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
  profiles?: string[];
  restart?: string;
  working_dir?: string;
}

interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

// The compose specification's top-level and service keys (compose-spec/compose-spec, schema/compose-spec.json).
const TOP_LEVEL_KEYS = [
  'version',
  'name',
  'include',
  'services',
  'models',
  'networks',
  'volumes',
  'secrets',
  'configs',
];
const SERVICE_KEYS = new Set(
  (
    'develop deploy annotations attach build blkio_config cap_add cap_drop cgroup cgroup_parent command configs ' +
    'container_name cpu_count cpu_percent cpu_shares cpu_quota cpu_period cpu_rt_period cpu_rt_runtime cpus cpuset ' +
    'credential_spec depends_on device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file ' +
    'label_file environment expose extends provider external_links extra_hosts gpus group_add healthcheck hostname ' +
    'image init ipc isolation labels links logging mac_address mem_limit mem_reservation mem_swappiness ' +
    'memswap_limit network_mode models networks oom_kill_disable oom_score_adj pid pids_limit platform ports ' +
    'post_start pre_stop privileged profiles pull_policy pull_refresh_after read_only restart runtime scale ' +
    'security_opt shm_size secrets sysctls stdin_open stop_grace_period stop_signal storage_opt tmpfs tty ulimits ' +
    'use_api_socket user uts userns_mode volumes volumes_from working_dir'
  ).split(' '),
);
const HEALTHCHECK_KEYS = new Set([
  'disable',
  'interval',
  'retries',
  'test',
  'timeout',
  'start_period',
  'start_interval',
]);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

// Anchors and merge keys (`<<: *stampede`) resolved as Compose resolves them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function commandOf(name: string): string[] {
  const c = service(name).command;
  if (c === undefined) throw new Error(`service ${name} has no command`);
  return (typeof c === 'string' ? shellWords(c) : c).map(String);
}

function environmentOf(name: string): Record<string, string> {
  const e = service(name).environment ?? {};
  if (Array.isArray(e)) {
    const out: Record<string, string> = {};
    for (const kv of e) {
      const [k = '', ...v] = kv.split('=');
      out[k] = v.join('=');
    }
    return out;
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}

function dependsOn(name: string): Record<string, string> {
  const d = service(name).depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

interface Port {
  published: number | undefined;
  target: number;
}

function portsOf(name: string): Port[] {
  return (service(name).ports ?? []).map((p) => {
    if (typeof p === 'object')
      return { target: Number(p.target), published: p.published ? Number(p.published) : undefined };
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : undefined;
    return { target, published };
  });
}

interface Mount {
  type: 'bind' | 'volume';
  source: string;
  target: string;
}

function mountsOf(name: string): Mount[] {
  return (service(name).volumes ?? []).map((v) => {
    if (typeof v === 'object') {
      const source = v.source ?? '';
      return { type: v.type === 'bind' ? 'bind' : 'volume', source, target: v.target };
    }
    const [source = '', target = ''] = v.split(':');
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return { type: bind ? 'bind' : 'volume', source, target };
  });
}

/** The repository path of a bind mount's source, relative to the compose file (the repository root). */
function repoSource(m: Mount): string {
  return posix
    .normalize(m.source)
    .replace(/^\.\/?/, '')
    .replace(/\/$/, '');
}

function seconds(d: string | undefined): number {
  if (d === undefined) return NaN;
  const re = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/g;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6 };
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(d); m; m = re.exec(d)) {
    total += Number(m[1]) * (unit[m[2] as string] ?? NaN);
    consumed += m[0].length;
  }
  return consumed === d.length ? total : NaN;
}

function healthcheckCommand(name: string): string {
  const t = service(name).healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
}

// ---- the Dockerfile ---------------------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

const dockerfile: Instruction[] = (() => {
  const out: Instruction[] = [];
  let stage = -1;
  const logical = read('Dockerfile')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  for (const line of logical) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    if (op === 'FROM') stage += 1;
    out.push({ op, args: (m[2] as string).trim(), stage });
  }
  return out;
})();

const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const imageWorkdir = dockerfile.filter((i) => i.op === 'WORKDIR' && i.stage === finalStage).at(-1)?.args ?? '/';

// ---- the stampede command lines ---------------------------------------------------------------------------------

/** host:port pairs must name a compose service and a port its container listens on. */
function expectServiceAddress(address: string, serviceName: string, port: number): void {
  expect(address).toBe(`${serviceName}:${port}`);
  expect(Object.keys(services)).toContain(serviceName);
}

// ---- tests ------------------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('declares Cassandra, the schema job, the engine and the harness; Prometheus and Grafana in the monitoring profile', () => {
    expect(Object.keys(compose).filter((k) => !k.startsWith('x-') && !TOP_LEVEL_KEYS.includes(k))).toEqual([]);
    for (const name of ['cassandra', 'schema', 'engine', 'harness']) {
      expect(service(name).profiles, name).toBeUndefined();
    }
    for (const name of ['prometheus', 'grafana']) expect(service(name).profiles, name).toEqual(['monitoring']);
    for (const [name, s] of Object.entries(services)) {
      expect(
        Object.keys(s).filter((k) => !SERVICE_KEYS.has(k)),
        `unknown keys in service ${name}`,
      ).toEqual([]);
      expect(
        Object.keys(s.healthcheck ?? {}).filter((k) => !HEALTHCHECK_KEYS.has(k)),
        `unknown healthcheck keys in service ${name}`,
      ).toEqual([]);
      // Third-party images are pinned to a version.
      if (s.image && !s.build) expect(s.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    }
    expect(service('cassandra').image).toBe('cassandra:5.0');
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
    for (const name of ['schema', 'engine', 'harness']) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      const file = (typeof build === 'object' && build.dockerfile) || 'Dockerfile';
      expect(context, `${name} is built from the repository`).toBe('.');
      expect(existsSync(repoPath(file)), `${file} exists`).toBe(true);
      // The image's entrypoint is the CLI; the command is the stampede arguments.
      expect(service(name).entrypoint, name).toBeUndefined();
    }
  });

  it('starts in order: Cassandra healthy, then the schema job done, then the engine healthy, then the harness', () => {
    expect(dependsOn('schema')).toMatchObject({ cassandra: 'service_healthy' });
    expect(service('schema').restart).toBe('no');
    expect(dependsOn('engine')).toMatchObject({
      cassandra: 'service_healthy',
      schema: 'service_completed_successfully',
    });
    expect(dependsOn('harness')).toMatchObject({ engine: 'service_healthy' });
    expect(dependsOn('grafana')).toHaveProperty('prometheus');
    for (const name of Object.keys(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(name))) {
        expect(CONDITIONS.has(condition), `${name} -> ${dep}: ${condition}`).toBe(true);
        // A dependency must exist, be healthcheckable when waited on, and not hide behind a profile the
        // dependent does not share.
        const d = service(dep);
        if (condition === 'service_healthy') expect(d.healthcheck?.test, `${dep} has a healthcheck`).toBeDefined();
        if (d.profiles) expect(service(name).profiles ?? [], `${name} -> ${dep}`).toEqual(d.profiles);
      }
    }
    // Healthchecks that gate startup have a budget, and the engine's probes its metrics endpoint.
    for (const name of ['cassandra', 'engine']) {
      const h = service(name).healthcheck;
      expect(h?.test, name).toBeDefined();
      expect(seconds(h?.interval), `${name} interval`).toBeGreaterThan(0);
      expect(seconds(h?.timeout), `${name} timeout`).toBeGreaterThan(0);
      expect(h?.retries, `${name} retries`).toBeGreaterThan(0);
      expect(seconds(h?.start_period), `${name} start_period`).toBeGreaterThan(0);
    }
  });

  it('runs Cassandra as a single-node test cluster with a healthcheck and a data volume', () => {
    const h = service('cassandra').healthcheck;
    expect(healthcheckCommand('cassandra')).toMatch(/cqlsh .*-e|nodetool status/);
    // A first start of Cassandra 5 takes about a minute: give it at least two before declaring it unhealthy.
    expect(seconds(h?.start_period) + seconds(h?.interval) * (h?.retries ?? 0)).toBeGreaterThanOrEqual(120);
    const env = environmentOf('cassandra');
    expect(env.CASSANDRA_ENDPOINT_SNITCH).toBe('GossipingPropertyFileSnitch');
    expect(env.CASSANDRA_DC).toBe('dc1');
    expect(env.CASSANDRA_CLUSTER_NAME).toBeTruthy();
    expect(Number(env.CASSANDRA_NUM_TOKENS)).toBeGreaterThanOrEqual(1);
    // cassandra-env.sh refuses one without the other.
    expect(env.MAX_HEAP_SIZE).toMatch(/^\d+[MG]$/);
    expect(env.HEAP_NEWSIZE).toMatch(/^\d+[MG]$/);
    const data = mountsOf('cassandra').find((m) => m.target === '/var/lib/cassandra');
    expect(data?.type).toBe('volume');
    expect(portsOf('cassandra').map((p) => p.target)).toContain(9042);
  });

  it('mounts files that exist in the repository and volumes it declares', () => {
    const declared = Object.keys(compose.volumes ?? {});
    let binds = 0;
    for (const name of Object.keys(services)) {
      for (const m of mountsOf(name)) {
        expect(m.target, `${name}: ${m.source}`).toMatch(/^\//);
        if (m.type === 'volume') {
          expect(declared, `${name}: volume ${m.source} is declared`).toContain(m.source);
          continue;
        }
        binds += 1;
        expect(m.source, `${name}: bind mounts are relative to the repository`).toMatch(/^\.\//);
        const source = repoSource(m);
        if (source === 'results') {
          // Output, created on first use and ignored by git.
          expect(read('.gitignore')).toMatch(/^\/?results\/?$/m);
          continue;
        }
        expect(source, `${name}: ${m.source}`).toMatch(/^deploy\//);
        expect(existsSync(repoPath(source)), `${name}: ${m.source} exists`).toBe(true);
      }
    }
    expect(binds).toBeGreaterThanOrEqual(4);
    // Every declared volume is used.
    const used = Object.keys(services).flatMap((n) =>
      mountsOf(n)
        .filter((m) => m.type === 'volume')
        .map((m) => m.source),
    );
    expect(declared.filter((v) => !used.includes(v))).toEqual([]);
  });

  it('publishes each host port once: gRPC 7233 and metrics of the engine, Prometheus 9090, Grafana 3000', () => {
    const published = Object.keys(services).flatMap((n) => portsOf(n).map((p) => p.published));
    expect(published.every((p) => p === undefined || (Number.isInteger(p) && p > 0 && p < 65536))).toBe(true);
    expect(new Set(published).size).toBe(published.length);
    expect(portsOf('engine')).toContainEqual({ published: 7233, target: 7233 });
    expect(portsOf('prometheus')).toContainEqual({ published: 9090, target: 9090 });
    expect(portsOf('grafana')).toContainEqual({ published: 3000, target: 3000 });
  });
});

describe('the stampede command lines of docker-compose.yml', () => {
  it('use real commands and only the flags those commands declare, with valid values', () => {
    expect(commandOf('schema')[0]).toBe('schema');
    expect(commandOf('engine')[0]).toBe('engine');
    expect(commandOf('harness')[0]).toBe('run');
    for (const name of ['schema', 'engine', 'harness']) expect(flagProblems(commandOf(name)), name).toEqual([]);
  });

  it('a misspelt flag or a bad value is caught, by the flag check and by the CLI itself', async () => {
    const engine = commandOf('engine');
    const misspelt = engine.map((a) => (a === '--metrics-port' ? '--metrics-prot' : a));
    expect(flagProblems(misspelt)).toEqual(['stampede engine has no flag --metrics-prot']);
    expect(flagProblems(engine.map((a) => (a === 'cassandra' ? 'mysql' : a)))).toEqual([
      '--store must be one of memory, cassandra, postgres, got mysql',
    ]);
    expect(flagProblems(['run', '--scenario', 'hello', '--no-report', '--payload-bytes', '32'])).toEqual([]);
    expect(flagProblems(['run', '--scenario', 'nope'])).toHaveLength(1);
    expect(flagProblems(['schema', 'drop', '--keyspace', 'x'])).toHaveLength(1);
    const r = await startAs(misspelt);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('metrics-prot');
    expect(captured.engine).toHaveLength(0);
  });

  it('schema: creates, on the compose Cassandra, the keyspace the engine uses, replicated once', async () => {
    const argv = commandOf('schema');
    expect(argv[1], 'the schema job creates (verify would fail on a new cluster)').toBe('create');
    const r = await startAs(argv);
    expect(r.stderr, 'the CLI got as far as connecting').toContain(SENTINEL);
    expect(r.code).toBe(1);
    expect(captured.schema).toHaveLength(1);
    const o = captured.schema[0] as SchemaAdminOptions;
    expect(o.contactPoints).toHaveLength(1);
    expectServiceAddress(o.contactPoints[0] as string, 'cassandra', 9042);
    expect(o.localDataCenter).toBe(environmentOf('cassandra').CASSANDRA_DC);
    const engine = await engineOptions();
    expect(o.keyspace).toBe(engine.cassandra?.keyspace);
    // One node: a replication factor above 1 would make every quorum write fail.
    const rf = o.replication.class === 'SimpleStrategy' ? o.replication.replicationFactor : -1;
    expect(rf).toBe(1);
  });

  async function engineOptions(): Promise<Partial<EngineOptions> & { host?: string; port?: number }> {
    const r = await startAs(commandOf('engine'));
    expect(r.stderr, 'the CLI got as far as starting the engine').toContain(SENTINEL);
    expect(captured.engine).toHaveLength(1);
    return captured.engine[0] as Partial<EngineOptions>;
  }

  it('engine: on Cassandra, listening on all interfaces, metrics on the port its healthcheck and Prometheus use', async () => {
    const o = await engineOptions();
    expect(o.store).toBe('cassandra');
    expect(o.host, 'reachable from the other containers').toBe('0.0.0.0');
    const cassandra = o.cassandra as CassandraOptions;
    expect(cassandra.contactPoints).toHaveLength(1);
    expectServiceAddress(cassandra.contactPoints[0] as string, 'cassandra', 9042);
    expect(cassandra.localDataCenter).toBe(environmentOf('cassandra').CASSANDRA_DC);
    const targets = portsOf('engine').map((p) => p.target);
    expect(targets).toContain(o.port);
    expect(o.metricsPort).toBeGreaterThan(0);
    expect(targets).toContain(o.metricsPort);
    expect(healthcheckCommand('engine')).toContain(`127.0.0.1:${o.metricsPort}/metrics`);
    // The healthcheck runs in the stampede image, which has Node (and no curl or wget).
    expect(service('engine').healthcheck?.test).toEqual(expect.arrayContaining(['CMD', 'node']));
  });

  it('harness: drives the engine service and writes its results into the mounted ./results', async () => {
    const r = await startAs(commandOf('harness'));
    expect(r.stderr, 'the CLI got as far as starting the run').toContain(SENTINEL);
    expect(captured.run).toHaveLength(1);
    const o = captured.run[0] as RunOptions;
    const engine = await engineOptions();
    expectServiceAddress(o.targets[0] ?? '', 'engine', engine.port as number);
    expect(SCENARIOS.has(o.scenario)).toBe(true);
    // It ends by itself (so that `docker compose up --exit-code-from harness` does).
    expect(Number.isFinite(o.durationMs) || o.iterations !== undefined).toBe(true);
    const workdir = service('harness').working_dir ?? imageWorkdir;
    const outBase = o.out === undefined ? posix.join(workdir, 'results') : posix.resolve(workdir, o.out);
    const mount = mountsOf('harness').find((m) => outBase === m.target || outBase.startsWith(`${m.target}/`));
    expect(mount, `a mount holds ${outBase}`).toBeDefined();
    expect(mount?.type).toBe('bind');
    expect(repoSource(mount as Mount)).toBe('results');
  });
});

describe('engine cluster', () => {
  const MEMBERS = ['engine', 'engine-2'];

  it('runs two engine members on the one keyspace, each in the cluster advertising its own service address', async () => {
    const seen: Partial<EngineOptions>[] = [];
    for (const name of MEMBERS) {
      const r = await startAs(commandOf(name));
      expect(r.stderr, `${name}: the CLI got as far as starting the engine`).toContain(SENTINEL);
      const o = captured.engine[0] as Partial<EngineOptions> & { port?: number; host?: string };
      expect(o.cluster, name).toBe(true);
      expectServiceAddress(o.advertiseAddress ?? '', name, o.port ?? -1);
      expect(o.host).toBe('0.0.0.0');
      expect(service(name).healthcheck?.test, `${name} has a healthcheck`).toBeDefined();
      expect(dependsOn(name)).toMatchObject({ schema: 'service_completed_successfully' });
      seen.push(o);
    }
    // One store for both: the same contact points and keyspace, the same shard count.
    const [a, b] = seen;
    expect(b?.cassandra?.keyspace).toBe(a?.cassandra?.keyspace);
    expect(b?.cassandra?.contactPoints).toEqual(a?.cassandra?.contactPoints);
    expect(b?.numShards).toBe(a?.numShards);
  });

  it('the harness drives every member and waits for each; Prometheus scrapes each', async () => {
    await startAs(commandOf('harness'));
    const o = captured.run[0] as RunOptions;
    expect(o.targets).toEqual(MEMBERS.map((m) => `${m}:7233`));
    for (const m of MEMBERS) expect(dependsOn('harness')).toMatchObject({ [m]: 'service_healthy' });
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs?: { targets: string[] }[] }[];
    };
    const scraped = config.scrape_configs.flatMap((j) => (j.static_configs ?? []).flatMap((s) => s.targets));
    for (const m of MEMBERS) expect(scraped).toContain(`${m}:9464`);
  });
});

describe('monitoring', () => {
  interface ScrapeConfig {
    job_name: string;
    metrics_path?: string;
    scheme?: string;
    static_configs?: { targets: string[] }[];
  }
  interface PrometheusConfig {
    global?: { scrape_interval?: string };
    scrape_configs: ScrapeConfig[];
  }

  it('Prometheus loads deploy/prometheus/prometheus.yml and scrapes the engine at its --metrics-port', () => {
    const argv = commandOf('engine');
    const metricsPort = argv[argv.indexOf('--metrics-port') + 1];
    expect(metricsPort).toMatch(/^\d+$/);
    const configFile = commandOf('prometheus')
      .find((a) => a.startsWith('--config.file='))
      ?.split('=')[1];
    const mounted = mountsOf('prometheus').find((m) => m.target === (configFile ?? '/etc/prometheus/prometheus.yml'));
    expect(mounted && repoSource(mounted)).toBe('deploy/prometheus/prometheus.yml');
    const config = parse(read('deploy/prometheus/prometheus.yml')) as PrometheusConfig;
    const jobs = config.scrape_configs.filter((j) =>
      (j.static_configs ?? []).some((s) => s.targets.includes(`engine:${metricsPort}`)),
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(jobs[0]?.scheme ?? 'http').toBe('http');
    expect(seconds(config.global?.scrape_interval)).toBeGreaterThan(0);
    // Prometheus can reach the engine: same (default) profile or the engine is a dependency.
    expect(Object.keys(dependsOn('prometheus'))).toContain('engine');
  });

  it('Grafana is provisioned with that Prometheus as datasource and the stampede dashboard; anonymous viewers', () => {
    const grafana = mountsOf('grafana');
    const target = (source: string): string | undefined => grafana.find((m) => repoSource(m) === source)?.target;
    expect(target('deploy/grafana/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(target('deploy/grafana/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const dashboards = target('deploy/grafana/dashboard-json');
    expect(dashboards).toBeDefined();

    const yamls = (dir: string): unknown[] =>
      readdirSync(repoPath(dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => parse(read(`${dir}/${f}`)) as unknown);
    const datasources = (
      yamls('deploy/grafana/provisioning/datasources') as {
        datasources: { uid: string; type: string; url: string; jsonData?: { timeInterval?: string } }[];
      }[]
    ).flatMap((f) => f.datasources);
    expect(datasources).toHaveLength(1);
    const ds = datasources[0];
    expect(ds?.type).toBe('prometheus');
    expect(ds?.uid).toMatch(/^[\w-]{1,40}$/);
    const promPort = portsOf('prometheus')[0]?.target;
    expect(ds?.url).toBe(`http://prometheus:${promPort}`);
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as PrometheusConfig;
    expect(seconds(ds?.jsonData?.timeInterval)).toBe(seconds(prometheus.global?.scrape_interval));

    const providers = (
      yamls('deploy/grafana/provisioning/dashboards') as { providers: { type: string; options: { path: string } }[] }[]
    ).flatMap((f) => f.providers);
    expect(providers).toHaveLength(1);
    expect(providers[0]?.type).toBe('file');
    expect(providers[0]?.options.path).toBe(dashboards);
    expect(statSync(repoPath('deploy/grafana/dashboard-json/stampede.json')).isFile()).toBe(true);
    const dashboard = JSON.parse(read('deploy/grafana/dashboard-json/stampede.json')) as { panels: unknown[] };
    expect(JSON.stringify(dashboard.panels)).toContain(`"uid":"${ds?.uid}"`);

    const env = environmentOf('grafana');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home !== undefined) {
      expect(home.startsWith(`${dashboards}/`)).toBe(true);
      expect(existsSync(repoPath(`deploy/grafana/dashboard-json/${home.slice(`${dashboards}/`.length)}`))).toBe(true);
    }
  });
});

describe('the stampede image', () => {
  it('builds on node:20-bookworm-slim with npm ci and the prepare script, and runs bin/stampede.js', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThanOrEqual(1);
    for (const f of froms) expect(f).toBe('node:20-bookworm-slim');
    const runs = dockerfile.filter((i) => i.op === 'RUN').map((i) => i.args);
    // `npm ci` without --ignore-scripts runs `prepare`; or the script is run by name.
    const builds = runs.filter(
      (r) => (/\bnpm ci\b/.test(r) && !/--ignore-scripts/.test(r)) || /\bnpm run (prepare|build)\b/.test(r),
    );
    expect(builds.length, 'a RUN builds dist/ through the prepare script').toBeGreaterThanOrEqual(1);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toMatch(/\btsc\b/);
    // bin/stampede.js runs dist/cli/main.js; the final stage must hold both.
    expect(read('bin/stampede.js')).toContain('../dist/cli/main.js');
    const finalCopies = dockerfile.filter((i) => i.op === 'COPY' && i.stage === finalStage).map((i) => i.args);
    expect(finalCopies.some((c) => /\bdist\b/.test(c))).toBe(true);
    expect(finalCopies.some((c) => /\bbin\b/.test(c))).toBe(true);
    expect(finalCopies.some((c) => /\bnode_modules\b/.test(c)) || runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    const entrypoint = dockerfile.filter((i) => i.op === 'ENTRYPOINT').at(-1)?.args;
    expect(JSON.parse(entrypoint ?? 'null')).toEqual(['node', 'bin/stampede.js']);
    expect(imageWorkdir).toMatch(/^\//);
    // The ports the engine serves on in docker-compose.yml.
    const exposed = dockerfile.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    for (const p of portsOf('engine')) expect(exposed).toContain(p.target);
  });

  it('.dockerignore keeps what the build needs and leaves out node_modules, dist, results and caches', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const toRegex = (p: string): RegExp =>
      new RegExp(
        `^${p
          .replace(/^\/+|\/+$/g, '')
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*|\*|\?/g, (w) => (w === '**' ? '.*' : w === '*' ? '[^/]*' : '[^/]'))}$`,
      );
    /** Docker's rule: the last matching pattern (or ! exception) decides, for the path or any parent folder. */
    const ignored = (path: string): boolean => {
      const parts = path.split('/');
      let result = false;
      for (const raw of patterns) {
        const negate = raw.startsWith('!');
        const re = toRegex(negate ? raw.slice(1) : raw);
        if (parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')))) result = !negate;
      }
      return result;
    };
    const buildConfig = ts.readConfigFile(repoPath('tsconfig.build.json'), ts.sys.readFile);
    expect(buildConfig.error).toBeUndefined();
    const includes = (buildConfig.config as { include: string[] }).include;
    expect(includes.length).toBeGreaterThan(0);
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/stampede.js'];
    for (const p of [...needed, ...includes]) {
      expect(existsSync(repoPath(p)), `${p} exists`).toBe(true);
      expect(ignored(p), `${p} is in the build context`).toBe(false);
    }
    for (const p of ['node_modules', 'dist', 'results', '.cache', '.git', 'node_modules/yaml/package.json']) {
      expect(ignored(p), `${p} is left out`).toBe(true);
    }
  });
});
