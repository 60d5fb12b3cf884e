/**
 * Runs against a standalone engine on a real Cassandra, as the fault tests drive them: `stampede schema create`,
 * the harness as the CLI, its result.json, and `stampede verify` straight from the store (no engine involved).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { ResultV1 } from '../../result/schema.js';
import { WorkflowServiceClient } from '../../bench/client/workflow-service.js';
import { stampede, type CliResult } from './cli.js';
import { eventTypes } from './history.js';

/** Where a store is reached: `host:port` and data center. */
export interface StoreAt {
  contactPoint: string;
  localDataCenter: string;
}

/** `stampede schema create`, straight to Cassandra, as a user would before starting engines. */
export async function createSchema(at: StoreAt, keyspace: string): Promise<void> {
  const r = await stampede(
    [
      'schema',
      'create',
      '--contact-points',
      at.contactPoint,
      '--local-data-center',
      at.localDataCenter,
      '--keyspace',
      keyspace,
    ],
    { timeoutMs: 120_000 },
  );
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** `stampede run --target` with the tests' usual flags (no warm-up, quiet). */
export function harness(target: string, out: string, args: string[], timeoutMs = 150_000): Promise<CliResult> {
  return stampede(['run', '--target', target, '--out', out, '--quiet', '--warmup', '0s', ...args], { timeoutMs });
}

export function readResult(dir: string, run: CliResult): ResultV1 {
  const file = path.join(dir, 'result.json');
  if (!existsSync(file)) throw new Error(`the run wrote no result (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(readFileSync(file, 'utf8')) as ResultV1;
}

/** `stampede verify` from the store, read directly. */
export function verifyStore(
  at: StoreAt,
  resultDir: string,
  keyspace: string,
  shards: number,
  extra: string[] = [],
): Promise<CliResult> {
  return stampede(
    [
      'verify',
      resultDir,
      '--contact-points',
      at.contactPoint,
      '--keyspace',
      keyspace,
      '--shards',
      String(shards),
      '--local-data-center',
      at.localDataCenter,
      ...extra,
    ],
    { timeoutMs: 120_000 },
  );
}

/** The verify summary line's figures. */
export function verifySummary(v: CliResult): {
  workflows: number;
  runs: number;
  stuck: number;
  problems: number;
  line: string;
} {
  const line =
    /verify \(.*\): (\d+) workflows, (\d+) runs .*?(?:, (\d+) stuck \(no pending task\))?; (\d+) problem\(s\)/.exec(
      v.stdout,
    );
  expect(line, `verify printed:\n${v.stdout}\n${v.stderr}`).not.toBeNull();
  return {
    workflows: Number(line![1]),
    runs: Number(line![2]),
    stuck: Number(line![3] ?? 0),
    problems: Number(line![4]),
    line: line![0],
  };
}

/** A fault is the store's or the cluster's, never the engine's own: no INTERNAL (or UNKNOWN) answers. */
export function engineBugs(result: ResultV1): string[] {
  return Object.keys(result.errors).filter((k) => k.endsWith('|INTERNAL') || k.endsWith('|UNKNOWN'));
}

/** For a failure message: the event types of workflows the run left open, and what the engine says is pending. */
export async function describeStuck(target: string, result: ResultV1): Promise<string> {
  const ids = (result.verification?.notes ?? []).join(' ').match(/sp-[0-9a-f]+(?:-[a-z0-9]+)?-\d+/g) ?? [];
  const client = new WorkflowServiceClient(target);
  const lines: string[] = [];
  try {
    for (const workflowId of ids.slice(0, 3)) {
      const d = await client.call('DescribeWorkflowExecution', { namespace: 'default', execution: { workflowId } });
      const h = await client.call('GetWorkflowExecutionHistory', { namespace: 'default', execution: { workflowId } });
      lines.push(
        `${workflowId}: ${eventTypes(h.history?.events ?? []).join(' ')}; pending activities ${JSON.stringify(d.pendingActivities?.map((a) => [a.activityId, a.state, a.attempt]))}; pending wft ${JSON.stringify(d.pendingWorkflowTask ?? null)}`,
      );
    }
  } catch (err) {
    lines.push(`describe failed: ${String(err)}`);
  } finally {
    client.close();
  }
  return lines.join('\n');
}
