/**
 * deploy/grafana/dashboard-json/stampede.json against a real engine: the engine's `/metrics` after some real traffic is
 * parsed strictly as Prometheus text exposition (format 0.0.4), and every query of the dashboard must name series
 * that output really has, with labels it really has, through functions that suit the metric's type (rate() of
 * counters, never of gauges). The dashboard itself must be a well-formed Grafana dashboard on the provisioned
 * datasource.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineAdminClient } from '../bench/client/admin-client.js';
import { shardFor, shardOwner, startEngine, type Engine } from '../engine/index.js';
import { createMemoryStores } from '../engine/persistence/memory/index.js';
import { testEngine, type TestEngine } from './helpers/engine.js';
import { cmd, RawWorker } from './helpers/raw-worker.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

// ---- Prometheus text exposition format 0.0.4, strictly ---------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

interface Exposition {
  families: Map<string, Family>;
  problems: string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseFloatValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** One sample line: `name{label="value",...} value [timestamp]`, or what is wrong with it. */
function parseSampleLine(line: string): Omit<Sample, 'line'> | string {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) return 'no metric name';
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i += 1;
    while (line[i] !== '}') {
      const label = LABEL_NAME.exec(line.slice(i))?.[0];
      if (!label) return `bad label name at column ${i + 1}`;
      if (label.startsWith('__')) return `reserved label name ${label}`;
      if (label in labels) return `duplicate label ${label}`;
      i += label.length;
      if (line.slice(i, i + 2) !== '="') return `expected =" after ${label}`;
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return `unterminated value of label ${label}`;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else return `bad escape \\${e ?? ''} in label ${label}`;
          i += 2;
        } else {
          value += c;
          i += 1;
        }
      }
      i += 1;
      labels[label] = value;
      if (line[i] === ',') i += 1;
      else if (line[i] !== '}') return `expected , or } after label ${label}`;
    }
    i += 1;
  }
  const m = /^[ \t]+(\S+)(?:[ \t]+(-?\d+))?$/.exec(line.slice(i));
  if (!m) return 'expected " value [timestamp]" after the name and labels';
  if (!FLOAT.test(m[1] as string)) return `bad value ${m[1]}`;
  return { name, labels, value: parseFloatValue(m[1] as string) };
}

const seriesKey = (labels: Record<string, string>, without: string[] = []): string =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => !without.includes(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** The family a sample belongs to: its own name, or a histogram's/summary's for the _bucket/_sum/_count series. */
function familyName(name: string, families: Map<string, Family>): string | undefined {
  if (families.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base?.type === 'histogram' || (base?.type === 'summary' && suffix !== '_bucket')) return base.name;
  }
  return undefined;
}

