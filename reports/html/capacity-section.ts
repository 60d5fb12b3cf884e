/**
 * The capacity section of a report, rendered for results of `stampede capacity`: the latency-vs-throughput curve
 * with each step coloured by its verdict, offered vs achieved throughput, the resources each step used (where the
 * bottleneck shows), the step table with every rejection reason, and the sizing projection with its formula.
 */
import type { CapacityResult, CapacityStep, ResultV1 } from '../../result/schema.js';
import type { Spec } from './charts.js';
import { esc, table, type Section } from './page.js';
import { formatMicros } from '../../result/units.js';

const VERDICT_SCALE = { domain: ['pass', 'fail', 'interrupted'], range: ['#2b8a3e', '#c92a2a', '#e67700'] };

function rate(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${Number(v.toPrecision(4))}/s`;
}

function share(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${Math.round(v * 100)}%`;
}

/** p99 (and p50) latency against achieved throughput, one line per latency series, points coloured by verdict. */
function capacityCurve(c: CapacityResult, title: string): Spec {
  const values = c.curve.map((p) => ({
    ...p,
    p99Ms: Math.max(p.p99Us / 1000, 0.001),
    p50Ms: Math.max(p.p50Us / 1000, 0.001),
  }));
  const tooltip = [
    { field: 'step', type: 'quantitative' },
    { field: 'series', type: 'nominal' },
    { field: 'ratePerSec', type: 'quantitative', title: 'offered /s' },
    { field: 'achievedPerSec', type: 'quantitative', title: 'achieved /s', format: '.1f' },
    { field: 'p50Ms', type: 'quantitative', title: 'p50 (ms)', format: '.3~f' },
    { field: 'p99Ms', type: 'quantitative', title: 'p99 (ms)', format: '.3~f' },
    { field: 'verdict', type: 'nominal' },
  ];
  const x = { field: 'achievedPerSec', type: 'quantitative', title: 'achieved throughput (iterations/s)' };
  const layers: Spec[] = [
    {
      data: { values },
      mark: { type: 'line', color: '#9aa3b5', strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: 'p99Ms', type: 'quantitative', title: 'p99 latency (ms, log)', scale: { type: 'log' } },
        order: { field: 'ratePerSec', type: 'quantitative' },
        strokeDash: { field: 'series', type: 'nominal', title: 'latency series' },
      },
    },
    {
      data: { values },
      mark: { type: 'point', filled: true, size: 90 },
      encoding: {
        x,
        y: { field: 'p99Ms', type: 'quantitative' },
        color: { field: 'verdict', type: 'nominal', title: 'step verdict', scale: VERDICT_SCALE },
        shape: { field: 'series', type: 'nominal', title: 'latency series' },
        tooltip,
      },
    },
  ];
  if (c.acceptedRatePerSec > 0)
    layers.push({
      data: { values: [{ accepted: c.acceptedRatePerSec, label: `accepted ${c.acceptedRatePerSec}/s` }] },
      mark: { type: 'rule', color: '#2b8a3e', strokeDash: [6, 4] },
      encoding: { x: { field: 'accepted', type: 'quantitative' }, tooltip: [{ field: 'label', type: 'nominal' }] },
    });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 'container',
    height: 300,
    layer: layers,
  };
}

/** Offered rate against what was achieved: iterations started and workflows closed per second. */
function throughputCurve(c: CapacityResult): Spec {
  const values = c.steps.flatMap((s) => [
    { step: s.index, offered: s.ratePerSec, series: 'started', perSec: s.achievedPerSec, verdict: s.verdict },
    ...(s.completedPerSec !== undefined
      ? [{ step: s.index, offered: s.ratePerSec, series: 'closed', perSec: s.completedPerSec, verdict: s.verdict }]
      : []),
  ]);
  const max = Math.max(1, ...c.steps.map((s) => s.ratePerSec));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'offered vs achieved throughput per step (the diagonal is "kept up")',
    width: 'container',
    height: 240,
    layer: [
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: max, y: max },
          ],
        },
        mark: { type: 'line', color: '#c5cad6', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'offered', type: 'quantitative', title: 'offered rate (/s)' },
          y: { field: 'perSec', type: 'quantitative', title: 'achieved (/s)' },
          color: { field: 'verdict', type: 'nominal', title: 'step verdict', scale: VERDICT_SCALE },
          shape: { field: 'series', type: 'nominal', title: 'measure' },
          tooltip: [
            { field: 'step', type: 'quantitative' },
            { field: 'series', type: 'nominal' },
            { field: 'offered', type: 'quantitative' },
            { field: 'perSec', type: 'quantitative', format: '.1f' },
            { field: 'verdict', type: 'nominal' },
          ],
        },
      },
    ],
  };
}

