/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per package, as shares of
 * the profile's samples. Used to say what dominates a hot path before and after a change.
 *
 *   node --import tsx tools/perf/profile-summary.ts <file.cpuprofile> [--top 25] [--filter <url substring>]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimeRow {
  name: string;
  where: string;
  /** Share of all samples, 0..1. */
  share: number;
}

/** Where a frame's code lives: a package name, `node:` internals, the project's own folder, or a VM bucket. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const own = /\/(?:dist\/)?(engine|bench|scenarios|reports|test)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2]?.replace(/\.[jt]s$/, '')}`;
  return url;
}

export function summarize(profile: Profile): {
  totalMs: number;
  functions: SelfTimeRow[];
  packages: { name: string; share: number }[];
} {
  const hits = new Map<number, number>();
  if (profile.samples) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  let total = 0;
  for (const v of hits.values()) total += v;
  const byFn = new Map<string, { name: string; where: string; hits: number }>();
  const byPkg = new Map<string, number>();
  for (const n of profile.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (h === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || '(anonymous)';
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/');
    const where = url ? `${file}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const row = byFn.get(key) ?? { name, where, hits: 0 };
    row.hits += h;
    byFn.set(key, row);
    const pkg = packageOf(url, name);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + h);
  }
  const share = (h: number): number => (total === 0 ? 0 : h / total);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    functions: [...byFn.values()]
      .sort((a, b) => b.hits - a.hits)
      .map((r) => ({ name: r.name, where: r.where, share: share(r.hits) })),
    packages: [...byPkg.entries()].sort((a, b) => b[1] - a[1]).map(([name, h]) => ({ name, share: share(h) })),
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1).padStart(5)} %`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [--top N]\n');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  const top = i >= 0 ? Number(process.argv[i + 1]) : 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const s = summarize(profile);
  console.log(`${file}: ${s.totalMs.toFixed(0)} ms profiled`);
  console.log('self time by package:');
  for (const p of s.packages.slice(0, 15)) console.log(`  ${pct(p.share)}  ${p.name}`);
  console.log('self time by function:');
  for (const f of s.functions.slice(0, top)) console.log(`  ${pct(f.share)}  ${f.name}  ${f.where}`);
  console.log('busy time by nearest project frame (what it calls directly included; [x]: no project frame):');
  for (const f of ownFrames(profile).slice(0, top)) console.log(`  ${pct(f.share)}  ${f.name}`);
}

/**
 * Self time of the project's own functions including the library and runtime code they call directly (each sample
 * goes to the nearest project frame on its stack); samples with no project frame go to their package.
 */
export function ownFrames(profile: Profile): { name: string; share: number }[] {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  const out = new Map<string, number>();
  let total = 0;
  for (const [id, h] of hits) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    total += h;
    let key: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (f && /\/(dist\/)?(engine|bench|scenarios)\//.test(f.url) && !f.url.includes('node_modules')) {
        key = `${f.functionName || '(anonymous)'}  ${packageOf(f.url, f.functionName)}`;
        break;
      }
    }
    key ??= `[${packageOf(leaf.callFrame.url, leaf.callFrame.functionName)}]`;
    out.set(key, (out.get(key) ?? 0) + h);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]).map(([name, h]) => ({ name, share: h / Math.max(1, total) }));
}
