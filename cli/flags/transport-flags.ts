/**
 * The engine's transport bounds and Temporal's limits as flags (and config keys and environment variables, as every
 * flag): one flag per transport bound (engine/frontend/transport.ts), and `--limit key=value` for the limits, keyed
 * as Temporal's dynamic config keys them (engine/limits.ts). Shared by `stampede engine` and the embedded engine of
 * `stampede run` and `capacity`.
 */
import {
  LIMIT_DEFAULTS,
  LIMIT_KEYS,
  TRANSPORT_DEFAULTS,
  validateLimits,
  type EngineLimits,
  type EngineOptions,
  type TransportOptions,
} from '../../engine/index.js';
import { formatDuration, parseDurationMs } from '../../result/units.js';
import { show } from '../../scenarios/sdk/show.js';
import { kebab, type FlagDecls } from './flag-decls.js';

const G = 'Engine transport and limits:';

/** How each transport bound is typed on the command line: a duration, or a count. */
const TRANSPORT_FLAG_SPECS: Readonly<Record<keyof TransportOptions, { kind: 'duration' | 'count'; describe: string }>> =
  {
    maxConnections: {
      kind: 'count',
      describe: 'open client connections at most; at the cap a new one replaces the longest idle',
    },
    idleTimeoutMs: { kind: 'duration', describe: 'a connection with no call this long gets a GOAWAY and is closed' },
    maxConnectionAgeMs: { kind: 'duration', describe: 'connections are recycled (GOAWAY) after this long' },
    maxConnectionAgeGraceMs: {
      kind: 'duration',
      describe: 'calls in flight on a recycled connection get this long to finish',
    },
    keepaliveTimeMs: { kind: 'duration', describe: 'the engine pings a connection quiet for this long' },
    keepaliveTimeoutMs: { kind: 'duration', describe: 'a ping unanswered this long drops the connection' },
    maxConcurrentStreams: { kind: 'count', describe: 'concurrent calls (HTTP/2 streams) per connection' },
    maxSessionMemoryMb: {
      kind: 'count',
      describe: 'MB HTTP/2 may buffer per connection before it refuses new streams',
    },
    handshakeTimeoutMs: {
      kind: 'duration',
      describe: 'a connection that has not completed the HTTP/2 handshake by then is closed',
    },
    largeMessageBytes: { kind: 'count', describe: 'a request message at least this large (bytes) counts as large' },
    maxLargeMessages: {
      kind: 'count',
      describe: 'large request messages received at once; more are refused (RESOURCE_EXHAUSTED)',
    },
    maxPendingReplyMb: {
      kind: 'count',
      describe: 'MB of replies a connection may hold unsent while its client reads nothing; then it is closed',
    },
  };

/** The flag of a transport bound: its option name without the unit suffix a duration flag takes as text. */
function flagName(name: keyof TransportOptions): string {
  return TRANSPORT_FLAG_SPECS[name].kind === 'duration' ? name.replace(/Ms$/, '') : name;
}

const transportNames = Object.keys(TRANSPORT_FLAG_SPECS) as (keyof TransportOptions)[];

export const TRANSPORT_FLAGS: FlagDecls = {
  ...Object.fromEntries(
    transportNames.map((name) => {
      const spec = TRANSPORT_FLAG_SPECS[name];
      const d = TRANSPORT_DEFAULTS[name];
      return [
        flagName(name),
        {
          type: spec.kind === 'duration' ? 'string' : 'number',
          describe: spec.describe,
          group: G,
          shownDefault: spec.kind === 'duration' ? formatDuration(d) : String(d),
        },
      ];
    }),
  ),
  limit: {
    type: 'string',
    repeatable: true,
    list: true,
    describe: `one of the engine's limits, repeatable, as key=value with Temporal's dynamic config key: ${Object.values(
      LIMIT_KEYS,
    ).join(', ')}`,
    group: G,
  },
};

/** Longest duration a transport bound takes (a week: longer is a typo, not a setting). */
const MAX_DURATION_MS = 7 * 86_400_000;

/** The transport bounds and limits the user set (the engine's defaults stand for the others). */
export function compileTransportFlags(
  raw: Record<string, unknown>,
  problems: string[],
): Pick<EngineOptions, 'transport' | 'limits'> {
  const transport: Partial<TransportOptions> = {};
  for (const name of transportNames) {
    const flag = flagName(name);
    const v = raw[flag];
    if (v === undefined) continue;
    if (TRANSPORT_FLAG_SPECS[name].kind === 'duration') {
      const ms = parseDurationMs(show(v));
      if (ms === undefined || ms < 1 || ms > MAX_DURATION_MS) {
        problems.push(`--${kebab(flag)} must be a duration from 1ms to 7d like 30s, got ${show(v)}`);
        continue;
      }
      transport[name] = Math.round(ms);
    } else {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 1) {
        problems.push(`--${kebab(flag)} must be a positive integer, got ${show(v)}`);
        continue;
      }
      transport[name] = n;
    }
  }
  const limits = compileLimits(raw.limit, problems);
  return {
    ...(Object.keys(transport).length > 0 ? { transport } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

const limitByKey = new Map(
  (Object.keys(LIMIT_KEYS) as (keyof EngineLimits)[]).map((name) => [LIMIT_KEYS[name], name] as const),
);

function compileLimits(raw: unknown, problems: string[]): Partial<EngineLimits> {
  const out: Partial<EngineLimits> = {};
  if (raw === undefined) return out;
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((x) => show(x).split(','));
  for (const item of items) {
    const text = item.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq).trim() : text;
    const name = limitByKey.get(key);
    if (!name) {
      problems.push(`--limit: unknown key ${key} (known: ${[...limitByKey.keys()].join(', ')})`);
      continue;
    }
    const value = Number(eq > 0 ? text.slice(eq + 1).trim() : '');
    if (!Number.isSafeInteger(value) || value < 1) {
      problems.push(`--limit ${key} must be a positive integer (default ${LIMIT_DEFAULTS[name]}), got ${text}`);
      continue;
    }
    out[name] = value;
  }
  // A warning level above its error level, said here as a usage error rather than when the engine starts.
  if (Object.keys(out).length > 0)
    problems.push(...validateLimits({ ...LIMIT_DEFAULTS, ...out }).map((p) => `--limit: ${p}`));
  return out;
}