/** Resource use per step against the offered rate: the one that reaches 1 first is the bottleneck. */
function resourceCurve(c: CapacityResult): Spec {
  const values = c.steps.flatMap((s) => {
    const m = s.measurements;
    const rows: { offered: number; step: number; resource: string; value: number }[] = [];
    const add = (resource: string, v: number | undefined): void => {
      if (v !== undefined && Number.isFinite(v))
        rows.push({ offered: s.ratePerSec, step: s.index, resource, value: v });
    };
    add('shard utilisation', m.persistence?.shardUtilisation);
    add('engine event loop', m.engine?.mainThreadElu);
    add('engine CPU (cores)', m.engine?.cpuCores);
    add('host CPU busy', m.host?.cpuBusy);
    add('busiest generator thread', m.generator.maxElu);
    return rows;
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'resource use per step (1 = saturated)',
    width: 'container',
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'offered', type: 'quantitative', title: 'offered rate (/s)' },
      y: { field: 'value', type: 'quantitative', title: 'utilisation' },
      color: { field: 'resource', type: 'nominal', title: 'resource' },
      order: { field: 'offered', type: 'quantitative' },
      tooltip: [
        { field: 'step', type: 'quantitative' },
        { field: 'resource', type: 'nominal' },
        { field: 'offered', type: 'quantitative' },
        { field: 'value', type: 'quantitative', format: '.2f' },
      ],
    },
  };
}

function stepTable(steps: CapacityStep[]): string {
  const series = [...new Set(steps.flatMap((s) => Object.keys(s.latency)))];
  const rows = steps.map((s) => {
    const m = s.measurements;
    return [
      s.index,
      s.stage,
      rate(s.ratePerSec),
      rate(s.achievedPerSec),
      rate(s.completedPerSec),
      ...series.map((name) => formatMicros(s.latency[name]?.p99Us)),
      m.persistence ? m.persistence.shardUtilisation.toFixed(2) : '-',
      m.persistence ? formatMicros(m.persistence.shardPathUs) : '-',
      m.engine?.mainThreadElu !== undefined
        ? share(m.engine.mainThreadElu)
        : m.engine?.cpuCores !== undefined
          ? `${m.engine.cpuCores.toFixed(2)} cores`
          : '-',
      share(m.host?.cpuBusy),
      share(m.generator.maxElu),
      s.verdict.toUpperCase(),
    ];
  });
  return table(
    [
      'step',
      'stage',
      'offered',
      'achieved',
      'closed',
      ...series.map((n) => `p99 ${n}`),
      'shard util',
      'shard path',
      'engine',
      'host CPU',
      'generator',
      'verdict',
    ],
    rows,
    { numericFrom: 2 },
  );
}

/** Every rejection with its reasons (too long for a table cell). */
function reasonList(steps: CapacityStep[]): string {
  const rejected = steps.filter((s) => s.reasons.length > 0);
  if (rejected.length === 0) return '';
  return `<h3>Why steps were rejected</h3><ul>${rejected
    .map(
      (s) =>
        `<li><strong>step ${s.index} (${esc(s.stage)}, ${esc(rate(s.ratePerSec))}) ${esc(s.verdict)}</strong>: ${s.reasons.map((r) => esc(r)).join('; ')}</li>`,
    )
    .join('')}</ul>`;
}