function checkFamily(f: Family, problems: string[]): void {
  if (f.help === undefined) problems.push(`${f.name}: no # HELP`);
  if (f.type === undefined) problems.push(`${f.name}: no # TYPE`);
  const at = (s: Sample): string => `line ${s.line} (${s.name})`;
  if (f.type === 'counter' || f.type === 'gauge' || f.type === 'untyped') {
    for (const s of f.samples) {
      if (s.name !== f.name) problems.push(`${at(s)}: a ${f.type} has only samples named ${f.name}`);
      if (f.type === 'counter' && !(s.value >= 0)) problems.push(`${at(s)}: counter value ${s.value} is not >= 0`);
    }
  }
  if (f.type !== 'summary' && f.type !== 'histogram') return;
  // Per series (labels without quantile/le): the quantiles or buckets, then _sum and _count.
  const groups = new Map<string, { parts: Sample[]; sum?: Sample; count?: Sample }>();
  const group = (s: Sample): { parts: Sample[]; sum?: Sample; count?: Sample } => {
    const key = seriesKey(s.labels, ['quantile', 'le']);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { parts: [] }));
    return g;
  };
  const part = f.type === 'summary' ? 'quantile' : 'le';
  for (const s of f.samples) {
    const g = group(s);
    if (s.name === `${f.name}_sum`) g.sum = s;
    else if (s.name === `${f.name}_count`) {
      g.count = s;
      if (!Number.isInteger(s.value) || s.value < 0) problems.push(`${at(s)}: count ${s.value}`);
    } else if (s.name === (f.type === 'summary' ? f.name : `${f.name}_bucket`)) {
      const p = s.labels[part];
      if (p === undefined) problems.push(`${at(s)}: no ${part} label`);
      else if (!FLOAT.test(p)) problems.push(`${at(s)}: ${part}="${p}" is not a number`);
      else if (f.type === 'summary' && !(Number(p) >= 0 && Number(p) <= 1))
        problems.push(`${at(s)}: quantile ${p} outside [0, 1]`);
      g.parts.push(s);
    } else problems.push(`${at(s)}: not a series of ${f.type} ${f.name}`);
    for (const l of ['quantile', 'le']) {
      if (s.labels[l] !== undefined && !(l === part && g.parts.includes(s)))
        problems.push(`${at(s)}: label ${l} does not belong on ${s.name}`);
    }
  }
  for (const [key, g] of groups) {
    if (!g.sum) problems.push(`${f.name}${key}: no ${f.name}_sum`);
    if (!g.count) problems.push(`${f.name}${key}: no ${f.name}_count`);
    if (f.type === 'summary') continue;
    const buckets = g.parts
      .map((s) => ({ le: parseFloatValue(s.labels.le ?? ''), value: s.value }))
      .sort((a, b) => a.le - b.le);
    const inf = buckets.at(-1);
    if (!inf || inf.le !== Infinity) problems.push(`${f.name}${key}: no le="+Inf" bucket`);
    else if (g.count && g.count.value !== inf.value)
      problems.push(`${f.name}${key}: _count ${g.count.value} != +Inf bucket ${inf.value}`);
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i]?.value ?? 0) < (buckets[i - 1]?.value ?? 0))
        problems.push(`${f.name}${key}: buckets are not cumulative at le=${buckets[i]?.le}`);
    }
  }
}

function parseExposition(text: string): Exposition {
  const problems: string[] = [];
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const done = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, line: number): void => {
    if (current === name) return;
    if (done.has(name)) problems.push(`line ${line}: the lines of ${name} are not one group`);
    if (current !== undefined) done.add(current);
    current = name;
  };
  if (!text.endsWith('\n')) problems.push('the text does not end with a line feed');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const n = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t](.*))?$/.exec(line);
      if (!m) return; // another comment
      const [, kind, name = '', rest = ''] = m;
      if (METRIC_NAME.exec(name)?.[0] !== name) problems.push(`line ${n}: bad metric name ${name}`);
      let f = families.get(name);
      if (!f) families.set(name, (f = { name, samples: [] }));
      enter(name, n);
      if (kind === 'HELP') {
        if (f.help !== undefined) problems.push(`line ${n}: second HELP for ${name}`);
        if (rest.replace(/\\[\\n]/g, '').includes('\\')) problems.push(`line ${n}: bad escape in HELP of ${name}`);
        f.help = rest;
      } else {
        if (f.type !== undefined) problems.push(`line ${n}: second TYPE for ${name}`);
        if (f.samples.length > 0) problems.push(`line ${n}: TYPE of ${name} after its samples`);
        if (!TYPES.has(rest)) problems.push(`line ${n}: unknown type "${rest}" for ${name}`);
        f.type = rest;
      }
      return;
    }
    const parsed = parseSampleLine(line);
    if (typeof parsed === 'string') {
      problems.push(`line ${n}: ${parsed}: ${line}`);
      return;
    }
    const family = familyName(parsed.name, families);
    if (family === undefined) {
      problems.push(`line ${n}: ${parsed.name} has no # TYPE before it`);
      return;
    }
    enter(family, n);
    const key = `${parsed.name}${seriesKey(parsed.labels)}`;
    if (seen.has(key)) problems.push(`line ${n}: duplicate series ${key}`);
    seen.add(key);
    families.get(family)?.samples.push({ ...parsed, line: n });
  });
  for (const f of families.values()) checkFamily(f, problems);
  return { families, problems };
}

