/**
 * Reading a run's workflows back and checking them, the part every verification shares (the run's own at its end,
 * `stampede verify` through an engine, `stampede verify` from the store): problems are counted, the first ones kept;
 * each history is checked for well-formedness; the scenario's invariants run over the same workflows.
 */
import type { WorkflowCaller } from '../client/workflow-service.js';
import type { AnyScenario, VerifyContext } from '../../scenarios/sdk/scenario.js';
import type { OptionSpecs, OptionValues } from '../../scenarios/sdk/option-specs.js';
import { fullHistory } from './engine-reader.js';
import { historyProblems } from './history-check.js';
import { RUNNING } from './workflow-status.js';

/** Problems `stampede verify` prints (the rest are counted). */
export const REPORTED_PROBLEMS = 50;

/** Problems found: all counted, the first `keep` kept for the report. */
export class Problems {
  readonly kept: string[] = [];
  count = 0;

  constructor(private readonly keep: number) {}

  add(problem: string): void {
    this.count += 1;
    if (this.kept.length < this.keep) this.kept.push(problem);
  }
}

/** What a verification found, as `stampede verify` prints it. */
export interface VerifyReport {
  runs: number;
  workflows: number;
  byStatus: Record<string, number>;
  historiesChecked: number;
  problems: string[];
  problemCount: number;
}

/** A run as listed by visibility (or the store): enough to read its history back. */
export interface ListedRun {
  workflowId: string;
  runId: string;
  status: number;
}

/**
 * Reads runs back in full through the API and checks every history (closed when the run is), at most `sample` of
 * them (0: all); a run still open when every run should have closed is a problem. Returns how many were read.
 */
export async function checkHistories(
  client: WorkflowCaller,
  namespace: string,
  runs: readonly ListedRun[],
  o: {
    sample: number;
    expectClosed: boolean;
    perRun?: number;
    /** Sees every history read (further checks over the same events). */
    onHistory?: (run: ListedRun, events: Awaited<ReturnType<typeof fullHistory>>) => void;
  },
  problems: Problems,
): Promise<number> {
  let checked = 0;
  for (const run of runs) {
    if (o.sample !== 0 && checked >= o.sample) break;
    const events = await fullHistory(client, namespace, run.workflowId, run.runId);
    checked += 1;
    o.onHistory?.(run, events);
    const found = historyProblems([...events], { closed: run.status !== RUNNING });
    for (const p of o.perRun === undefined ? found : found.slice(0, o.perRun))
      problems.add(`${run.workflowId}/${run.runId}: ${p}`);
    if (o.expectClosed && run.status === RUNNING) problems.add(`${run.workflowId}: still running`);
  }
  return checked;
}

/** The scenario's own invariants over what `ctx` reads, each problem prefixed with the scenario's name. */
export async function checkScenario(
  scenario: AnyScenario,
  values: OptionValues<OptionSpecs>,
  ctx: VerifyContext,
  problems: Problems,
): Promise<void> {
  for (const p of (await scenario.verify?.(ctx, values)) ?? []) problems.add(`${scenario.name}: ${p}`);
}
