/**
 * The postgres store end to end: `stampede schema create|verify --store postgres`, visibility kept in PostgreSQL
 * (List/Count answered by SQL, the same answers from a new engine after a restart), and `stampede verify` straight
 * from PostgreSQL after a run. On the run's test PostgreSQL, a fresh database each.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEngine } from '../engine/index.js';
import { WorkflowServiceClient } from '../bench/client/workflow-service.js';
import { stampede } from './helpers/cli.js';
import { freshPostgres, testPostgresUrl } from './helpers/postgres.js';
import { freshDatabase } from './support/postgres-server.js';

const dir = mkdtempSync(join(tmpdir(), 'stampede-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stampede schema --store postgres', () => {
  it('verify names what is missing (exit 1); create makes it (idempotent); verify then passes', async () => {
    const url = await freshDatabase(testPostgresUrl(), 'schema');
    const before = await stampede(['schema', 'verify', '--store', 'postgres', '--postgres-url', url]);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('missing executions');
    expect(before.stderr).toContain('`stampede schema create --store postgres` creates what is missing');
    for (let i = 0; i < 2; i++) {
      const c = await stampede(['schema', 'create', '--store', 'postgres', '--postgres-url', url]);
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout).toContain('schema ready');
    }
    const after = await stampede(['schema', 'verify', '--store', 'postgres', '--postgres-url', url]);
    expect(after.code, after.stderr).toBe(0);
    const dry = await stampede(['schema', 'create', '--store', 'postgres', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('CREATE TABLE IF NOT EXISTS current_executions');
  });

  it('an engine on a database without the schema fails with one line saying what to run', async () => {
    const url = await freshDatabase(testPostgresUrl(), 'noschema');
    const r = await stampede(['engine', '--store', 'postgres', '--postgres-url', url, '--port', '0'], {
      timeoutMs: 30_000,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('stampede schema create --store postgres');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a database that does not exist is named as such, with what to do, not as an unreachable server', async () => {
    const url = new URL(testPostgresUrl());
    url.pathname = `/nosuch_${randomUUID().slice(0, 8)}`;
    const r = await stampede(['schema', 'create', '--store', 'postgres', '--postgres-url', url.toString()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no such database: create it first \(createdb, or CREATE DATABASE as its owner\)/);
    expect(r.stderr).not.toContain('cannot reach');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('visibility in PostgreSQL', () => {
  it('List and Count are answered from executions_visibility, and the same after a restart', async () => {
    const url = await freshPostgres('visibility');
    const type = `vis-${randomUUID().slice(0, 8)}`;
    const open = () => startEngine({ port: 0, store: 'postgres', postgres: { url, poolSize: 4 } });
    let engine = await open();
    const client = new WorkflowServiceClient(engine.address);
    try {
      const start = (id: string, name: string) =>
        client.call('StartWorkflowExecution', {
          namespace: 'default',
          workflowId: id,
          workflowType: { name },
          taskQueue: { name: 'vis-q' },
          requestId: randomUUID(),
        });
      await start(`${type}-1`, `${type}-A`);
      await start(`${type}-2`, `${type}-A`);
      await start(`${type}-3`, `${type}-B`);
      await client.call('TerminateWorkflowExecution', {
        namespace: 'default',
        workflowExecution: { workflowId: `${type}-2` },
        reason: 'test',
      });
    } finally {
      client.close();
    }
    type CountReply = { count?: number | Long; groups?: { groupValues?: { data?: Uint8Array }[]; count?: number }[] };
    type Long = { toNumber(): number };
    const count = async (query: string): Promise<CountReply> =>
      engine.invoke('CountWorkflowExecutions', { namespace: 'default', query });
    const n = (v: number | Long | undefined): number => (typeof v === 'object' ? v.toNumber() : (v ?? 0));
    // Visibility tasks run after the transactions: wait until the terminate has reached the table.
    const deadline = Date.now() + 20_000;
    while (n((await count(`WorkflowId STARTS_WITH '${type}' AND ExecutionStatus = 'Terminated'`)).count) < 1) {
      if (Date.now() > deadline) throw new Error('the visibility rows never caught up');
      await new Promise((r) => setTimeout(r, 100));
    }
    const check = async (): Promise<void> => {
      const list = (await engine.invoke('ListWorkflowExecutions', {
        namespace: 'default',
        query: `WorkflowType = '${type}-A'`,
        pageSize: 1,
      })) as { executions?: { execution?: { workflowId?: string } }[]; nextPageToken?: Uint8Array };
      expect(list.executions?.length).toBe(1);
      expect(list.nextPageToken?.length).toBeGreaterThan(0);
      const grouped = await count(`WorkflowId STARTS_WITH '${type}' GROUP BY ExecutionStatus`);
      expect(n(grouped.count)).toBe(3);
      const byStatus = Object.fromEntries(
        (grouped.groups ?? []).map((g) => [Buffer.from(g.groupValues?.[0]?.data ?? []).toString(), n(g.count)]),
      );
      expect(byStatus).toEqual({ '"Running"': 2, '"Terminated"': 1 });
      expect(n((await count(`WorkflowType IN ('${type}-B') AND ExecutionStatus != 'Terminated'`)).count)).toBe(1);
    };
    await check();
    await engine.stop();
    // The rows are in PostgreSQL, one per run, search attributes as JSONB.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const rows = await c.query<{ workflow_id: string; search_attributes: unknown }>(
        'SELECT workflow_id, search_attributes FROM executions_visibility WHERE workflow_id LIKE $1',
        [`${type}%`],
      );
      expect(rows.rows.length).toBe(3);
      expect(typeof rows.rows[0]?.search_attributes).toBe('object');
    } finally {
      await c.end();
    }
    engine = await open();
    try {
      await check();
    } finally {
      await engine.stop();
    }
  });
});

describe('stampede run and verify on PostgreSQL', () => {
  it('a run on --store postgres, then verify straight from the database (no engine)', async () => {
    const url = await freshPostgres('verify');
    const out = join(dir, 'run');
    const r = await stampede(
      [
        'run',
        '--store',
        'postgres',
        '--postgres-url',
        url,
        '--rate',
        '20',
        '--duration',
        '1s',
        '--warmup',
        '0s',
      ].concat(['--out', out, '--no-report', '--quiet']),
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const v = await stampede(['verify', out], { timeoutMs: 60_000 });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/verify \(store postgres:\/\/[^)]+\): (\d+) workflows/);
    expect(Number(/: (\d+) workflows/.exec(v.stdout)?.[1])).toBeGreaterThan(0);
    expect(v.stdout).toContain('0 problem(s)');
  });
});
