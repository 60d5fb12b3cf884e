/** `stampede merge`: combine the results of one run's segments into one result, interval log and report. */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { renderReport } from '../reports/html/render.js';
import { mergeResults, type MergeInput } from '../reports/merge.js';
import { HlogWriter } from '../result/hlog.js';
import { readBoundedText, readResult, resultFile } from '../result/read.js';
import { ensureWritableDir } from '../result/out-dir.js';
import { addFlags, type FlagDecls } from './flags/flag-decls.js';

const MERGE_FLAGS: FlagDecls = {
  out: { type: 'string', describe: 'output folder (default: results/<time>-merged)', group: 'Output:' },
  allowPartial: {
    type: 'boolean',
    default: false,
    describe: 'merge what is there when segments are missing (the result names them and its verdict is partial)',
    group: 'Inputs:',
  },
};

export const mergeCommand: CommandModule = {
  command: 'merge <results..>',
  describe: 'combine the results of several --segment processes (or machines) of one run into one result',
  builder: (y: Argv) =>
    addFlags(
      y.positional('results', {
        type: 'string',
        array: true,
        describe: 'result.json files or the folders holding them',
      }),
      MERGE_FLAGS,
    )
      .example('$0 merge results/a results/b --out results/merged', 'two segment runs into one')
      .example(
        '$0 merge results/seg-* --out results/merged && $0 gate --current results/merged --threshold "p99(start)<50ms"',
        'the verdict of a distributed run',
      ),
  handler: async (args) => {
    const paths = (args.results as string[] | undefined) ?? [];
    const inputs: MergeInput[] = paths.map((p) => {
      const file = resultFile(p);
      const result = readResult(file);
      const hlogPath = join(dirname(file), result.files.hlog ?? 'intervals.hlog');
      return { result, hlog: existsSync(hlogPath) ? readBoundedText(hlogPath, 'interval log') : undefined, source: p };
    });
    const { result, intervalHistograms, warnings, notes } = mergeResults(inputs, {
      allowPartial: args.allowPartial === true,
    });
    const out = resolve(
      typeof args.out === 'string'
        ? args.out
        : join('results', `${new Date().toISOString().replace(/[:.]/g, '-')}-merged`),
    );
    ensureWritableDir(out, '--out', true);
    const hlog = new HlogWriter(
      join(out, 'intervals.hlog'),
      result.timing.t0Ms,
      `stampede merge of ${inputs.length} results`,
    );
    for (const [index, hists] of [...intervalHistograms].sort((a, b) => a[0] - b[0])) {
      hlog.interval(index * result.timing.intervalMs, (index + 1) * result.timing.intervalMs, hists);
    }
    await hlog.close();
    writeFileSync(join(out, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(out, 'report.html'), renderReport([result]));
    for (const w of warnings) process.stderr.write(`stampede: warning: ${w}\n`);
    process.stdout.write(
      `merged ${inputs.length} results: ${result.verification.started} workflows started, verification ${result.verification.status}\n${notes.map((n) => `${n}\n`).join('')}${out}/result.json\n`,
    );
  },
};
