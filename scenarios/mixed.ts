/**
 * mixed — a weighted mix of the other scenarios at one total rate: each iteration picks a scenario by weight
 * and runs that scenario's iteration; workflow tasks are routed to the decider of their workflow type.
 *
 * What this stresses: everything at once, as production sees it — short workflows, durable timers, fan-in
 * signals and long-lived accounts sharing shards, task queues and the store. Every component keeps its own
 * options (as `--<scenario>-<option>`) and its own end-of-run invariants.
 */
import {
  compileOptions,
  defineScenario,
  type AnyScenario,
  type Command,
  type Decision,
  type FinishContext,
  type OptionSpec,
  type OptionSpecs,
  type OptionValues,
  type VerifyContext,
} from './sdk/index.js';
import { children } from './children.js';
import { hello } from './hello.js';
import { loyalty } from './loyalty.js';
import { schedules } from './schedules.js';
import { signalStorm } from './signal-storm.js';
import { subscription } from './subscription.js';
import { throughputStress } from './throughput-stress.js';
import { timers } from './timers.js';
import { updates } from './updates.js';

const COMPONENTS: readonly AnyScenario[] = [
  hello,
  subscription,
  timers,
  signalStorm,
  loyalty,
  children,
  updates,
  schedules,
  throughputStress,
];

/** Component options that do not apply inside the mix (the mix's arrivals are shared). */
const MIX_EXCLUDED: Record<string, readonly string[]> = { subscription: ['customers'] };

/** Defaults that differ inside the mix: durable waits short enough that every workflow closes in the run. */
const MIX_DEFAULTS: Record<string, Record<string, string | number>> = {
  subscription: { period: '2s', cycles: 2 },
  timers: { delay: '2s', jitter: '500ms' },
  children: { linger: '2s' },
  // One firing per chain: at the mix's time scale a cron period is at least a minute of virtual time.
  schedules: { fires: 1 },
};

function prefixOf(s: AnyScenario): string {
  return s.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function optionName(s: AnyScenario, option: string): string {
  return `${prefixOf(s)}${option[0]?.toUpperCase() ?? ''}${option.slice(1)}`;
}

/** The components' options, each under its scenario's prefix (e.g. subscriptionPeriod: --subscription-period). */
function componentOptions(): OptionSpecs {
  const out: Record<string, OptionSpec> = {};
  for (const s of COMPONENTS) {
    for (const [name, spec] of Object.entries(s.options)) {
      if (MIX_EXCLUDED[s.name]?.includes(name)) continue;
      const d = MIX_DEFAULTS[s.name]?.[name];
      out[optionName(s, name)] = {
        ...spec,
        describe: `${s.name}: ${spec.describe}`,
        ...(d === undefined ? {} : { default: d }),
      } as OptionSpec;
    }
  }
  return out;
}

const DEFAULT_WEIGHTS = 'hello:4,subscription:2,timers:1,signal-storm:1,loyalty:2';

/** Parses "name:weight,..." into weights by component, or the problems found. */
function parseWeights(spec: string): Map<AnyScenario, number> | string[] {
  const problems: string[] = [];
  const out = new Map<AnyScenario, number>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z-]+):(\d+(?:\.\d+)?)$/.exec(part);
    const s = m ? COMPONENTS.find((c) => c.name === m[1]) : undefined;
    if (!m || !s) {
      problems.push(
        `scenario mixed --weights: "${part}" is not <scenario>:<weight> with scenario one of ${COMPONENTS.map((c) => c.name).join(', ')}`,
      );
      continue;
    }
    out.set(s, Number(m[2]));
  }
  if (problems.length === 0 && [...out.values()].reduce((a, b) => a + b, 0) <= 0)
    problems.push('scenario mixed --weights: the weights must add up to more than 0');
  return problems.length > 0 ? problems : out;
}

function defaultsOf(s: AnyScenario): Record<string, unknown> {
  return compileOptions(s.options, {}, s.name).values;
}

type MixValues = OptionValues<OptionSpecs> & { weights: string };

/** The option values of one component, taken from the mix's prefixed options. */
function valuesOf(s: AnyScenario, o: MixValues): OptionValues<OptionSpecs> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(s.options)) out[name] = o[optionName(s, name)] ?? defaultsOf(s)[name];
  return out as OptionValues<OptionSpecs>;
}

