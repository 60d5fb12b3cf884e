/**
 * `stampede engine --members N`: the flags of the supervisor that starts N engine processes as the members of one
 * cluster on one store (cli/supervisor). Declared apart from the engine's own flags.
 */
import { show } from '../../scenarios/sdk/show.js';
import type { FlagDecls } from './flag-decls.js';

export const MAX_MEMBERS = 64;
/** How long members get to stop after SIGTERM/SIGINT before they are killed. */
export const DEFAULT_STOP_TIMEOUT_MS = 20_000;

export const SUPERVISOR_FLAGS: FlagDecls = {
  members: {
    type: 'number',
    default: 1,
    describe:
      'start this many engine processes as the members of one cluster on the store (gRPC ports --port..--port+N-1, metrics ports likewise); needs a shared store (cassandra or postgres)',
    group: 'Server:',
  },
};

export interface MembersPlan {
  count: number;
  /** The host each member advertises (with its own port) to the others and to clients. */
  advertiseHost: string;
}

const WILDCARD = /^(0\.0\.0\.0|::|\[::\])$/;

/** The supervisor's plan from the engine's raw options, or problems (only when --members is above 1). */
export function compileMembers(raw: Record<string, unknown>, problems: string[]): MembersPlan | undefined {
  const count = Number(raw.members ?? 1);
  if (!Number.isInteger(count) || count < 1 || count > MAX_MEMBERS) {
    problems.push(`--members must be an integer in [1, ${MAX_MEMBERS}], got ${show(raw.members)}`);
    return undefined;
  }
  if (count === 1) return undefined;
  const before = problems.length;
  if ((raw.store ?? 'memory') === 'memory')
    problems.push(
      `--members ${count} needs a store the members share: --store cassandra or postgres (the memory store lives in one process)`,
    );
  const port = Number(raw.port);
  if (port === 0)
    problems.push(`--members ${count} needs a fixed --port (the members take --port..--port+${count - 1})`);
  else if (Number.isInteger(port) && port + count - 1 > 65535)
    problems.push(`--port ${port} leaves no room for ${count} members (ports up to ${port + count - 1})`);
  const metricsPort = raw.metricsPort === undefined ? undefined : Number(raw.metricsPort);
  if (metricsPort !== undefined && metricsPort > 0 && metricsPort + count - 1 > 65535)
    problems.push(`--metrics-port ${metricsPort} leaves no room for ${count} members`);
  if (metricsPort !== undefined && metricsPort > 0 && Math.abs(metricsPort - port) < count)
    problems.push(
      `--metrics-port ${metricsPort} overlaps the members' gRPC ports ${port}..${port + count - 1}: leave ${count} ports between them`,
    );
  const host = show(raw.host ?? '127.0.0.1');
  const advertised = raw['advertise-address'] === undefined ? undefined : show(raw['advertise-address']);
  // The advertised host is the user's (its port, if any, is replaced by each member's own).
  const advertiseHost = advertised?.replace(/:\d+$/, '') ?? (WILDCARD.test(host) ? undefined : host);
  if (advertiseHost === undefined)
    problems.push(
      `--members ${count} listening on ${host} needs --advertise-address <host> (each member advertises it with its own port)`,
    );
  return problems.length > before || advertiseHost === undefined ? undefined : { count, advertiseHost };
}
