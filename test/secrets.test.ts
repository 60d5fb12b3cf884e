/**
 * An Astra token (or Cassandra password) never appears in output, errors, results or reports. A fake token goes
 * through every path that could log it: schema create/verify, engine start, run (failing to connect, and a real
 * run whose options carried a password), JSON output and result files. Runs through an Astra stand-in, with a
 * token it accepts, are checked the same way in astra.test.ts (output, result.json, interval log, report).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { redactSecrets } from '../result/redact.js';
import { stampede } from './helpers/cli.js';

const TOKEN = 'AstraCS:fakeFAKEfake:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const PASSWORD = 'hunter2-not-a-real-password';
const dir = mkdtempSync(join(tmpdir(), 'stampede-secrets-'));
const bundle = join(dir, 'secure-connect-fake.zip');
writeFileSync(bundle, 'PK\u0003\u0004 not really a zip');
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function clean(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain('fakeFAKEfake');
  expect(text).not.toContain(PASSWORD);
}

it.each([
  ['schema create (token from env)', ['schema', 'create', '--astra-bundle', bundle, '--keyspace', 'ks']],
  ['schema create --dry-run with a bundle', ['schema', 'create', '--dry-run', '--astra-bundle', bundle]],
  ['schema verify (token from file)', ['schema', 'verify', '--astra-bundle', bundle, '--astra-token-file', tokenFile]],
  ['engine', ['engine', '--store', 'cassandra', '--astra-bundle', bundle, '--verbose', '--port', '0']],
  ['run', ['run', '--store', 'cassandra', '--astra-bundle', bundle, '--duration', '1s', '--json']],
  [
    'run with a password',
    ['run', '--store', 'cassandra', '--contact-points', '127.0.0.1:1', '--cassandra-user', 'alice', '--duration', '1s'],
  ],
])('%s fails cleanly without printing the secret', async (_, args) => {
  const r = await stampede(args, {
    env: { ASTRA_DB_APPLICATION_TOKEN: TOKEN, STAMPEDE_CASSANDRA_PASSWORD: PASSWORD },
    timeoutMs: 60_000,
  });
  expect(r.code).not.toBe(0);
  expect(r.stderr.length).toBeGreaterThan(0);
  clean(r.stdout);
  clean(r.stderr);
});

it('a completed run writes no secret into result.json, the interval log or the report', async () => {
  const out = join(dir, 'run');
  const r = await stampede(
    ['run', '--rate', '20', '--duration', '1s', '--warmup', '0s', '--out', out, '--cassandra-user', 'alice'],
    {
      env: { ASTRA_DB_APPLICATION_TOKEN: TOKEN, STAMPEDE_CASSANDRA_PASSWORD: PASSWORD },
      timeoutMs: 60_000,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  clean(r.stdout + r.stderr);
  for (const f of readdirSync(out)) clean(readFileSync(join(out, f), 'utf8'));
});

it('redacts secret-named keys at any depth', () => {
  expect(
    redactSecrets({ engine: { cassandra: { password: 'x', username: 'token' } }, list: [{ apiToken: 'y' }] }),
  ).toEqual({
    engine: { cassandra: { password: '[redacted]', username: 'token' } },
    list: [{ apiToken: '[redacted]' }],
  });
});
