/** `stampede schema create|verify`: the Cassandra/Astra or PostgreSQL schema the engine writes to. */
import type { Argv, CommandModule } from 'yargs';
import {
  BundleError,
  createCassandraSchema,
  createPostgresSchema,
  postgresSchemaStatements,
  readSecureConnectBundle,
  SCHEMA_TARGETS,
  schemaPlan,
  verifyCassandraSchema,
  verifyPostgresSchema,
  type SchemaAdminOptions,
  type SchemaTarget,
} from '../engine/index.js';
import { UsageError } from '../bench/errors.js';
import { addFlags, checkChoices, resolveRaw, type FlagDecls } from './flags/flag-decls.js';
import { POSTGRES_URL_FLAG, astraToken, compilePostgres } from './flags/engine-flags.js';
import { show } from '../scenarios/sdk/show.js';
import { existsSync } from 'node:fs';

const G = 'Cassandra:';

export const SCHEMA_FLAGS: FlagDecls = {
  store: {
    type: 'string',
    choices: ['cassandra', 'postgres'],
    default: 'cassandra',
    describe: 'which database',
    group: 'Store:',
  },
  postgresUrl: { ...POSTGRES_URL_FLAG, group: 'PostgreSQL:' },
  contactPoints: { type: 'string', describe: 'contact points, comma-separated host[:port]', group: G },
  localDataCenter: { type: 'string', default: 'dc1', describe: 'local data center', group: G },
  keyspace: { type: 'string', default: 'stampede', describe: 'keyspace', group: G },
  replicationFactor: {
    type: 'number',
    default: 1,
    describe: 'SimpleStrategy replication factor for a new keyspace',
    group: G,
  },
  replication: {
    type: 'string',
    describe: 'NetworkTopologyStrategy per data center, e.g. dc1:3,dc2:3 (instead of --replication-factor)',
    group: G,
  },
  astraBundle: {
    type: 'string',
    describe: 'Astra secure connect bundle (zip); keyspaces are created in the Astra UI',
    group: G,
  },
  astraTokenFile: {
    type: 'string',
    describe: 'file holding the Astra application token (else ASTRA_DB_APPLICATION_TOKEN)',
    group: G,
  },
  cassandraUser: { type: 'string', describe: 'username (password from STAMPEDE_CASSANDRA_PASSWORD)', group: G },
  schemaTarget: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'astra', 'ucs', 'lcs'],
    describe:
      'schema for: auto (a bundle means Astra; else Cassandra 5.0+ gets UCS, 2.1-4.x LCS), astra (UCS, no CREATE KEYSPACE), ucs, lcs',
    group: G,
  },
  dryRun: {
    type: 'boolean',
    default: false,
    describe: 'print the CQL (or SQL) create would run, without connecting (a bundle is only read)',
    group: G,
  },
};

function compile(args: Record<string, unknown>): SchemaAdminOptions & { dryRun: boolean } {
  const raw = resolveRaw(SCHEMA_FLAGS, { flags: args, env: process.env, file: {} });
  const problems: string[] = checkChoices(SCHEMA_FLAGS, raw);
  const keyspace = show(raw.keyspace);
  if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(keyspace))
    problems.push(`--keyspace must be a valid CQL identifier, got ${keyspace}`);
  const contactPoints =
    raw.contactPoints === undefined
      ? []
      : show(raw.contactPoints)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const bundle = raw.astraBundle === undefined ? undefined : show(raw.astraBundle);
  const dryRun = raw.dryRun === true;
  if (!dryRun && contactPoints.length === 0 && !bundle)
    problems.push('give --contact-points host[:port] or --astra-bundle <zip>');
  if (bundle && !existsSync(bundle)) problems.push(`--astra-bundle: no file at ${bundle}`);
  else if (bundle) {
    try {
      readSecureConnectBundle(bundle);
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      problems.push(`--astra-bundle: ${err.message}`);
    }
  }
  let replication: SchemaAdminOptions['replication'];
  if (raw.replication !== undefined) {
    const dataCenters: Record<string, number> = {};
    for (const part of show(raw.replication).split(',')) {
      const [dc, n] = part.split(':');
      if (!dc || !Number.isInteger(Number(n)) || Number(n) < 1)
        problems.push(`--replication: expected <dc>:<factor>,..., got ${part}`);
      else dataCenters[dc] = Number(n);
    }
    replication = { class: 'NetworkTopologyStrategy', dataCenters };
  } else {
    const rf = Number(raw.replicationFactor);
    if (!Number.isInteger(rf) || rf < 1)
      problems.push(`--replication-factor must be a positive integer, got ${show(raw.replicationFactor)}`);
    replication = { class: 'SimpleStrategy', replicationFactor: rf };
  }
  const o: SchemaAdminOptions & { dryRun: boolean } = {
    contactPoints,
    localDataCenter: show(raw.localDataCenter),
    keyspace,
    replication,
    dryRun,
    schemaTarget: schemaTargetOf(show(raw.schemaTarget)),
  };
  if (bundle) {
    o.secureConnectBundle = bundle;
    const token = dryRun ? undefined : astraToken(raw, process.env, problems);
    if (token !== undefined) {
      o.username = 'token';
      o.password = token;
    }
  } else if (raw.cassandraUser !== undefined) {
    o.username = show(raw.cassandraUser);
    o.password = process.env.STAMPEDE_CASSANDRA_PASSWORD ?? '';
  }
  if (problems.length > 0) throw UsageError.of(problems);
  return o;
}

