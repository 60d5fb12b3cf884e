/**
 * `stampede engine --members N`: the supervisor starts N engine processes as members of one cluster on one store
 * (the shared test Cassandra, a fresh keyspace), each on its own port with `--cluster` and its advertised address;
 * a member SIGKILLed is reported while the others keep serving; SIGTERM stops the rest within the bound. Usage
 * errors (the memory store, port 0, a wildcard host with nothing to advertise) are one line and exit 2.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EngineAdminClient } from '../bench/client/admin-client.js';
import { BIN, stampede } from './helpers/cli.js';
import { freshKeyspace, testCluster } from './helpers/engine.js';

const children: number[] = [];
afterAll(() => {
  for (const pid of children)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
});

describe('stampede engine --members', () => {
  it('refuses what cannot make a cluster, in one line each', async () => {
    const memory = await stampede(['engine', '--members', '3']);
    expect(memory.code).toBe(2);
    expect(memory.stderr.trim()).toBe(
      'stampede: --members 3 needs a store the members share: --store cassandra or postgres (the memory store lives in one process)',
    );
    const pg = ['--store', 'postgres', '--postgres-url', 'postgres://u@127.0.0.1:1/x'];
    const anyPort = await stampede(['engine', '--members', '2', ...pg, '--port', '0']);
    expect(anyPort.code).toBe(2);
    expect(anyPort.stderr).toContain('--members 2 needs a fixed --port (the members take --port..--port+1)');
    const wildcard = await stampede(['engine', '--members', '2', ...pg, '--host', '0.0.0.0']);
    expect(wildcard.code).toBe(2);
    expect(wildcard.stderr).toContain('--members 2 listening on 0.0.0.0 needs --advertise-address <host>');
  });

  it('starts the members, reports one that dies, and stops the rest on SIGTERM', async () => {
    const c = testCluster();
    const keyspace = await freshKeyspace('stampede_members');
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const sup = spawn(
      process.execPath,
      [
        BIN,
        'engine',
        '--members',
        '2',
        '--store',
        'cassandra',
        '--contact-points',
        c.contactPoints.join(','),
        '--local-data-center',
        c.localDataCenter,
        '--keyspace',
        keyspace,
        '--port',
        String(port),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(sup.pid ?? 0);
    let out = '';
    sup.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sup.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => sup.once('exit', (code) => resolve(code)));
    const targets = [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`];
    await vi.waitFor(
      () => {
        if (!out.includes(`2 members serving; drive them with --target ${targets.join(',')}`))
          throw new Error(`members not serving yet:\n${out}`);
      },
      { timeout: 60_000, interval: 200 },
    );
    // Each member is a cluster member on its own port, advertising the address the supervisor gave it, and sees the
    // other through the store's membership table.
    for (const address of targets) {
      const admin = new EngineAdminClient(address);
      try {
        await vi.waitFor(
          async () => {
            const view = await admin.describeCluster();
            expect(view.clustered).toBe(true);
            expect(view.members.find((m) => m.hostId === view.self)?.address).toBe(address);
            expect(view.members.map((m) => m.address).sort()).toEqual(targets);
          },
          { timeout: 20_000, interval: 250 },
        );
      } finally {
        admin.close();
      }
    }
    const pids = [...out.matchAll(/member (\d) starting \(pid (\d+)/g)].map((m) => Number(m[2]));
    expect(pids).toHaveLength(2);
    children.push(...pids);
    process.kill(pids[1] ?? 0, 'SIGKILL');
    await vi.waitFor(
      () => {
        if (!out.includes(`member 1 (${targets[1]}, pid ${pids[1]}) killed by SIGKILL without being asked; 1 of 2`))
          throw new Error(`death not reported:\n${out}`);
      },
      { timeout: 10_000, interval: 100 },
    );
    const before = Date.now();
    sup.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - before).toBeLessThan(25_000);
    expect(code, out).toBe(1);
    expect(out).toContain('SIGTERM: stopping 1 member(s)');
    expect(out).toContain(`[member 0 :${port}] engine stopped`);
  });
});