/** Per series name (e.g. x_sum): its family, type, role and label values. */
interface SeriesInfo {
  family: Family;
  counterLike: boolean;
  labels: Map<string, Set<string>>;
}

function seriesIndex(e: Exposition): Map<string, SeriesInfo> {
  const out = new Map<string, SeriesInfo>();
  for (const f of e.families.values()) {
    for (const s of f.samples) {
      let info = out.get(s.name);
      if (!info) {
        const counterLike =
          f.type === 'counter' ||
          (f.type !== 'gauge' && ['_sum', '_count', '_bucket'].some((x) => s.name === `${f.name}${x}`));
        out.set(s.name, (info = { family: f, counterLike, labels: new Map() }));
      }
      for (const [k, v] of Object.entries(s.labels)) {
        const values = info.labels.get(k) ?? new Set<string>();
        values.add(v);
        info.labels.set(k, values);
      }
    }
  }
  return out;
}

// ---- PromQL, the subset a dashboard uses ------------------------------------------------------------------------

interface Matcher {
  label: string;
  op: string;
  value: string;
}

interface Selector {
  metric: string;
  matchers: Matcher[];
  /** The innermost function or aggregation around the selector. */
  within: string | undefined;
}

interface Query {
  selectors: Selector[];
  functions: string[];
  grouping: string[];
}

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
]);
const FUNCTIONS = new Set([
  ...AGGREGATIONS,
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'vector',
  'scalar',
  'abs',
  'clamp_min',
  'clamp_max',
  'round',
  'label_replace',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'last_over_time',
  'time',
  'timestamp',
]);
const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset']);

interface Token {
  kind: 'ident' | 'string' | 'number' | 'var' | 'punct' | 'op';
  text: string;
}

function lex(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const c = expr[i] as string;
    let m: RegExpExecArray | null;
    if (/\s/.test(c)) i += 1;
    else if ((m = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'|^`([^`]*)`/.exec(rest))) {
      tokens.push({ kind: 'string', text: (m[1] ?? m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1') });
      i += m[0].length;
    } else if ((m = /^\$(?:\{[^}]*\}|\w+)/.exec(rest))) {
      tokens.push({ kind: 'var', text: m[0] });
      i += m[0].length;
    } else if ((m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?/.exec(rest))) {
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if ((m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest))) {
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if ('(){}[],'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i += 1;
    } else if ((m = /^(?:==|!=|=~|!~|>=|<=|[-+*/%^=<>])/.exec(rest))) {
      tokens.push({ kind: 'op', text: m[0] });
      i += m[0].length;
    } else throw new Error(`cannot read PromQL at "${rest}" in ${expr}`);
  }
  return tokens;
}

function analyse(expr: string): Query {
  const tokens = lex(expr);
  const q: Query = { selectors: [], functions: [], grouping: [] };
  const stack: (string | undefined)[] = [];
  let pending: string | undefined;
  const at = (i: number): Token | undefined => tokens[i];
  const matchers = (start: number): [Matcher[], number] => {
    // tokens[start] is '{'
    const out: Matcher[] = [];
    let i = start + 1;
    while (at(i)?.text !== '}') {
      const label = at(i);
      const op = at(i + 1);
      const value = at(i + 2);
      if (label?.kind !== 'ident' || op?.kind !== 'op' || value?.kind !== 'string')
        throw new Error(`bad label matcher in ${expr}`);
      if (!['=', '!=', '=~', '!~'].includes(op.text)) throw new Error(`bad matcher operator ${op.text} in ${expr}`);
      out.push({ label: label.text, op: op.text, value: value.text });
      i += 3;
      if (at(i)?.text === ',') i += 1;
    }
    return [out, i];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'ident') {
      const next = at(i + 1)?.text;
      if (GROUPING.has(t.text)) {
        if (next === '(') {
          for (i += 2; at(i) && at(i)?.text !== ')'; i++)
            if (at(i)?.kind === 'ident') q.grouping.push(at(i)?.text ?? '');
        }
        continue;
      }
      if (KEYWORDS.has(t.text)) continue;
      if (next === '(' || (AGGREGATIONS.has(t.text) && (next === 'by' || next === 'without'))) {
        q.functions.push(t.text);
        pending = t.text;
        continue;
      }
      const selector: Selector = { metric: t.text, matchers: [], within: stack.at(-1) };
      if (next === '{') [selector.matchers, i] = matchers(i + 1);
      q.selectors.push(selector);
    } else if (t.text === '{') {
      const [ms, end] = matchers(i);
      const name = ms.find((m) => m.label === '__name__' && m.op === '=');
      q.selectors.push({ metric: name?.value ?? '', matchers: ms, within: stack.at(-1) });
      i = end;
    } else if (t.text === '(') {
      stack.push(pending);
      pending = undefined;
    } else if (t.text === ')') stack.pop();
    else if (t.text === '[') while (at(i) && at(i)?.text !== ']') i++;
  }
  return q;
}

// ---- the dashboard ----------------------------------------------------------------------------------------------

interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: { query?: unknown }[] };
}

