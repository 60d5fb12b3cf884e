/**
 * The `stampede` command line. Usage errors print one clear message and exit 2 (never a stack trace); a failed
 * threshold exits 99; a failed run exits 1; anything unexpected exits 1 with its stack.
 */
import yargs from 'yargs';
import { engineCommand } from './engine-command.js';
import { runCommand } from './run-command.js';
import { scenariosCommand } from './scenarios-command.js';
import { schemaCommand } from './schema-command.js';
import { mergeCommand } from './merge-command.js';
import { reportCommand } from './report-command.js';
import { gateCommand } from './gate-command.js';
import { verifyCommand } from './verify-command.js';
import { capacityCommand } from './capacity-command.js';
import { RunFailedError, UsageError } from '../bench/errors.js';
import { TOOL_VERSION } from '../bench/version.js';

export async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName('stampede')
    .usage(
      'Usage: $0 <command> [options]\n\nLoad testing and benchmarking for durable-execution engines on Cassandra and Astra DB.',
    )
    .command(runCommand(argv))
    .command(engineCommand)
    .command(scenariosCommand)
    .command(schemaCommand)
    .command(mergeCommand)
    .command(reportCommand)
    .command(gateCommand)
    .command(verifyCommand)
    .command(capacityCommand(argv))
    .demandCommand(1, 'name a command (stampede --help lists them)')
    .strict()
    .recommendCommands()
    .epilogue('Docs: README.md and docs/cli.md. Results go to results/<time>-<scenario>/ unless --out is given.')
    .help()
    .alias('h', 'help')
    .version(TOOL_VERSION)
    .wrap(Math.min(120, process.stdout.columns || 120))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      // Throwing stops yargs from running the command after a failed validation.
      throw new UsageError(`${msg}\nRun 'stampede --help' for usage.`);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    return report(err);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

function report(err: unknown): number {
  // A usage error (bench's UsageError, result's ResultFileError) or a failed gate: the message is all there is.
  const exitCode = (err as { exitCode?: unknown } | undefined)?.exitCode;
  if (err instanceof Error && MESSAGE_ONLY.has(codeOf(err)) && typeof exitCode === 'number') {
    process.stderr.write(`stampede: ${err.message}\n`);
    return exitCode;
  }
  if (err instanceof RunFailedError) {
    const cause = err.cause instanceof Error ? `\n  caused by: ${err.cause.stack ?? err.cause.message}` : '';
    process.stderr.write(`stampede: run failed: ${err.message}${cause}\n`);
    return err.exitCode;
  }
  if (isOperational(err)) {
    // The environment, not stampede: an unreachable or unready store, bad engine options. Say what, no stack.
    process.stderr.write(`stampede: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(
    `stampede: unexpected error\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 1;
}

/** Codes of errors that are reported by their message alone, with their own exit code (USAGE 2, THRESHOLD 99). */
const MESSAGE_ONLY = new Set(['USAGE', 'THRESHOLD']);
const OPERATIONAL_CODES = new Set(['UNAVAILABLE', 'TIMEOUT', 'THROTTLED', 'ENGINE_OPTIONS', 'ALREADY_EXISTS']);

function codeOf(err: unknown): string {
  return String((err as { code?: unknown }).code);
}

function isOperational(err: unknown): boolean {
  return err instanceof Error && OPERATIONAL_CODES.has(codeOf(err));
}
