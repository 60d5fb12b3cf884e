/** `stampede scenarios`: the workloads, what each stresses, and their options. */
import type { CommandModule } from 'yargs';
import { SCENARIOS } from '../scenarios/index.js';
import { kebab } from '../scenarios/sdk/option-specs.js';
import { addFlags, type FlagDecls } from './flags/flag-decls.js';

const SCENARIOS_FLAGS: FlagDecls = {
  json: { type: 'boolean', describe: 'print as JSON', group: 'Output:' },
};

export const scenariosCommand: CommandModule = {
  command: 'scenarios',
  describe: 'list the scenarios with what they stress and their options',
  builder: (y) => addFlags(y, SCENARIOS_FLAGS),
  handler: (args) => {
    if (args.json) {
      const out = [...SCENARIOS.values()].map((s) => ({
        name: s.name,
        summary: s.summary,
        stresses: s.stresses,
        options: s.options,
      }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    for (const s of SCENARIOS.values()) {
      lines.push(`${s.name} — ${s.summary}`);
      lines.push(`  ${s.stresses}`);
      const width = Math.max(0, ...Object.keys(s.options).map((n) => kebab(n).length)) + 2;
      for (const [name, o] of Object.entries(s.options)) {
        lines.push(`  --${kebab(name).padEnd(width)} ${o.describe} [${o.type}, default ${String(o.default)}]`);
      }
      lines.push('');
    }
    lines.push('Run one: stampede run --scenario <name> [options]; see stampede run --scenario <name> --help');
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
