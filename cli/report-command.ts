/** `stampede report`: one self-contained HTML report from one or more results (several overlay runs). */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { renderReport } from '../reports/html/render.js';
import { UsageError } from '../bench/errors.js';
import { readResult } from '../result/read.js';
import { ensureWritableFileDir } from '../result/out-dir.js';
import type { ResultV1 } from '../result/schema.js';
import { addFlags, type FlagDecls } from './flags/flag-decls.js';

const REPORT_FLAGS: FlagDecls = {
  output: {
    type: 'string',
    alias: 'o',
    describe: 'where to write the HTML (default: report.html beside a single result, else ./report.html)',
    group: 'Output:',
  },
  label: {
    type: 'string',
    repeatable: true,
    describe: 'labels for the runs, in order (default: each result label)',
    group: 'Output:',
  },
};

export const reportCommand: CommandModule = {
  command: 'report <results..>',
  describe: 'render one self-contained HTML report from results (several results are overlaid and compared)',
  builder: (y: Argv) =>
    addFlags(
      y.positional('results', {
        type: 'string',
        array: true,
        describe: 'result.json files or the folders holding them',
      }),
      REPORT_FLAGS,
    )
      .example('$0 report results/a', 'one run')
      .example(
        '$0 report results/memory results/cassandra -o compare.html --label memory --label cassandra',
        'two runs overlaid',
      ),
  handler: (args) => {
    const paths = (args.results as string[] | undefined) ?? [];
    if (paths.length === 0) throw new UsageError('name at least one result (result.json or its folder)');
    const labels = (args.label as string[] | undefined) ?? [];
    if (labels.length > paths.length)
      throw new UsageError(`${labels.length} labels for ${paths.length} results: give at most one label per result`);
    const results: ResultV1[] = paths.map((p, i) => {
      const r = readResult(p);
      const label = labels[i];
      return label === undefined ? r : { ...r, label };
    });
    const single = paths[0] as string;
    const defaultOut =
      paths.length === 1
        ? existsSync(single) && statSync(single).isDirectory()
          ? join(single, 'report.html')
          : join(dirname(single), 'report.html')
        : 'report.html';
    const out = ensureWritableFileDir(typeof args.output === 'string' ? args.output : defaultOut, '--output');
    writeFileSync(out, renderReport(results));
    process.stdout.write(`${out}\n`);
  },
};
