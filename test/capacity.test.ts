/**
 * `stampede capacity` end to end, through the CLI:
 *
 * - memory store: the accepted rate lies within 30 % of the rate at which the engine really saturates, measured in
 *   the same test by an independent overload run (offered 2.5× the accepted rate: the engine's transaction
 *   throughput when it cannot keep up, divided by the transactions one workflow takes);
 * - Cassandra 2.1, 1 shard vs 16 shards: the 1-shard search is limited by the shard's serialized write path
 *   (utilisation ≈ 1), and the 16-shard search accepts many times more; the 1-shard run's projection (16 shards ×
 *   its per-shard rate) is checked by the 16-shard run within a generous band;
 * - a search stops cleanly at its budget and on SIGINT, keeping every completed step; bad flags are one usage error;
 * - `gate` thresholds the accepted rate, and `report` draws the capacity curve in a browser without errors.
 *
 * Every store call waits an injected latency (--inject-store-latency, 50 ms on memory, 60 ms on Cassandra). On this
 * shared 2-core machine a CPU-bound engine's saturation point moves 2-3× within minutes with other processes' load;
 * with the latency injected, the limit is the engine's own serialized per-shard write path (2 store calls per
 * transaction), which takes little CPU, so the figures measure the engine rather than the machine's spare CPU, and
 * they make the 1-vs-16-shard difference pronounced. The tests run concurrently: the two long ones wait on injected
 * latency far more than they use CPU (the file takes about 2-2.5 minutes).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, it } from 'vitest';
import type { CapacityResult, ResultV1 } from '../result/schema.js';
import { BIN, stampede } from './helpers/cli.js';
import { freshKeyspace, testCluster } from './helpers/engine.js';

const CHROMIUM = process.env.STAMPEDE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const dir = mkdtempSync(join(tmpdir(), 'stampede-capacity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type CapacityFile = ResultV1 & { capacity: CapacityResult };

function readCapacity(out: string): CapacityFile {
  const r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
  if (!r.capacity) throw new Error(`${out}/result.json has no capacity section`);
  return r as CapacityFile;
}

/** The search in one line: each step's stage, rate, verdict and wall time. */
function stepsLine(c: CapacityResult): string {
  return c.steps
    .map((st) => `${st.stage} ${st.ratePerSec}/s ${st.verdict} (${Math.round(st.wallMs / 1000)}s)`)
    .join(', ');
}

/** Short steps for tests: 1 s warm-up (excluded) + 4-5 s measured. */
const SHORT = ['--warmup', '1s', '--hold', '4s', '--verify-sample', '0', '--no-report'];