const dashboard = JSON.parse(read('deploy/grafana/dashboard-json/stampede.json')) as Dashboard;
const allPanels: Panel[] = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const queries: { panel: string; target: Target; expr: string }[] = queryPanels.flatMap((p) =>
  (p.targets ?? []).map((target) => ({ panel: p.title ?? `panel ${p.id}`, target, expr: target.expr ?? '' })),
);

const provisionedUid = ((): string | undefined => {
  const dir = 'deploy/grafana/provisioning/datasources';
  const files = readdirSync(join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f));
  const sources = files.flatMap((f) => (parse(read(`${dir}/${f}`)) as { datasources: { uid: string }[] }).datasources);
  return sources.length === 1 ? sources[0]?.uid : undefined;
})();

// Prometheus adds these to every scraped series.
const TARGET_LABELS = new Set(['job', 'instance']);

// ---- the engine, with traffic -----------------------------------------------------------------------------------

let t: TestEngine;
let other: Engine | undefined;
let metrics: { contentType: string; text: string };

/** Workflow ids whose shard `owner` owns, so that the traffic crosses members for certain. */
async function idsOwnedBy(owner: string, count: number): Promise<string[]> {
  const admin = new EngineAdminClient(t.engine.address);
  try {
    const view = await admin.describeCluster();
    const ns = await t.client.call('DescribeNamespace', { namespace: 'default' });
    const memberIds = view.members.map((m) => m.hostId);
    const out: string[] = [];
    while (out.length < count) {
      const id = `dashboard-${randomUUID()}`;
      if (shardOwner(shardFor(ns.namespaceInfo?.id ?? '', id, view.numShards), memberIds) === owner) out.push(id);
    }
    return out;
  } finally {
    admin.close();
  }
}

