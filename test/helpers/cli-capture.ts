/**
 * What the real CLI would have started, captured instead: a test file mocks the engine's and the run's entry points
 * with these factories, then runs a command line through `main` (see cli-lines.ts `startAs`). The mocks throw
 * SENTINEL once they hold the options, so nothing starts and the CLI's own parsing and validation all ran.
 *
 *   vi.mock('../engine/index.js', async (original) =>
 *     (await import('./helpers/cli-capture.js')).captureEngine(await original()));
 *   vi.mock('../bench/run/run.js', async (original) =>
 *     (await import('./helpers/cli-capture.js')).captureRun(await original()));
 *
 * Only type imports of the mocked modules here: this module is loaded from inside their mock factories.
 */
import type * as EngineModule from '../../engine/index.js';
import type * as RunModule from '../../bench/run/run.js';

export const SENTINEL = 'cli test: options captured instead of starting';

export const captured = {
  engine: [] as unknown[],
  schema: [] as unknown[],
  run: [] as unknown[],
};

export function clearCaptured(): void {
  captured.engine.length = 0;
  captured.schema.length = 0;
  captured.run.length = 0;
}

const into =
  (list: unknown[]) =>
  (options: unknown): Promise<never> => {
    list.push(options);
    return Promise.reject(new Error(SENTINEL));
  };

/** engine/index.js with startEngine and the schema tools capturing their options. */
export function captureEngine(original: typeof EngineModule): typeof EngineModule {
  return {
    ...original,
    startEngine: into(captured.engine),
    createCassandraSchema: into(captured.schema),
    verifyCassandraSchema: into(captured.schema),
  };
}

/** bench/run/run.js with startRun capturing its options. */
export function captureRun(original: typeof RunModule): typeof RunModule {
  return {
    ...original,
    startRun: (options: unknown): never => {
      captured.run.push(options);
      throw new Error(SENTINEL);
    },
  };
}