describe('stampede capacity', () => {
  it.concurrent('reports every bad flag at once, with what to use instead, and exits 2', async ({ expect }) => {
    const r = await stampede(
      ['capacity', '--rate', '50', '--from', 'fast', '--factor', '1', '--slo', 'p99(nope<2', '--budget', 'soon'],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(r.stderr).toContain('--rate does not apply to capacity: the search chooses the rate: use --from and --to');
    expect(r.stderr).toContain('--from must be a positive rate');
    expect(r.stderr).toContain('--factor must be a number above 1');
    expect(r.stderr).toContain('--slo: threshold "p99(nope<2" is not of the form');
    expect(r.stderr).toContain('--budget must be a positive duration');

    const none = await stampede(['capacity', '--scenario', 'hello'], { timeoutMs: 30_000 });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("capacity needs at least one --slo, e.g. --slo 'p99(workflow)<2s'");
  });

  it.concurrent(
    'stops at its time budget with a partial result that keeps every completed step',
    async ({ expect }) => {
      const out = join(dir, 'budget');
      // Long enough that the first step (warmup 1 s, step 2 s, drain) finishes even on a loaded CI machine.
      const budgetMs = 25_000;
      const t0 = Date.now();
      const r = await stampede(
        [
          'capacity',
          '--slo',
          'p99(workflow)<5s',
          '--from',
          '5',
          '--step-duration',
          '2s',
          '--budget',
          `${budgetMs}ms`,
          '--no-prime',
          '--drain-timeout',
          '3s',
          '--out',
          out,
          ...SHORT,
        ],
        { timeoutMs: 60_000 },
      );
      const wallMs = Date.now() - t0;
      const res = readCapacity(out);
      const c = res.capacity;
      // The budget is the bound the user asked for: success when a rate passed before it ran out.
      expect(r.code, r.stderr).toBe(c.acceptedRatePerSec > 0 ? 0 : 1);
      console.log(`budget ${budgetMs} ms: ${c.steps.length} step(s), stopped after ${c.wallMs} ms (${c.stopReason})`);
      expect(res.verdict).toBe('partial');
      expect(c.status).toBe('budget');
      expect(c.stopReason).toMatch(/budget/);
      expect(c.confirmed).toBe(false);
      const done = c.steps.filter((s) => s.verdict !== 'interrupted');
      expect(done.length).toBeGreaterThanOrEqual(1);
      for (const s of done) {
        expect(s.checks.length).toBeGreaterThan(0); // judged
        const step = JSON.parse(readFileSync(join(out, s.dir, 'result.json'), 'utf8')) as ResultV1;
        expect(step.options.ratePerSec).toBe(s.ratePerSec);
      }
      expect(c.acceptedRatePerSec).toBe(
        Math.max(0, ...done.filter((s) => s.verdict === 'pass').map((s) => s.ratePerSec)),
      );
      // A step cut short by the budget drains for at most 5 s; nothing else runs past it.
      expect(c.wallMs).toBeLessThan(budgetMs + 8000);
      expect(wallMs).toBeLessThan(budgetMs + 15_000);
      expect(r.stdout).toMatch(/^step {2}1 /m);
      expect(r.stdout).toContain('verdict: PARTIAL');
    },
  );

  it.concurrent(
    'stops on SIGINT: the step in flight is not judged, completed steps are kept, exit 130',
    async ({ expect }) => {
      const out = join(dir, 'sigint');
      const child = spawn(
        process.execPath,
        [
          BIN,
          'capacity',
          '--slo',
          'p99(workflow)<5s',
          '--from',
          '5',
          '--step-duration',
          '3s',
          '--no-prime',
          '--drain-timeout',
          '3s',
          '--out',
          out,
          ...SHORT,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      let signalled = false;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((done, fail) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          fail(new Error(`capacity did not stop on SIGINT\n${stdout}\n${stderr}`));
        }, 60_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          // Interrupt step 2 as soon as step 1 is reported.
          if (!signalled && /^step {2}1 /m.test(stdout)) {
            signalled = true;
            setTimeout(() => child.kill('SIGINT'), 500);
          }
        });
        child.on('exit', (c) => {
          clearTimeout(timer);
          done(c);
        });
      });
      expect(code, stderr).toBe(130);
      const c = readCapacity(out).capacity;
      expect(c.status).toBe('interrupted');
      expect(c.steps.length).toBeGreaterThanOrEqual(2);
      expect(c.steps[0]?.checks.length).toBeGreaterThan(0); // judged, kept
      expect(c.steps.at(-1)?.verdict).toBe('interrupted');
      expect(c.steps.at(-1)?.checks).toEqual([]); // not judged
      expect(c.steps.at(-1)?.reasons.join()).toMatch(/SIGINT/);
      expect(c.acceptedRatePerSec).toBe(c.steps[0]?.verdict === 'pass' ? 5 : 0);
      expect(stdout).toContain('verdict: PARTIAL');
    },
  );

  it.concurrent(
    'memory store: the accepted rate is within 30 % of the saturation an overload run measures',
    async ({ expect }) => {
      const out = join(dir, 'memory');
      const inject = ['--inject-store-latency', '50ms'];
      const r = await stampede(
        [
          'capacity',
          '--scenario',
          'hello',
          ...inject,
          '--slo',
          'p99(workflow)<5s',
          '--slo',
          'errors<1%',
          '--from',
          '3',
          '--factor',
          '2',
          '--resolution',
          '20%',
          '--step-duration',
          '4s',
          '--drain-timeout',
          '3s',
          '--no-prime',
          '--target-rate',
          '100',
          '--out',
          out,
          ...SHORT.filter((a) => a !== '--no-report'),
        ],
        { timeoutMs: 150_000 },
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const res = readCapacity(out);
      const c = res.capacity;
      expect(res.verdict).toBe('pass');
      expect(c.status).toBe('complete');
      expect(c.confirmed).toBe(true);
      // Every step is on the console and in the result, every rejection with its reasons.
      for (const s of c.steps) {
        expect(r.stdout).toMatch(new RegExp(`^step +${s.index} +${s.stage} .*${s.verdict.toUpperCase()}`, 'm'));
        if (s.verdict === 'fail') expect(s.reasons.length).toBeGreaterThan(0);
        else expect(s.reasons).toEqual([]);
      }
      expect(c.steps.some((s) => s.verdict === 'fail')).toBe(true);
      expect(c.curve.length).toBeGreaterThanOrEqual(c.steps.length);
      const accepted = c.steps.filter((s) => s.ratePerSec === c.acceptedRatePerSec && s.verdict === 'pass').at(-1);
      if (!accepted) throw new Error('no passing step at the accepted rate');
      const T = accepted.measurements.engine?.transactionsPerWorkflow ?? 0;
      expect(T).toBeGreaterThan(0);

      // The real saturation: offer 2.5× the accepted rate; the engine's transactions per second once it cannot keep
      // up (the last 3 measured seconds), divided by the transactions one workflow takes.
      const over = join(dir, 'overload');
      const o = await stampede(
        [
          'run',
          '--scenario',
          'hello',
          ...inject,
          '--rate',
          String(Math.round(2.5 * c.acceptedRatePerSec)),
          '--warmup',
          '1s',
          '--duration',
          '4s',
          '--drain-timeout',
          '20s',
          '--verify-sample',
          '0',
          '--no-report',
          '--quiet',
          '--out',
          over,
        ],
        { timeoutMs: 90_000 },
      );
      const overload = JSON.parse(readFileSync(join(over, 'result.json'), 'utf8')) as ResultV1;
      expect(o.code === 0 || o.code === 1, o.stderr).toBe(true);
      const main = overload.intervals.filter((iv) => iv.phase === 'main' && iv.engine);
      const before = overload.intervals.filter((iv) => iv.engine && iv.index < (main[0]?.index ?? 0)).at(-1);
      const series = [before, ...main].map((iv) => iv?.engine?.transactions ?? 0);
      const perSec = series.slice(1).map((v, i) => v - (series[i] ?? 0));
      const last = perSec.slice(-3);
      const saturationTxPerSec = last.reduce((a, b) => a + b, 0) / last.length;
      const saturation = saturationTxPerSec / T;
      const ratio = c.acceptedRatePerSec / saturation;
      console.log(
        `memory store (4 shards, 50 ms injected): accepted ${c.acceptedRatePerSec}/s; saturation ${saturation.toFixed(2)}/s (${saturationTxPerSec.toFixed(1)} transactions/s at overload ÷ ${T.toFixed(2)} per workflow; per second: ${perSec.join(' ')}); ratio ${ratio.toFixed(2)}; bottleneck ${c.bottleneck.kind}; steps: ${stepsLine(c)}`,
      );
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.3);
      // What limited it, read from the measurements: the shards' serialized write path was full at the failing rates
      // (the summary may name something else first when the machine was busy at the edge: it is printed above).
      expect(c.bottleneck.findings.map((f) => f.kind)).toContain('shard-serialization');
      const z = c.sizing;
      if (!z) throw new Error('no sizing projection');
      expect(z.planningUtilisationSource).toBe('measured');
      expect(z.target?.shards).toBe(
        Math.ceil((100 * z.transactionsPerWorkflow * z.shardPathUs) / 1e6 / z.planningUtilisation - 1e-9),
      );
      expect(z.target?.nodes).toBeUndefined(); // the memory store has no nodes
      expect(r.stdout).toContain('shards(100/s) = ceil(R × T × S ÷ (U* × io))');

      // gate thresholds the accepted rate; the verdict of a complete search passes.
      const pass = await stampede(['gate', '--current', out, '--threshold', `accepted_rate>=${c.acceptedRatePerSec}`]);
      expect(pass.code, pass.stdout + pass.stderr).toBe(0);
      const fail = await stampede([
        'gate',
        '--current',
        out,
        '--threshold',
        `accepted_rate>=${c.acceptedRatePerSec * 2}`,
      ]);
      expect(fail.code, fail.stdout).toBe(99);
      expect(fail.stdout).toMatch(/FAIL\s+accepted_rate>=/);

      // The report written by capacity (and by `stampede report` from its result) draws the capacity curve.
      const html = join(dir, 'capacity.html');
      const rep = await stampede(['report', out, '-o', html]);
      expect(rep.code, rep.stderr).toBe(0);
      const text = readFileSync(html, 'utf8');
      expect(text).toContain('capacity curve: p99 latency vs achieved throughput');
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="capacity-0"');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(e.message));
        await page.goto(`file://${html}`);
        await page.waitForFunction(
          "[...document.querySelectorAll('[data-chart]')].every((c) => c.querySelector('svg') || c.dataset.error)",
          undefined,
          { timeout: 30_000 },
        );
        const capacityCharts = await page.evaluate<{ id: string; marks: number; error: boolean }[]>(
          `[...document.querySelectorAll('#capacity-0 [data-chart]')].map((el) => ({
            id: el.id,
            marks: el.querySelectorAll('svg g.mark-symbol path, svg g.mark-line path').length,
            error: el.dataset.error === 'true',
          }))`,
        );
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.locator('#capacity-0').screenshot({ path: join(ARTIFACTS, 'capacity-section.png') });
        expect(problems).toEqual([]);
        expect(capacityCharts.length).toBe(3);
        for (const ch of capacityCharts) {
          expect(ch.error, ch.id).toBe(false);
          expect(ch.marks, `chart ${ch.id} draws nothing`).toBeGreaterThan(0);
        }
      } finally {
        await browser.close();
      }
    },
    200_000,
  );

  it.concurrent(
    'Cassandra 2.1: 16 shards accept many times what 1 shard does, as the 1-shard projection predicts',
    async ({ expect }) => {
      const cluster = testCluster();
      const [ks1, ks16] = await Promise.all([freshKeyspace('cap_one'), freshKeyspace('cap_sixteen')]);
      // Steps of 5 s for 1 shard (a couple of workflows a second), 4 s for 16.
      const common = (keyspace: string, shards: number, step: string): string[] => [
        'capacity',
        '--scenario',
        'hello',
        '--store',
        'cassandra',
        '--contact-points',
        cluster.contactPoints.join(','),
        '--local-data-center',
        cluster.localDataCenter,
        '--keyspace',
        keyspace,
        '--shards',
        String(shards),
        '--inject-store-latency',
        '60ms',
        // Enough poll slots that the synthetic workers are never the limit.
        '--workflow-pollers',
        '64',
        '--activity-pollers',
        '64',
        '--slo',
        'p99(workflow)<5s',
        '--slo',
        'errors<1%',
        '--resolution',
        '30%',
        '--step-duration',
        step,
        '--hold',
        step,
        '--drain-timeout',
        '4s',
        '--warmup',
        '1s',
        '--verify-sample',
        '0',
        '--no-report',
      ];
      const out1 = join(dir, 'one-shard');
      const r1 = await stampede(
        [...common(ks1, 1, '5s'), '--from', '1', '--factor', '2', '--no-prime', '--target-rate', '20', '--out', out1],
        { timeoutMs: 150_000 },
      );
      expect(r1.code, `${r1.stdout}\n${r1.stderr}`).toBe(0);
      const c1 = readCapacity(out1).capacity;
      const z1 = c1.sizing;
      if (!z1) throw new Error('no sizing from the 1-shard run');
      // One shard: its serialized write path (history insert + conditional batch) is what ran out.
      expect(c1.bottleneck.findings.map((f) => f.kind)).toContain('shard-serialization');
      expect(z1.planningUtilisationSource).toBe('measured');
      expect(z1.target?.shards).toBe(Math.ceil(20 / z1.perShardRatePerSec - 1e-9));
      expect(r1.stdout).toMatch(/shards\(20\/s\) = ceil\(/);
      expect(r1.stdout).toMatch(/nodes\(20\/s\) = ceil\(/);

      // Sixteen shards, searched from half the 1-shard projection (more workflows per second: shorter steps do).
      const projected16 = 16 * z1.perShardRatePerSec;
      const out16 = join(dir, 'sixteen-shards');
      const r16 = await stampede(
        [
          ...common(ks16, 16, '4s'),
          '--from',
          String(Math.round(projected16 * 5) / 10),
          '--factor',
          '1.6',
          '--out',
          out16,
        ],
        { timeoutMs: 150_000 },
      );
      expect(r16.code, `${r16.stdout}\n${r16.stderr}`).toBe(0);
      const c16 = readCapacity(out16).capacity;
      const u = (c: CapacityResult): number =>
        c.steps.filter((s) => s.ratePerSec === c.acceptedRatePerSec && s.verdict === 'pass').at(-1)?.measurements
          .persistence?.shardUtilisation ?? NaN;
      const gain = c16.acceptedRatePerSec / c1.acceptedRatePerSec;
      const vsProjection = c16.acceptedRatePerSec / projected16;
      console.log(
        `Cassandra ${cluster.releaseVersion}, 60 ms injected per store call: 1 shard accepted ${c1.acceptedRatePerSec}/s (shard utilisation ${u(c1).toFixed(2)}, ${z1.perShardRatePerSec.toFixed(2)}/s per shard at U*=${z1.planningUtilisation.toFixed(2)}, S=${(z1.shardPathUs / 1000).toFixed(1)} ms, T=${z1.transactionsPerWorkflow.toFixed(2)}); projection for 16 shards ${projected16.toFixed(1)}/s; 16 shards accepted ${c16.acceptedRatePerSec}/s (shard utilisation ${u(c16).toFixed(2)}, bottleneck ${c16.bottleneck.kind}); gain ×${gain.toFixed(1)}, accepted ÷ projection ${vsProjection.toFixed(2)}; 1-shard projection of shards for ${c16.acceptedRatePerSec}/s: ${Math.ceil(c16.acceptedRatePerSec / z1.perShardRatePerSec)}\n  1 shard: ${stepsLine(c1)}\n  16 shards: ${stepsLine(c16)}`,
      );
      // Per-shard serialization: spreading the write path over 16 shards multiplies the rate (without it, the two
      // would accept the same rate).
      expect(gain).toBeGreaterThan(4);
      // The projection, checked by the other run. Serialization bounds the 16-shard rate by 16 × the per-shard rate,
      // reached while the shards stay the bottleneck; when something else binds first (here the single Cassandra
      // node's latency, or the CPU of a machine shared with other work) the search must say what. The bands are
      // generous: 5 s steps, and 16 shards unevenly loaded over a few seconds (the hottest shard runs above the mean).
      expect(vsProjection).toBeLessThan(1.3);
      expect(c16.bottleneck.kind).not.toBe('generator');
      if (c16.bottleneck.kind === 'shard-serialization') expect(vsProjection).toBeGreaterThan(0.6);
      // A step can fail on a hiccup of the shared machine with no resource at its mark (seen once in CI: 16 shards,
      // utilisation 0.61): the search must then say so, naming the rate and what fell behind, not invent a cause.
      else if (c16.bottleneck.kind === 'undetermined')
        expect(c16.bottleneck.summary).toMatch(/fell behind \(.+\) but no measured resource was saturated/);
      else expect(c16.bottleneck.findings.length).toBeGreaterThan(0);
      // With 16 shards the serialized path is no longer full at the accepted rate.
      expect(u(c16)).toBeLessThan(u(c1));
    },
    300_000,
  );
});