function schemaTargetOf(value: string): SchemaTarget | 'auto' {
  // (compile has checked the choices.)
  return value === 'astra' || value === 'ucs' || value === 'lcs' ? value : 'auto';
}

export const schemaCommand: CommandModule = {
  command: 'schema <action>',
  describe: 'create or verify the Cassandra / Astra DB (keyspace and tables) or PostgreSQL schema',
  builder: (y: Argv) =>
    addFlags(
      y.positional('action', {
        choices: ['create', 'verify'] as const,
        describe: 'create what is missing (idempotent), or check it is all there',
      }),
      SCHEMA_FLAGS,
    )
      .example(
        '$0 schema create --contact-points 127.0.0.1:9042 --keyspace stampede',
        'keyspace (SimpleStrategy, RF 1) and tables',
      )
      .example(
        'ASTRA_DB_APPLICATION_TOKEN=... $0 schema create --astra-bundle secure-connect.zip --keyspace stampede',
        'tables in an Astra keyspace',
      )
      .example(
        'STAMPEDE_POSTGRES_PASSWORD=... $0 schema create --store postgres --postgres-url postgres://temporal@127.0.0.1:5432/stampede',
        "PostgreSQL tables in Temporal's SQL shape",
      ),
  handler: async (args) => {
    if (resolveRaw(SCHEMA_FLAGS, { flags: args, env: process.env, file: {} }).store === 'postgres') {
      await postgresSchema(args);
      return;
    }
    const o = compile(args);
    if (o.dryRun) {
      const plan = schemaPlan(o);
      process.stdout.write(`-- ${SCHEMA_TARGETS[plan.target].name}: ${plan.because}\n`);
      process.stdout.write(`${plan.statements.join(';\n\n')};\n`);
      return;
    }
    if (args.action === 'create') {
      const r = await createCassandraSchema(o, (line) => process.stdout.write(`  ${line}\n`));
      process.stdout.write(
        `schema ready in keyspace ${o.keyspace} for ${SCHEMA_TARGETS[r.target].name} (release ${r.releaseVersion})\n`,
      );
      return;
    }
    const r = await verifyCassandraSchema(o);
    if (r.problems.length > 0) {
      process.stderr.write(
        `schema in ${r.target} (Cassandra ${r.releaseVersion}) is incomplete:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n`,
      );
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`schema in keyspace ${o.keyspace} is complete (Cassandra ${r.releaseVersion})\n`);
  },
};

/** `schema create|verify --store postgres`: the tables in the database the URL names (created by whoever owns it). */
async function postgresSchema(args: Record<string, unknown>): Promise<void> {
  const raw = resolveRaw(SCHEMA_FLAGS, { flags: args, env: process.env, file: {} });
  if (raw.dryRun === true) {
    process.stdout.write(`${postgresSchemaStatements().join(';\n\n')};\n`);
    return;
  }
  const problems: string[] = [];
  const pg = compilePostgres({ ...raw, postgresPoolSize: 1 }, process.env, problems);
  if (!pg || problems.length > 0) throw UsageError.of(problems);
  const o = { url: pg.url, ...(pg.password !== undefined ? { password: pg.password } : {}) };
  if (args.action === 'create') {
    const r = await createPostgresSchema(o, (line) => process.stdout.write(`  ${line}\n`));
    process.stdout.write(`schema ready in ${r.target} (PostgreSQL ${r.version})\n`);
    return;
  }
  const r = await verifyPostgresSchema(o);
  if (r.problems.length > 0) {
    process.stderr.write(
      `schema in ${r.target} (PostgreSQL ${r.version}) is incomplete:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n(\`stampede schema create --store postgres\` creates what is missing)\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`schema in ${r.target} is complete (PostgreSQL ${r.version})\n`);
}
