/**
 * An Astra token (or Cassandra password) never appears in output, errors, results or reports. A fake token goes
 * through every path that could log it: schema create/verify, engine start, run (failing to connect, and a real
 * run whose options carried a password), JSON output and result files. Runs through an Astra stand-in, with a
 * token it accepts, are checked the same way in astra.test.ts (output, result.json, interval log, report).
 *
 * A PostgreSQL password the same way, in each place a user can put it: inside the `--postgres-url` flag's value,
 * the `postgresUrl` config key, the STAMPEDE_POSTGRES_URL variable, or STAMPEDE_POSTGRES_PASSWORD. Against a server
 * nobody listens on (connection errors), with malformed URLs (usage errors), and against the test PostgreSQL
 * (a real run, its result files and report, `schema create|verify` and `verify` read from the store). The test
 * server trusts loopback, so it accepts the URL whatever the password; what is checked is that it is never shown.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactSecrets } from '../result/redact.js';
import { stampede } from './helpers/cli.js';
import { freshPostgres } from './helpers/postgres.js';

const TOKEN = 'AstraCS:fakeFAKEfake:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const PASSWORD = 'hunter2-not-a-real-password';
/** Characters a URL escapes, so that the escaped form is checked too. */
const PG_PASSWORD = 'pg-s3cret/Pass@word';
const PG_ESCAPED = encodeURIComponent(PG_PASSWORD);
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
  expect(text).not.toContain(PG_PASSWORD);
  expect(text).not.toContain(PG_ESCAPED);
  expect(text).not.toContain('s3cret');
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

/** `url` with the password put in, as a user would paste it. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.username ||= 'postgres';
  u.password = PG_ESCAPED;
  return u.toString();
}

describe('a PostgreSQL password', () => {
  const nobody = withPassword('postgres://alice@127.0.0.1:1/stampede');
  const config = join(dir, 'pg.json');
  writeFileSync(config, JSON.stringify({ store: 'postgres', postgresUrl: nobody }));

  it.each<[string, string[], Record<string, string>]>([
    ['schema create (URL flag)', ['schema', 'create', '--store', 'postgres', '--postgres-url', nobody], {}],
    [
      'schema verify (URL from the environment)',
      ['schema', 'verify', '--store', 'postgres'],
      { STAMPEDE_POSTGRES_URL: nobody },
    ],
    [
      'schema verify (password from the environment)',
      ['schema', 'verify', '--store', 'postgres', '--postgres-url', 'postgres://alice@127.0.0.1:1/stampede'],
      { STAMPEDE_POSTGRES_PASSWORD: PG_PASSWORD },
    ],
    ['engine (URL flag)', ['engine', '--store', 'postgres', '--postgres-url', nobody, '--verbose', '--port', '0'], {}],
    ['engine (config key)', ['engine', '--config', config, '--verbose', '--port', '0'], {}],
    [
      'run (URL flag, JSON)',
      ['run', '--store', 'postgres', '--postgres-url', nobody, '--duration', '1s', '--json'],
      {},
    ],
    ['run (config key)', ['run', '--config', config, '--duration', '1s'], {}],
    [
      'run (URL from the environment)',
      ['run', '--store', 'postgres', '--duration', '1s'],
      { STAMPEDE_POSTGRES_URL: nobody },
    ],
    [
      'a URL of another scheme',
      [
        'run',
        '--store',
        'postgres',
        '--postgres-url',
        `mysql://alice:${PG_ESCAPED}@127.0.0.1:1/db`,
        '--duration',
        '1s',
      ],
      {},
    ],
    [
      'a URL that does not parse',
      ['schema', 'create', '--store', 'postgres', '--postgres-url', `postgres://alice:${PG_ESCAPED}@[::1/db`],
      {},
    ],
    [
      'a pool size out of range next to the URL',
      ['engine', '--store', 'postgres', '--postgres-url', nobody, '--postgres-pool-size', '0'],
      {},
    ],
  ])('%s fails cleanly without printing it', async (_, args, env) => {
    const r = await stampede(args, { env, timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr.length).toBeGreaterThan(0);
    clean(r.stdout);
    clean(r.stderr);
  });

  it(
    'a real run, its files and report, schema create|verify and verify from PostgreSQL never show it',
    { timeout: 120_000 },
    async () => {
      const url = withPassword(await freshPostgres('secrets'));
      const out = join(dir, 'pg-run');
      const steps: string[][] = [
        ['schema', 'create', '--store', 'postgres', '--postgres-url', url],
        ['schema', 'verify', '--store', 'postgres', '--postgres-url', url],
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
          '--out',
          out,
        ],
        ['verify', out, '--store', 'postgres', '--postgres-url', url],
      ];
      for (const args of steps) {
        const r = await stampede(args, { timeoutMs: 60_000 });
        expect(r.code, `${args.slice(0, 2).join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
        clean(r.stdout + r.stderr);
      }
      const files = readdirSync(out);
      expect(files).toEqual(expect.arrayContaining(['result.json', 'report.html']));
      for (const f of files) clean(readFileSync(join(out, f), 'utf8'));
      // verify of that result against a server nobody listens on: a connection error, and still no password.
      const unreachable = await stampede(['verify', out, '--store', 'postgres', '--postgres-url', nobody], {
        timeoutMs: 60_000,
      });
      expect(unreachable.code).not.toBe(0);
      expect(unreachable.stderr).toMatch(/127\.0\.0\.1:1/);
      clean(unreachable.stdout + unreachable.stderr);
      // The run did go to this database (its result names it, without the password).
      expect(readFileSync(join(out, 'result.json'), 'utf8')).toContain(new URL(url).pathname.slice(1));
    },
  );
});