function card(c: CapacityResult, label: string): string {
  const verdictClass =
    c.status === 'complete' || c.status === 'at-limit' ? 'pass' : c.acceptedRatePerSec > 0 ? 'partial' : 'fail';
  const dl = (pairs: [string, string][]): string =>
    `<dl>${pairs.map(([k, x]) => `<dt>${esc(k)}</dt><dd>${esc(x)}</dd>`).join('')}</dl>`;
  return `<div class="card"><h3>${esc(label)}: ${esc(c.acceptedRatePerSec > 0 ? `${rate(c.acceptedRatePerSec)} accepted` : 'no rate accepted')} <span class="verdict ${verdictClass}">${esc(c.status.toUpperCase())}</span></h3>${dl(
    [
      ['confirmed', c.confirmed ? `yes, by a ${c.search.holdMs / 1000}s hold` : 'no'],
      ['stopped', c.stopReason],
      ['SLOs', c.slos.join(', ')],
      [
        'stability',
        `rate achieved ≥ ${Math.round(c.stability.minAchieved * 100)}%, no dropped iterations, schedule lag p99 ≤ ${formatMicros(c.stability.maxScheduleLagUs)}, generator threads > 90% busy in ≤ ${Math.round(c.stability.maxBusyIntervals * 100)}% of intervals, backlog growth ≤ ${Math.round(c.stability.maxBacklogGrowth * 100)}% of arrivals, every workflow closed`,
      ],
      ['search', c.search.description],
      [
        'steps',
        `${c.steps.length}, each ${c.search.warmupMs / 1000}s warm-up (excluded) + ${c.search.stepDurationMs / 1000}s measured, in ${Math.round(c.wallMs / 1000)}s`,
      ],
      ['bottleneck', `${c.bottleneck.kind}: ${c.bottleneck.summary}`],
    ],
  )}${c.bottleneck.findings
    .slice(1)
    .map((f) => `<div class="warn">also ${esc(f.kind)}: ${esc(f.evidence)}</div>`)
    .join('')}${c.notes.map((n) => `<div class="warn">⚠ ${esc(n)}</div>`).join('')}</div>`;
}

function sizingHtml(c: CapacityResult): string {
  const z = c.sizing;
  if (!z) return '';
  const target = z.target
    ? `<p><strong>For ${esc(rate(z.target.ratePerSec))}: ${z.target.shards} history shard(s)${z.target.members !== undefined ? `, ${z.target.members} engine member(s)` : ''}${z.target.nodes !== undefined ? `, ${z.target.nodesUpperBound ? 'at most ' : ''}${z.target.nodes} store node(s)` : ''}.</strong></p>`
    : '<p>Give <code>--target-rate R</code> for the shards and nodes R needs.</p>';
  return `<h3>Sizing projection (from step ${z.step} at ${esc(rate(z.ratePerSec))})</h3>${target}<pre>${esc(z.formula.join('\n'))}</pre><p>Assumptions:</p><ul>${z.assumptions.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`;
}

export function capacitySections(results: ResultV1[], labels: string[]): Section[] {
  const sections: Section[] = [];
  results.forEach((r, i) => {
    const c = r.capacity;
    if (!c) return;
    const label = labels[i] ?? r.label;
    const suffix = results.filter((x) => x.capacity).length > 1 ? ` — ${label}` : '';
    sections.push({
      id: `capacity-${i}`,
      title: `Capacity${suffix}`,
      intro:
        'Each step ran the workload at a constant arrival rate (warm-up excluded) and was judged against the SLOs and for stability. The curve is p99 latency against the throughput achieved, one point per step and latency series, coloured by verdict; the dashed line is the accepted rate. The rest of this report is the run at the accepted rate.',
      charts: [
        capacityCurve(c, 'capacity curve: p99 latency vs achieved throughput'),
        throughputCurve(c),
        resourceCurve(c),
      ],
      html: `<div class="cards">${card(c, label)}</div><h3>Steps</h3>${stepTable(c.steps)}${reasonList(c.steps)}${sizingHtml(c)}`,
    });
  });
  return sections;
}
