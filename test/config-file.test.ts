/**
 * Config files (`stampede run --config`, `stampede engine --config`, `stampede capacity --config`): one option set at each layer shows the
 * precedence defaults < file < environment < flags; every kind of bad file gives exit 2 and one line per problem
 * naming the file and the key (never a stack); and every example under examples/ compiles and plans as a run would,
 * with one of them really run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRunCommand, scenarioFromArgv } from '../cli/run-command.js';
import { planSchedule } from '../bench/executors/index.js';
import type { ResultV1 } from '../result/schema.js';
import { compileOptions } from '../scenarios/sdk/option-specs.js';
import { SCENARIOS } from '../scenarios/index.js';
import { stampede } from './helpers/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

const dir = mkdtempSync(join(tmpdir(), 'stampede-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The flags as yargs hands them to the run handler. */
const flags = (f: Record<string, unknown>): Record<string, unknown> => ({ _: ['run'], $0: 'stampede', ...f });

// The environment of the CLI under test: nothing inherited that could set an option.
const cleanEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('STAMPEDE_'))
    .map((k) => [k, undefined]),
);

describe('precedence: defaults < config file < environment < flags', () => {
  it('takes each option from the highest layer that sets it (compiled in process)', () => {
    const config = file(
      'layers.yaml',
      [
        'scenario: subscription',
        'warmup: 3s # file only',
        'concurrency: 7 # file only',
        'duration: 20s # file, then env',
        'rate: 30 # file, env, flag',
        'cycles: 4 # scenario option, file only',
        'failure-rate: 0.2 # scenario option, file, then env',
        'contact-points: [10.0.0.1, 10.0.0.2:9043] # a list where the flag takes a comma-separated one',
      ].join('\n'),
    );
    const env = { STAMPEDE_DURATION: '40s', STAMPEDE_RATE: '60', STAMPEDE_FAILURE_RATE: '0.3' };
    const { options, problems } = compileRunCommand(flags({ config, rate: '90' }), env, false);
    expect(problems).toEqual([]);
    expect(options.intervalMs).toBe(1000); // default
    expect(options.maxInFlight).toBe(10_000); // default
    expect(options.warmupMs).toBe(3000); // file beats default
    expect(options.vus).toBe(7); // file
    expect(options.durationMs).toBe(40_000); // env beats file
    expect(options.ratePerSec).toBe(90); // flag beats env and file
    expect(options.scenario).toBe('subscription'); // from the file
    expect(options.scenarioOptions).toEqual({ cycles: 4, failureRate: '0.3' });
  });

  it('reads camelCase and kebab-case keys, JSON as YAML, and booleans from the environment', () => {
    const json = file('keys.json', JSON.stringify({ maxInFlight: 50, 'drain-timeout': '5s', report: true }));
    const { options, problems } = compileRunCommand(flags({ config: json }), { STAMPEDE_REPORT: 'false' }, false);
    expect(problems).toEqual([]);
    expect(options.maxInFlight).toBe(50);
    expect(options.drainTimeoutMs).toBe(5000);
    expect(options.report).toBe(false); // env "false" beats the file's true
  });

  it('picks the scenario (whose options become flags) from --scenario, else the environment, else the file', () => {
    const config = file('scenario.yaml', 'scenario: timers\n');
    expect(scenarioFromArgv(['run', '--config', config], {})).toBe('timers');
    expect(scenarioFromArgv(['run', `--config=${config}`], { STAMPEDE_SCENARIO: 'loyalty' })).toBe('loyalty');
    expect(scenarioFromArgv(['run', '--config', config, '--scenario', 'hello'], {})).toBe('hello');
    expect(scenarioFromArgv(['run', '--config', join(dir, 'missing.yaml')], {})).toBe('hello');
  });

  it('shows it in a real run: the result records options from every layer', async () => {
    const out = join(dir, 'precedence-run');
    const config = file(
      'run.yaml',
      ['scenario: hello', 'rate: 10', 'duration: 30s', 'warmup: 5s', 'label: from-file', 'payload-bytes: 8'].join('\n'),
    );
    const r = await stampede(['run', '--config', config, '--rate', '20', '--out', out, '--quiet', '--no-report'], {
      env: { ...cleanEnv, STAMPEDE_DURATION: '2s', STAMPEDE_WARMUP: '0s', STAMPEDE_RATE: '15' },
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
    expect(result.options.ratePerSec).toBe(20); // flag
    expect(result.options.durationMs).toBe(2000); // env
    expect(result.options.warmupMs).toBe(0); // env
    expect(result.label).toBe('from-file'); // file
    expect(result.scenario.options.payloadBytes).toBe(8); // file (a scenario option)
    expect(result.options.intervalMs).toBe(1000); // default
    expect(result.verification.started).toBe(40);
  });
});

describe('config errors: exit 2, one line per problem naming the file and the key, no stack', () => {
  const cases: [string, () => string[], RegExp[]][] = [
    [
      'a file that does not exist',
      () => ['--config', join(dir, 'missing.yaml')],
      [/config file \S*missing\.yaml: cannot read it \(no such file\)/],
    ],
    ['a directory', () => ['--config', dir], [/config file \S+: cannot read it \(it is a directory\)/]],
    [
      'invalid YAML',
      () => ['--config', file('bad.yaml', 'rate: 5\nduration: [30s,\nwarmup: 1s\n')],
      [/config file \S*bad\.yaml:3:1: invalid YAML: /],
    ],
    [
      'invalid JSON',
      () => ['--config', file('bad.json', '{\n  "rate": 5,\n}\n')],
      [/config file \S*bad\.json:3:1: invalid JSON: /],
    ],
    [
      'a list instead of a mapping',
      () => ['--config', file('list.yaml', '- rate: 5\n')],
      [/config file \S*list\.yaml: expected a mapping of option names to values, got a list/],
    ],
    [
      'unknown keys, with the nearest known key',
      () => ['--config', file('unknown.yaml', 'rate: 5\nrte: 5\nmax-in-flite: 3\nzzzzzzzz: 1\n')],
      [
        /config file \S*unknown\.yaml:2: unknown key "rte" \(did you mean "rate"\?\)/,
        /config file \S*unknown\.yaml:3: unknown key "max-in-flite" \(did you mean "max-in-flight"\?\)/,
        /unknown\.yaml:4: unknown key "zzzzzzzz"$/m,
      ],
    ],
    [
      'wrong types and bad values, the scenario options too',
      () => [
        '--config',
        file(
          'values.yaml',
          'scenario: subscription\nrate: fast\nconcurrency: true\nduration: [1]\nquiet:\nperiod: soon\nmaxInFlight: 5\nmax-in-flight: 6\n',
        ),
      ],
      [
        /config file \S*values\.yaml:2: key "rate" must be a positive number of iterations per second, got fast/,
        /values\.yaml:3: key "concurrency" must be a number, got true/,
        /values\.yaml:4: key "duration" must be a string, got a list/,
        /values\.yaml:5: key "quiet" has no value/,
        /values\.yaml:6: key "period" \(scenario subscription\) must be a duration like 30s or 30d, got soon/,
        /values\.yaml:8: key "max-in-flight": sets the same option as key "maxInFlight"; keep one/,
        /^stampede: 6 problems:/,
      ],
    ],
    [
      'an unknown scenario',
      () => ['--config', file('scenario.yaml', 'scenario: nope\n')],
      [/config file \S*scenario\.yaml:1: key "scenario": unknown scenario nope \(available: hello, /],
    ],
  ];

  it.each(cases)('%s', async (_name, args, messages) => {
    const r = await stampede(['run', ...args()], { env: cleanEnv });
    expect(r.code, r.stderr).toBe(2);
    for (const m of messages) expect(r.stderr).toMatch(m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('names the environment variable when a bad value came from there', async () => {
    const r = await stampede(['run', '--config', file('ok.yaml', 'rate: 5\n')], {
      env: { ...cleanEnv, STAMPEDE_WARMUP: 'zzz', STAMPEDE_QUIET: 'maybe' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment variable STAMPEDE_WARMUP must be a duration like 30s, got zzz/);
    expect(r.stderr).toMatch(/environment variable STAMPEDE_QUIET must be true or false, got maybe/);
  });

  it('stampede engine --config: the same errors', async () => {
    const r = await stampede(['engine', '--config', file('engine.yaml', 'shards: 0\nprot: 7233\n')], { env: cleanEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config file \S*engine\.yaml:1: key "shards" must be an integer >= 1, got 0/);
    expect(r.stderr).toMatch(/engine\.yaml:2: unknown key "prot" \(did you mean "port"\?\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('stampede capacity --config', () => {
  it('refuses the run options a search sets itself, a bad slo, unknown keys and bad scenario options, at once', async () => {
    const r = await stampede(
      [
        'capacity',
        '--config',
        file('cap-bad.yaml', 'scenario: subscription\nslo: 5\nrate: 50\nfromm: 10\nperiod: soon\nstep-duration: 3s\n'),
      ],
      { env: cleanEnv },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /cap-bad\.yaml:2: key "slo" must be an SLO such as 'p99\(workflow\)<2s', or a list of them, got 5/,
    );
    expect(r.stderr).toMatch(/cap-bad\.yaml:3: key "rate" does not apply to capacity: the search chooses the rate/);
    expect(r.stderr).toMatch(/cap-bad\.yaml:4: unknown key "fromm" \(did you mean "from"\?\)/);
    expect(r.stderr).toMatch(/cap-bad\.yaml:5: key "period" \(scenario subscription\) must be a duration/);
    // The bad slo leaves none: the search says so too.
    expect(r.stderr).toContain('capacity needs at least one --slo');
    expect(r.stderr).toMatch(/^stampede: 5 problems:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs a search from a file: SLOs as a list, search and scenario options, flags overriding the file', async () => {
    const out = join(dir, 'cap-run');
    const config = file(
      'cap.yaml',
      [
        'scenario: hello',
        'slo:',
        "  - 'p99(workflow)<5s'",
        "  - 'errors<1%'",
        'from: 4',
        'step-duration: 2s',
        'max-steps: 1',
        'prime: false',
        'warmup: 1s',
        'hold: 2s',
        'drain-timeout: 3s',
        'verify-sample: 0',
        'payload-bytes: 64',
        'report: false',
      ].join('\n'),
    );
    const r = await stampede(['capacity', '--config', config, '--from', '6', '--out', out], {
      env: cleanEnv,
      timeoutMs: 90_000,
    });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1 & {
      capacity: { slos: string[]; search: { fromPerSec: number; stepDurationMs: number }; steps: unknown[] };
    };
    expect(result.capacity.slos).toEqual(['p99(workflow)<5s', 'errors<1%']);
    expect(result.capacity.search.fromPerSec).toBe(6);
    expect(result.capacity.search.stepDurationMs).toBe(2000);
    expect(result.capacity.steps).toHaveLength(1);
    expect(result.options.scenarioOptions).toMatchObject({ payloadBytes: 64 });
  });
});

describe('examples/', () => {
  const examples = readdirSync(EXAMPLES).filter((f) => /\.(ya?ml|json)$/.test(f));

  it('has one example per scenario, named after it', () => {
    const named = new Set(examples.map((f) => basename(f, extname(f))));
    expect([...SCENARIOS.keys()].filter((s) => !named.has(s))).toEqual([]);
  });

  it.each(examples)('%s compiles and plans as a run would', (name) => {
    const path = join(EXAMPLES, name);
    const { options, problems } = compileRunCommand(flags({ config: path }), {}, false);
    expect(problems).toEqual([]);
    expect(options.scenario).toBe(basename(name, extname(name)));
    // What the run does next: the scenario's options and its checks, then the executor's schedule.
    const scenario = SCENARIOS.get(options.scenario)!;
    const values = compileOptions(scenario.options, options.scenarioOptions, name);
    expect(values.problems).toEqual([]);
    expect(scenario.check?.(values.values) ?? []).toEqual([]);
    const cap = scenario.iterations?.(values.values);
    const schedule = planSchedule(options.executor, {
      ratePerSec: options.ratePerSec,
      startRatePerSec: options.startRatePerSec,
      stages: options.stages,
      vus: options.vus,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      iterations: cap === undefined ? options.iterations : Math.min(cap, options.iterations ?? Infinity),
    });
    expect(Array.isArray(schedule) ? schedule : []).toEqual([]);
  });

  it('subscription.yaml really runs (shortened by flags), with its scenario options from the file', async () => {
    const out = join(dir, 'example-run');
    const r = await stampede(
      [
        'run',
        '--config',
        join(EXAMPLES, 'subscription.yaml'),
        '--duration',
        '2s',
        '--warmup',
        '0s',
        '--out',
        out,
        '--quiet',
        '--no-report',
      ],
      { env: cleanEnv, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('verdict: PASS');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultV1;
    const file = parse(readFileSync(join(EXAMPLES, 'subscription.yaml'), 'utf8')) as Record<string, unknown>;
    expect(result.scenario.name).toBe('subscription');
    expect(result.scenario.options.cycles).toBe(file.cycles);
    expect(result.options.ratePerSec).toBe(Number.parseFloat(String(file.rate)));
    expect(result.verification.status).toBe('passed');
    expect(result.verification.lost).toBe(0);
  });
});
