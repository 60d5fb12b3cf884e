/**
 * What result.json records as a run's options is what its threads ran. Each thread reports the options it acts on,
 * as it applies them; they must equal the recorded options key for key. `--no-eager` once reached result.json but
 * not the threads (every workflow still started eagerly): the counters show which way the threads really worked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRunCommand } from '../cli/run-command.js';
import type { ThreadEffectiveOptions } from '../bench/coordinator/protocol.js';
import { Progress } from '../bench/run/progress.js';
import { startRun } from '../bench/run/run.js';
import { effectiveMismatches } from '../bench/run/thread-inits.js';
import type { ResultV1 } from '../result/schema.js';
import { stampede } from './helpers/cli.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stampede-options-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const WORKFLOWS = 20;

describe.each([true, false])('a run with eager %s', (eager) => {
  it('records exactly the options its threads ran', async () => {
    const flags = {
      _: ['run'],
      scenario: 'hello',
      rate: '40',
      iterations: WORKFLOWS,
      warmup: '0s',
      eager,
      starters: 2,
      pollers: 2,
      out: tempDir(),
      report: false,
      quiet: true,
    };
    const { options, problems } = compileRunCommand(flags, {}, false);
    expect(problems).toEqual([]);
    let effective: ThreadEffectiveOptions[] = [];
    const { result } = await startRun(options, new Progress('quiet', 0), {
      onThreadsReady: (e) => (effective = e),
    }).result;
    expect(effective).toHaveLength(4);
    for (const e of effective) {
      expect(e.eager).toBe(eager);
      // Key for key: a thread option that differs from the recorded one (or is missing from it) fails here.
      for (const [key, value] of Object.entries(e)) expect(result.options[key], key).toEqual(value);
    }
    expect(effectiveMismatches(result.options, effective)).toEqual([]);
    expect(result.options.eager).toBe(eager);
  });
});

describe('the check itself', () => {
  it('names an option a thread runs differently from the record', () => {
    const thread = { eager: true, namespace: 'default' } as ThreadEffectiveOptions;
    expect(effectiveMismatches({ eager: false, namespace: 'default' }, [thread])).toEqual([
      'eager: recorded false, a thread ran true',
    ]);
  });
});

describe('stampede run --no-eager and --eager, as the counters see them', () => {
  const run = async (flag: string): Promise<ResultV1> => {
    const out = tempDir();
    const r = await stampede(
      ['run', '--scenario', 'hello', '--rate', '40', '--iterations', String(WORKFLOWS), '--warmup', '0s'].concat(
        flag,
        '--out',
        out,
        '--no-report',
        '--quiet',
      ),
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
  };

  it('--no-eager: no eager task at all, a poll for every workflow and activity task', async () => {
    const r = await run('--no-eager');
    expect(r.options.eager).toBe(false);
    expect(r.counters.workflows_started).toBe(WORKFLOWS);
    expect(r.counters.workflow_tasks_eager ?? 0).toBe(0);
    expect(r.counters.activities_eager ?? 0).toBe(0);
    // hello: two workflow tasks and one activity per workflow, each one taken by a poll.
    expect(r.counters.workflow_tasks).toBe(2 * WORKFLOWS);
    expect(r.operations.poll_workflow_task?.count).toBe(2 * WORKFLOWS);
    expect(r.operations.poll_activity_task?.count).toBe(WORKFLOWS);
  });

  it('--eager: every first workflow task comes back in the start reply, activities in the task reply', async () => {
    const r = await run('--eager');
    expect(r.options.eager).toBe(true);
    expect(r.counters.workflows_started).toBe(WORKFLOWS);
    expect(r.counters.workflow_tasks_eager).toBe(WORKFLOWS);
    expect(r.counters.activities_eager ?? 0).toBeGreaterThan(0);
    expect(r.counters.workflow_tasks).toBe(2 * WORKFLOWS);
    // Only the second workflow task of each run needs a poll.
    expect(r.operations.poll_workflow_task?.count).toBe(WORKFLOWS);
    expect(r.operations.poll_activity_task?.count ?? 0).toBeLessThan(WORKFLOWS);
  });
});