function active(o: MixValues): [AnyScenario, number][] {
  const w = parseWeights(o.weights);
  return Array.isArray(w) ? [] : [...w].filter(([, n]) => n > 0);
}

/** Workflow ids of a component carry its name, so each component's checks see only its own workflows. */
function marker(s: AnyScenario): string {
  return `mix.${s.name}.`;
}

function byType(): Map<string, AnyScenario> {
  const out = new Map<string, AnyScenario>();
  for (const s of COMPONENTS) for (const t of s.workflowTypes) out.set(t, s);
  return out;
}
const ROUTES = byType();

function activities(): AnyScenario['activities'] {
  const out: AnyScenario['activities'] = {};
  for (const s of COMPONENTS) {
    for (const [name, fn] of Object.entries(s.activities)) {
      if (name in out) throw new Error(`mixed: activity type ${name} is declared by two scenarios`);
      // An activity runs with its own scenario's option values.
      out[name] = (input, ctx, o) => fn(input, ctx, valuesOf(s, o as MixValues));
    }
  }
  return out;
}

function filtered<T>(m: ReadonlyMap<string, T>, s: AnyScenario): Map<string, T> {
  return new Map([...m].filter(([id]) => id.includes(marker(s))));
}

export const mixed = defineScenario({
  name: 'mixed',
  summary: 'a weighted mix of the other scenarios at one total rate',
  workflowTypes: COMPONENTS.flatMap((s) => s.workflowTypes),
  stresses:
    'Everything at once, as production sees it: short workflows, durable timers, fan-in signals and long-lived accounts sharing shards, task queues and the store, each with its own invariants.',
  options: {
    weights: {
      type: 'string',
      default: DEFAULT_WEIGHTS,
      describe: 'relative weights, <scenario>:<weight>,...',
    },
    ...componentOptions(),
  },
  check(o) {
    const mix = o as MixValues;
    const w = parseWeights(mix.weights);
    if (Array.isArray(w)) return w;
    return [...w.keys()].flatMap((s) => s.check?.(valuesOf(s, mix)) ?? []);
  },
  timeScale(o) {
    // The mix runs at the smallest time scale any weighted component asks for (real time when one has none).
    const scales = active(o as MixValues).map(([s]) => s.timeScale?.(valuesOf(s, o as MixValues)) ?? 1);
    return scales.length > 0 ? Math.min(...scales) : 1;
  },
  thresholds(o) {
    return active(o as MixValues).flatMap(([s]) => s.thresholds?.(valuesOf(s, o as MixValues)) ?? []);
  },
  async iterate(ctx, o) {
    const mix = active(o);
    const total = mix.reduce((n, [, w]) => n + w, 0);
    let pick = ctx.random() * total;
    const [s] = mix.find(([, w]) => (pick -= w) < 0) ?? mix[mix.length - 1] ?? [];
    if (!s) return;
    ctx.count(`mixed_${s.name}`);
    await s.iterate({ ...ctx, workflowId: (suffix) => ctx.workflowId(`${marker(s)}${suffix}`) }, valuesOf(s, o));
  },
  decide(task, o, ctx): Command[] | Decision {
    const s = ROUTES.get(task.workflowType);
    if (!s) throw new Error(`mixed: no scenario handles workflow type ${task.workflowType}`);
    return s.decide(task, valuesOf(s, o), ctx);
  },
  query(task, queryType, args, o) {
    const s = ROUTES.get(task.workflowType);
    if (!s?.query) throw new Error(`mixed: workflow type ${task.workflowType} answers no queries`);
    return s.query(task, queryType, args, valuesOf(s, o));
  },
  activities: activities(),
  closesDuringRun: (o, env) =>
    active(o as MixValues).every(([s]) => s.closesDuringRun(valuesOf(s, o as MixValues), env)),
  async finish(ctx: FinishContext, o) {
    for (const [s] of active(o)) {
      await s.finish?.({ ...ctx, expected: filtered(ctx.expected, s) }, valuesOf(s, o));
    }
  },
  async verify(v: VerifyContext, o) {
    const problems: string[] = [];
    const ids = await v.workflowIds();
    for (const [s] of active(o)) {
      if (!s.verify) continue;
      const mine = ids.filter((id) => id.includes(marker(s)));
      const sub: VerifyContext = { ...v, expected: filtered(v.expected, s), workflowIds: () => Promise.resolve(mine) };
      problems.push(...(await s.verify(sub, valuesOf(s, o))));
    }
    return problems;
  },
});