beforeAll(async () => {
  // Two engine members on one store (a cluster), so that the cluster's series exist and carry traffic: /metrics is
  // read from the first, and half the workflows are owned by the second (the first forwards to it).
  const stores = createMemoryStores();
  // 16 shards: with the default 4, rendezvous gives all of them to one of two members one time in eight.
  const cluster = { cluster: true, stores, membershipHeartbeatMs: 200, numShards: 16 };
  t = await testEngine({ metricsPort: 0, ...cluster });
  other = await startEngine({ port: 0, ...cluster });
  const admin = new EngineAdminClient(t.engine.address);
  // Both members in the ring and every shard owned by one of them (the hand-off on the second's join is over).
  let settled = '';
  await vi.waitFor(
    async () => {
      if ((await admin.describeCluster()).members.length !== 2) throw new Error('the ring has not both members');
      const mine = await t.engine.stats();
      const theirs = (await other?.stats())?.history.shardsOwned ?? 0;
      if (mine.history.shardsOwned + theirs !== mine.numShards || theirs === 0)
        throw new Error(`${mine.history.shardsOwned} + ${theirs} of ${mine.numShards} shards owned`);
      // Settled: the same split a moment later (a shard released by one is acquired by the other in between).
      const split = `${mine.history.shardsOwned}/${theirs}`;
      if (split !== settled) {
        settled = split;
        throw new Error(`shard split ${split} not yet stable`);
      }
    },
    { timeout: 20_000, interval: 500 },
  );
  const self = (await admin.describeCluster()).self;
  admin.close();
  const otherAdmin = new EngineAdminClient(other.address);
  const otherId = (await otherAdmin.describeCluster()).self;
  otherAdmin.close();
  const w = new RawWorker(t.client, `dashboard-${randomUUID().slice(0, 8)}`);
  // Starts and signals of workflows the second member owns, sent to the first: forwarded (on a queue nobody polls,
  // so they stay open and the worker below sees only its own).
  for (const id of await idsOwnedBy(otherId, 3)) {
    await w.start(id, { taskQueue: { name: `dashboard-unpolled-${randomUUID().slice(0, 8)}` } });
    await w.signal(id);
  }
  // Hello workflows (start, workflow task, activity, workflow task, complete), then an RPC that fails.
  for (const id of await idsOwnedBy(self, 3)) {
    await w.start(id);
    await w.complete(await w.pollWorkflowTask(), [cmd.activity('a1', { startToClose: 10 })]);
    const activity = await w.pollActivityTask();
    await t.client.call('RespondActivityTaskCompleted', { taskToken: activity.taskToken, identity: 'dashboard' });
    await w.complete(await w.pollWorkflowTask(), [cmd.complete()]);
    expect((await w.types(id)).at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
  }
  await expect(w.signal(`no-such-workflow-${randomUUID()}`)).rejects.toThrow();
  const port = t.engine.metricsPort;
  if (port === undefined) throw new Error('the engine serves no metrics (metricsPort 0 was given)');
  const res = await fetch(`http://${t.engine.host}:${port}/metrics`);
  expect(res.status).toBe(200);
  metrics = { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
});

afterAll(async () => {
  await other?.stop();
  await t?.close();
});

// ---- tests ------------------------------------------------------------------------------------------------------

describe('the exposition parser', () => {
  it('rejects what Prometheus would reject, and accepts a histogram and a summary', () => {
    const bad: [string, RegExp][] = [
      ['x_total 1\n', /has no # TYPE/],
      ['# HELP x h\n# TYPE x counter\nx{a="1",a="2"} 1\n', /duplicate label/],
      ['# HELP x h\n# TYPE x counter\nx{a="1} 1\n', /unterminated/],
      ['# HELP x h\n# TYPE x counter\nx{a=1} 1\n', /expected ="/],
      ['# HELP x h\n# TYPE x counter\nx one\n', /bad value/],
      ['# HELP x h\n# TYPE x counter\nx -1\n', /not >= 0/],
      ['# TYPE x gauge\nx 1\n', /no # HELP/],
      ['# HELP x a \\q\n# TYPE x gauge\nx 1\n', /bad escape in HELP/],
      ['# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx{a="b"} 2\n', /not one group/],
      ['# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /le="\+Inf"/],
      ['# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /cumulative/],
      ['# HELP s h\n# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\n', /no s_count/],
      ['# HELP s h\n# TYPE s summary\ns{quantile="2"} 1\ns_sum 1\ns_count 1\n', /outside \[0, 1\]/],
      ['# HELP x h\n# TYPE x gauge\nx 1', /line feed/],
    ];
    for (const [text, problem] of bad) {
      const { problems } = parseExposition(text);
      expect(problems.join('\n'), JSON.stringify(text)).toMatch(problem);
    }
    const good = [
      '# HELP h_seconds A histogram.',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{m="a",le="0.1"} 1',
      'h_seconds_bucket{m="a",le="+Inf"} 3',
      'h_seconds_sum{m="a"} 0.5',
      'h_seconds_count{m="a"} 3',
      '# HELP s_seconds A summary with \\\\ and \\n escaped.',
      '# TYPE s_seconds summary',
      's_seconds{m="a \\"b\\"",quantile="0.99"} 1.5e-3',
      's_seconds_sum{m="a \\"b\\""} 2',
      's_seconds_count{m="a \\"b\\""} 4',
      '',
    ].join('\n');
    const e = parseExposition(good);
    expect(e.problems).toEqual([]);
    expect(e.families.get('s_seconds')?.samples[0]?.labels.m).toBe('a "b"');
    expect(e.families.get('h_seconds')?.samples).toHaveLength(4);
  });
});

describe("the engine's /metrics", () => {
  it('is valid Prometheus text exposition: every line parses, every family has HELP and TYPE', () => {
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const e = parseExposition(metrics.text);
    expect(e.problems).toEqual([]);
    expect(e.families.size).toBeGreaterThan(10);
    for (const f of e.families.values()) if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
    // The traffic shows.
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      [...e.families.values()]
        .flatMap((f) => f.samples)
        .find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    // Three starts of its own, three of workflows the other member owns (forwarded with their signals).
    expect(value('stampede_rpc_requests_total', { method: 'StartWorkflowExecution' })).toBe(6);
    expect(value('stampede_cluster_members')).toBe(2);
    const forwarded = [...e.families.values()]
      .flatMap((f) => f.samples)
      .filter((x) => x.name === 'stampede_cluster_forwarded_total')
      .reduce((sum, x) => sum + x.value, 0);
    expect(forwarded).toBeGreaterThanOrEqual(6);
    expect(value('stampede_rpc_latency_seconds_count', { method: 'RespondActivityTaskCompleted' })).toBe(3);
    expect(value('stampede_rpc_errors_total', { method: 'SignalWorkflowExecution' })).toBe(1);
    expect(value('stampede_history_transactions_total')).toBeGreaterThanOrEqual(3 * 4);
    // Both members' statements: in this process they share one store object and its statement counters.
    expect(value('stampede_persistence_lwt_total', { class: 'execution.create', outcome: 'applied' })).toBe(6);
    // This member owns its share of the shards, the other member the rest.
    expect(value('stampede_shards_owned')).toBeGreaterThan(0);
    expect(value('stampede_shards_owned')).toBeLessThan(value('stampede_shards_total') ?? 0);
  });
});

describe('deploy/grafana/dashboard-json/stampede.json', () => {
  it('is a well-formed dashboard: titled panels with unique ids on the provisioned datasource, laid out without overlap', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(provisionedUid).toBeDefined();
    const ids = allPanels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && (id as number) > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queryPanels.length).toBeGreaterThanOrEqual(20);
    const cells = new Map<string, string>();
    for (const p of allPanels) {
      const where = `panel ${p.id} (${p.title ?? ''})`;
      expect(p.title, where).toBeTruthy();
      const g = p.gridPos;
      expect(g, where).toBeDefined();
      if (!g) continue;
      expect(g.x >= 0 && g.y >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24, where).toBe(true);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `${where} overlaps ${other}`).toBeUndefined();
          cells.set(`${x},${y}`, where);
        }
      }
      if (p.type === 'row') continue;
      expect(['timeseries', 'stat', 'gauge', 'bargauge', 'table'], where).toContain(p.type);
      expect(p.datasource, where).toEqual({ type: 'prometheus', uid: provisionedUid });
      expect(p.targets?.length, where).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, where).toBe(refIds.length);
      for (const target of p.targets ?? []) {
        expect(target.refId, where).toMatch(/^[A-Z]$/);
        expect(target.expr?.trim(), where).toBeTruthy();
        if (target.datasource) expect(target.datasource, where).toEqual(p.datasource);
      }
    }
    // Template variables would need their queries checked too.
    expect(dashboard.templating?.list ?? []).toEqual([]);
  });

  it('queries only series the engine exports, with their labels, through functions that suit their type', () => {
    const e = parseExposition(metrics.text);
    const series = seriesIndex(e);
    const problems: string[] = [];
    for (const { panel, target, expr } of queries) {
      const where = `${panel} [${target.refId}] ${expr}`;
      const q = analyse(expr);
      if (q.selectors.length === 0) problems.push(`${where}: no metric`);
      for (const f of q.functions) if (!FUNCTIONS.has(f)) problems.push(`${where}: unknown function ${f}`);
      const labelsOfQuery = new Set<string>(TARGET_LABELS);
      for (const s of q.selectors) {
        const info = series.get(s.metric);
        if (!info) {
          problems.push(`${where}: the engine exports no series ${s.metric}`);
          continue;
        }
        for (const l of info.labels.keys()) labelsOfQuery.add(l);
        for (const m of s.matchers) {
          const values = info.labels.get(m.label);
          if (!values && !TARGET_LABELS.has(m.label)) problems.push(`${where}: ${s.metric} has no label ${m.label}`);
          if (m.op === '=' && values && !values.has(m.value))
            problems.push(`${where}: ${s.metric} has no ${m.label}="${m.value}" (has ${[...values].join(', ')})`);
          if (m.op.endsWith('~')) {
            try {
              new RegExp(`^(?:${m.value})$`);
            } catch {
              problems.push(`${where}: bad regular expression ${m.value}`);
            }
          }
        }
        // rate() and friends take counters (and a summary's or histogram's _sum/_count/_bucket), nothing else.
        const rated = RATE_FUNCTIONS.has(s.within ?? '');
        if (info.counterLike && !rated) problems.push(`${where}: counter ${s.metric} outside rate()/increase()`);
        if (!info.counterLike && rated) problems.push(`${where}: ${s.within}() of ${info.family.type} ${s.metric}`);
        if (q.functions.includes('histogram_quantile') && info.family.type !== 'histogram')
          problems.push(`${where}: histogram_quantile() over ${info.family.type} ${s.metric}`);
      }
      for (const l of q.grouping) if (!labelsOfQuery.has(l)) problems.push(`${where}: grouping by missing label ${l}`);
      // The legend's {{label}}s must survive the query's aggregation.
      const aggregated = q.functions.some((f) => AGGREGATIONS.has(f));
      for (const [, l] of (target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        const kept = aggregated ? q.grouping.includes(l as string) : labelsOfQuery.has(l as string);
        if (!kept) problems.push(`${where}: legend uses {{${l}}}, which the query does not keep`);
      }
    }
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(30);
  });

  it("covers the engine's RPCs, persistence, LWT outcomes, shards, matching, history contention and memory", () => {
    const used = new Set(queries.flatMap((q) => analyse(q.expr).selectors.map((s) => s.metric)));
    const required = [
      'stampede_rpc_requests_total',
      'stampede_rpc_errors_total',
      'stampede_rpc_latency_seconds_sum',
      'stampede_rpc_latency_seconds_count',
      'stampede_rpc_latency_seconds',
      'stampede_persistence_statements_total',
      'stampede_persistence_errors_total',
      'stampede_persistence_latency_seconds_sum',
      'stampede_persistence_latency_seconds_count',
      'stampede_persistence_latency_seconds',
      'stampede_persistence_lwt_total',
      'stampede_shards_owned',
      'stampede_shards_total',
      'stampede_matching_backlog',
      'stampede_matching_sync_matched_total',
      'stampede_matching_persisted_total',
      'stampede_history_transactions_total',
      'stampede_history_conflicts_total',
      'stampede_history_lock_waits_total',
      'stampede_history_buffered_events_total',
      'stampede_history_transfer_backlog',
      'stampede_history_timer_backlog',
      'stampede_process_resident_memory_bytes',
      // The engine cluster: members, forwarding and its latency, hand-offs.
      'stampede_cluster_members',
      'stampede_cluster_forwarded_total',
      'stampede_cluster_forward_latency_seconds_sum',
      'stampede_cluster_forward_latency_seconds',
      'stampede_cluster_shard_handoffs_total',
    ];
    expect(required.filter((m) => !used.has(m))).toEqual([]);
    // Latency by method and by statement class; LWT outcomes split by outcome.
    const grouped = (metric: string, label: string): boolean =>
      queries.some((q) => {
        const a = analyse(q.expr);
        return a.selectors.some((s) => s.metric === metric) && a.grouping.includes(label);
      });
    expect(grouped('stampede_rpc_latency_seconds_sum', 'method')).toBe(true);
    expect(grouped('stampede_rpc_latency_seconds', 'method')).toBe(true);
    expect(grouped('stampede_persistence_latency_seconds_sum', 'class')).toBe(true);
    expect(grouped('stampede_persistence_lwt_total', 'outcome')).toBe(true);
  });
});
