/**
 * A result file, or a set of them, that cannot be used: unreadable, not a stampede result, a schema version this
 * build does not read, results that do not merge. The code is the contract (as for the harness's UsageError): the
 * CLI prints the message without a stack and exits 2.
 */
export class ResultFileError extends Error {
  readonly code = 'USAGE';
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ResultFileError';
  }

  static of(problems: string[]): ResultFileError {
    return new ResultFileError(
      problems.length === 1 ? (problems[0] as string) : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
    );
  }
}
