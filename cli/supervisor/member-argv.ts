/**
 * The command line of one member a supervisor starts: `stampede engine` with the flags the user gave (the config file
 * and the STAMPEDE_* environment pass through unchanged, so a secret never moves onto a command line), less those
 * the supervisor sets for each member, then those: `--cluster`, its ports and the address it advertises. The one
 * place to change when the engine's cluster flags change.
 */
import { kebab, type FlagDecls } from '../flags/flag-decls.js';
import { show } from '../../scenarios/sdk/show.js';

/** Set per member by the supervisor, never passed through. */
const PER_MEMBER = new Set(['members', 'port', 'metricsPort', 'advertise-address', 'cluster']);

export interface MemberSpec {
  index: number;
  port: number;
  /** Absent: no metrics endpoint (as the user asked); 0: any free port. */
  metricsPort: number | undefined;
  advertiseAddress: string;
}

/** Flags of `stampede engine` the user gave on the command line (yargs' parse), as arguments again. */
export function passThroughArgs(flags: Record<string, unknown>, decls: FlagDecls): string[] {
  const out: string[] = [];
  for (const name of Object.keys(decls)) {
    if (PER_MEMBER.has(name)) continue;
    const v = flags[name] ?? flags[kebab(name)];
    if (v === undefined) continue;
    const flag = `--${kebab(name)}`;
    if (typeof v === 'boolean') out.push(v ? flag : `--no-${kebab(name)}`);
    else if (Array.isArray(v)) for (const item of v) out.push(`${flag}=${show(item)}`);
    else out.push(`${flag}=${show(v)}`);
  }
  return out;
}

/** The arguments after `stampede` for member `m`. */
export function memberArgs(passThrough: readonly string[], m: MemberSpec): string[] {
  return [
    'engine',
    ...passThrough,
    '--members=1',
    '--cluster',
    `--port=${m.port}`,
    ...(m.metricsPort === undefined ? [] : [`--metrics-port=${m.metricsPort}`]),
    `--advertise-address=${m.advertiseAddress}`,
  ];
}

/** The members of a supervisor's cluster: ports from `port` up, metrics ports from `metricsPort` up (0 stays 0). */
export function memberSpecs(
  count: number,
  port: number,
  metricsPort: number | undefined,
  advertiseHost: string,
): MemberSpec[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    port: port + index,
    metricsPort: metricsPort === undefined || metricsPort === 0 ? metricsPort : metricsPort + index,
    advertiseAddress: `${advertiseHost}:${port + index}`,
  }));
}
