/** `stampede engine`: serve the reference engine standalone until SIGINT/SIGTERM. */
import type { Argv, CommandModule } from 'yargs';
import { ENGINE_DEFAULTS, startEngine, validateEngineOptions } from '../engine/index.js';
import { UsageError } from '../bench/errors.js';
import { attributeProblems, checkSources, CONFIG_FLAG, withConfigFile } from './flags/config-file.js';
import { addFlags, checkChoices, isGiven, resolveRaw, type FlagDecls } from './flags/flag-decls.js';
import { compileEngineFlags, ENGINE_FLAGS } from './flags/engine-flags.js';
import { compileMembers, DEFAULT_STOP_TIMEOUT_MS, SUPERVISOR_FLAGS } from './flags/supervisor-flags.js';
import { memberSpecs, passThroughArgs } from './supervisor/member-argv.js';
import { supervise } from './supervisor/supervise.js';

const SERVE_FLAGS: FlagDecls = {
  host: {
    type: 'string',
    default: '127.0.0.1',
    describe: 'address to listen on (0.0.0.0 for containers)',
    group: 'Server:',
  },
  port: { type: 'number', default: 7233, describe: 'gRPC port (0 = any free port)', group: 'Server:' },
  verbose: { type: 'boolean', default: false, describe: 'log engine events', group: 'Server:' },
};

/** Membership of an engine cluster (engine/cluster): several `stampede engine` processes on one store. */
const CLUSTER_FLAGS: FlagDecls = {
  cluster: {
    type: 'boolean',
    default: false,
    describe: "join the store's engine cluster: share its shards and task queues with the other members",
    group: 'Cluster:',
  },
  'advertise-address': {
    type: 'string',
    describe: 'host:port the other members dial for this one (default: --host:--port; required with 0.0.0.0)',
    group: 'Cluster:',
  },
  'membership-heartbeat-ms': {
    type: 'number',
    default: 1000,
    describe: 'how often a member refreshes its membership row and reads the live set',
    group: 'Cluster:',
  },
  'membership-ttl-ms': {
    type: 'number',
    default: 6000,
    describe: 'a member silent this long is gone: the others take its shards',
    group: 'Cluster:',
  },
};

export const ENGINE_COMMAND_FLAGS: FlagDecls = {
  ...SERVE_FLAGS,
  ...SUPERVISOR_FLAGS,
  ...CLUSTER_FLAGS,
  ...ENGINE_FLAGS,
  config: CONFIG_FLAG,
};

export const engineCommand: CommandModule = {
  command: 'engine',
  describe: 'serve the Temporal-compatible reference engine (WorkflowService on gRPC)',
  builder: (y: Argv) =>
    addFlags(y, ENGINE_COMMAND_FLAGS)
      .example('$0 engine --port 7233', 'serve on 127.0.0.1:7233 with the in-memory store')
      .example('$0 engine --store cassandra --contact-points 127.0.0.1:9042', 'persist to Cassandra')
      .example('$0 engine --config engine.yaml --port 7234', 'options from a file, the port from a flag')
      .example(
        '$0 engine --store cassandra --contact-points 10.0.0.5:9042 --cluster --host 0.0.0.0 --advertise-address 10.0.0.7:7233',
        'one member of an engine cluster (run one per host or core)',
      )
      .example(
        '$0 engine --members 4 --store cassandra --port 7233',
        'four engine processes as one cluster on ports 7233..7236',
      ),
  handler: async (args) => {
    const { sources, file, problems: fileProblems } = withConfigFile(args, process.env);
    if (fileProblems.length > 0) throw UsageError.of(fileProblems);
    const problems = checkSources(sources, file, ENGINE_COMMAND_FLAGS);
    const raw = resolveRaw(ENGINE_COMMAND_FLAGS, sources);
    problems.push(...checkChoices(ENGINE_COMMAND_FLAGS, raw));
    const engineOptions = compileEngineFlags(raw, process.env, problems, (n) =>
      isGiven(ENGINE_COMMAND_FLAGS, n, sources),
    );
    const port = Number(raw.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      problems.push(`--port must be an integer in [0, 65535], got ${String(raw.port)}`);
    const members = compileMembers(raw, problems);
    const cluster = clusterOptions(raw, problems);
    // The engine's own checks of what the flags make (a cluster's TTL against its heartbeat, an advertised address,
    // a store members can share), as usage errors before anything starts.
    if (problems.length === 0 && !members)
      problems.push(
        ...validateEngineOptions({ ...ENGINE_DEFAULTS, ...engineOptions, host: String(raw.host), port, ...cluster }),
      );
    if (problems.length > 0) throw UsageError.of(attributeProblems(problems, ENGINE_COMMAND_FLAGS, sources));
    if (members) {
      const metricsPort = raw.metricsPort === undefined ? undefined : Number(raw.metricsPort);
      process.exitCode = await supervise({
        members: memberSpecs(members.count, port, metricsPort, members.advertiseHost),
        passThrough: passThroughArgs(args, ENGINE_COMMAND_FLAGS),
        stopTimeoutMs: DEFAULT_STOP_TIMEOUT_MS,
        out: (line) => process.stdout.write(`${line}\n`),
      });
      return;
    }
    const verbose = raw.verbose === true;
    const engine = await startEngine({
      ...engineOptions,
      host: String(raw.host),
      port,
      ...cluster,
      ...(verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    });
    process.stdout.write(
      `stampede engine serving WorkflowService on ${engine.address} (store ${engineOptions.store ?? 'memory'}, ${engineOptions.numShards} shards${raw.cluster === true ? ', cluster member' : ''})${engine.metricsPort !== undefined ? `, metrics on http://${String(raw.host)}:${engine.metricsPort}/metrics` : ''}; Ctrl-C to stop\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.stdout.write(`${signal}: stopping engine\n`);
        // A second signal while stopping: the user means now.
        const now = (again: NodeJS.Signals): void => {
          process.stdout.write(`${again}: exiting without waiting\n`);
          process.exit(130);
        };
        process.once('SIGINT', now);
        process.once('SIGTERM', now);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    // engine.stop() is bounded (in-flight work, then the store's connections, each with a deadline); the CLI exits
    // when the command returns, whatever handles a store driver may leave open (bin/stampede.js).
    await engine.stop();
    process.stdout.write('engine stopped\n');
  },
};

/** The cluster flags as engine options (their ranges are the engine's to check: validateEngineOptions). */
function clusterOptions(
  raw: Record<string, unknown>,
  problems: string[],
): {
  cluster: boolean;
  advertiseAddress?: string;
  membershipHeartbeatMs: number;
  membershipTtlMs: number;
} {
  const ms = (flag: 'membership-heartbeat-ms' | 'membership-ttl-ms'): number => {
    const v = Number(raw[flag]);
    if (!Number.isInteger(v)) problems.push(`--${flag} must be an integer (milliseconds), got ${String(raw[flag])}`);
    return v;
  };
  return {
    cluster: raw.cluster === true,
    ...(typeof raw['advertise-address'] === 'string' ? { advertiseAddress: raw['advertise-address'] } : {}),
    membershipHeartbeatMs: ms('membership-heartbeat-ms'),
    membershipTtlMs: ms('membership-ttl-ms'),
  };
}
