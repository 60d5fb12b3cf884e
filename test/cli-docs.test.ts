/**
 * docs/cli.md is generated from the CLI's own declarations (cli/cli-docs.ts). It must be current, and it
 * must cover what the built CLI really offers: every command `stampede --help` lists, every flag each command's
 * `--help` shows, and every scenario option — checked against the help text, independently of the generator.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_DOCS_FILE, cliDocs } from '../cli/cli-docs.js';
import { kebab } from '../scenarios/sdk/option-specs.js';
import { SCENARIOS } from '../scenarios/index.js';
import { stampede } from './helpers/cli.js';

const docs = readFileSync(CLI_DOCS_FILE, 'utf8');

/** The text of one `## ` section of docs/cli.md. */
function section(title: string): string | undefined {
  const start = docs.indexOf(`\n## ${title}\n`);
  if (start < 0) return undefined;
  const end = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, end < 0 ? undefined : end);
}

/** The flags a `--help` output declares, by group ("Scenario hello options", "Engine", ...). */
function helpFlags(help: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  let group = '';
  for (const line of help.split('\n')) {
    const header = /^(\S.*):$/.exec(line);
    if (header) group = header[1] as string;
    const flag = /^\s+(?:-\w, )?--([a-z][a-z0-9-]*)/.exec(line);
    if (flag && !['help', 'version'].includes(flag[1] as string))
      groups.set(group, [...(groups.get(group) ?? []), flag[1] as string]);
  }
  return groups;
}

let commands: string[];

beforeAll(async () => {
  const r = await stampede(['--help']);
  expect(r.code).toBe(0);
  commands = [...r.stdout.matchAll(/^\s+stampede (\S+)/gm)].map((m) => m[1] as string);
});

describe('docs/cli.md', () => {
  it('is current (regenerate it with `npm run docs:cli`)', async () => {
    const expected = await cliDocs(CLI_DOCS_FILE);
    if (docs !== expected) {
      const a = docs.split('\n');
      const b = expected.split('\n');
      const i = a.findIndex((line, n) => line !== b[n]);
      throw new Error(
        `docs/cli.md is not current: run \`npm run docs:cli\` and commit the result.\n` +
          `first difference at line ${i + 1}:\n  docs/cli.md: ${a[i] ?? '(end of file)'}\n  generated:   ${b[i] ?? '(end of file)'}`,
      );
    }
  });

  it('has a section for every command the CLI registers', () => {
    expect(commands.length).toBeGreaterThanOrEqual(8);
    expect(commands.filter((c) => section(`stampede ${c}`) === undefined)).toEqual([]);
  });

  it("documents every flag of every command's --help, scenario options in their scenario's section", async () => {
    const missing: string[] = [];
    for (const c of commands) {
      const r = await stampede([c, '--help']);
      expect(r.code, `stampede ${c} --help`).toBe(0);
      for (const [group, flags] of helpFlags(r.stdout)) {
        const scenario = /^Scenario (\S+) options$/.exec(group)?.[1];
        const text = scenario ? section('Scenario options')?.split(`\n### ${scenario}\n`)[1] : section(`stampede ${c}`);
        for (const f of flags) if (!text?.includes(`\`--${f}\``)) missing.push(`stampede ${c} --${f} (${group})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents every option of every scenario', () => {
    const text = section('Scenario options') ?? '';
    const missing: string[] = [];
    for (const s of SCENARIOS.values()) {
      const own = text.split(`\n### ${s.name}\n`)[1]?.split('\n### ')[0] ?? '';
      for (const name of Object.keys(s.options))
        if (!own.includes(`\`--${kebab(name)}\``)) missing.push(`${s.name} --${kebab(name)}`);
    }
    expect(missing).toEqual([]);
  });
});
