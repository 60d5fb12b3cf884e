/** The card each run gets at the top of a report: what ran, where, how long, and how verification went. */
import type { ResultV1 } from '../../result/schema.js';
import { formatClockOffset } from '../../result/units.js';
import { esc } from './page.js';

function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(msValue < 10_000 ? 1 : 0)}s`;
}

export function runCard(r: ResultV1, label: string): string {
  const v = r.verification;
  const dl = (pairs: [string, string][]): string =>
    `<dl>${pairs.map(([k, x]) => `<dt>${esc(k)}</dt><dd>${esc(x)}</dd>`).join('')}</dl>`;
  const opts = r.options;
  return `<div class="card"><h3>${esc(label)} <span class="verdict ${r.verdict}">${r.verdict.toUpperCase()}</span></h3>${dl(
    [
      [
        'scenario',
        `${r.scenario.name}${
          Object.keys(r.scenario.options).length
            ? ` (${Object.entries(r.scenario.options)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(', ')})`
            : ''
        }`,
      ],
      ['target', r.target.kind === 'embedded' ? `embedded engine, ${r.target.store}` : r.target.address],
      ['server', r.target.serverVersion],
      [
        'load',
        `${String(opts.executor)} ${opts.executor === 'constant-concurrency' ? `${String(opts.vus)} VUs` : `${String(opts.ratePerSec)}/s`}`,
      ],
      [
        'measured',
        `${seconds(r.timing.measuredMs)} after ${seconds(r.timing.warmupMs)} warm-up, ${seconds(r.timing.intervalMs)} intervals`,
      ],
      [
        'workflows',
        `started ${v.started}, ${
          Object.entries(v.byStatus)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || 'none read back'
        }`,
      ],
      [
        'verification',
        `${v.status}${v.lost ? `, ${v.lost} lost` : ''}${v.stuck ? `, ${v.stuck} stuck` : ''}, ${v.historiesChecked} histories checked${v.problems ? `, ${v.problems} problem(s)` : ''}`,
      ],
      ['time scale', `x${r.target.timeScale}`],
      ...(r.contention
        ? ([
            [
              'engine',
              `${r.contention.transactions} transactions, ${r.contention.conflicts} conflicts retried, ${r.contention.lockWaits} lock waits on one run, ${r.contention.bufferedEvents} buffered events; conditional writes: ${
                Object.entries(r.contention.lwt)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ') || 'none'
              }`,
            ],
          ] as [string, string][])
        : []),
      ...(r.segment.count > 1
        ? ([
            [
              'segment',
              `${r.segment.index}/${r.segment.count} of the run, task queue ${String(r.options['taskQueue'])}${
                r.segment.clockOffset
                  ? `; engine clock ${formatClockOffset(r.segment.clockOffset)} from this machine's`
                  : ''
              }`,
            ],
          ] as [string, string][])
        : []),
      ['machine', `${r.environment.cpus} × ${r.environment.cpuModel}, node ${r.environment.node}`],
      ['run', `${r.runId} at ${r.createdAt}${r.tool.gitSha ? `, git ${r.tool.gitSha}` : ''}`],
    ],
  )}${r.health.warnings.map((w) => `<div class="warn">⚠ ${esc(w)}</div>`).join('')}${v.notes.map((n) => `<div class="warn">⚠ ${esc(n)}</div>`).join('')}${r.notes.map((n) => `<div class="note">${esc(n)}</div>`).join('')}</div>`;
}
