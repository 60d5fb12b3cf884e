import { execFileSync } from 'node:child_process';

let cached: string | null | undefined;

/** The git commit of the working directory, if it is a git checkout (recorded in results). */
export function gitSha(): string | undefined {
  if (cached === undefined) {
    try {
      cached =
        execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
          .toString()
          .trim() || null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
