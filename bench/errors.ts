/**
 * Harness errors. Codes are the contract: a UsageError prints its message (no stack) and exits 2; a failed run exits
 * 1 with its message and cause; anything else exits 1 with its stack.
 */
export class UsageError extends Error {
  readonly code = 'USAGE';
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = 'UsageError';
  }

  static of(problems: string[]): UsageError {
    return new UsageError(
      problems.length === 1 ? (problems[0] as string) : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
}

/** The run itself failed (a thread died, verification found lost workflows): exit 1, with a clear message. */
export class RunFailedError extends Error {
  readonly code = 'RUN_FAILED';
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunFailedError';
  }
}

/** An error as it crosses a thread boundary (structured clone loses class and code). */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      ...(code !== undefined
        ? { code: typeof code === 'string' || typeof code === 'number' ? String(code) : JSON.stringify(code) }
        : {}),
      ...(err.stack ? { stack: err.stack } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

export class RemoteError extends Error {
  readonly code: string | undefined;
  constructor(e: SerializedError, where: string) {
    super(`${where}: ${e.message}`);
    this.name = e.name;
    this.code = e.code;
    if (e.stack) this.stack = `${e.name}: ${where}: ${e.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
  }
}
