import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { THREAD_ENTRIES } from './entries.js';
import { threadModule } from './spawn.js';

describe('thread entries', () => {
  it('name modules that exist and run a thread', () => {
    for (const [role, url] of Object.entries(THREAD_ENTRIES)) {
      const file = fileURLToPath(url);
      expect(existsSync(file), `${role}: ${file}`).toBe(true);
      expect(readFileSync(file, 'utf8'), role).toContain('runThread(');
    }
  });

  it('resolve with the extension their declaring module runs with', () => {
    expect(threadModule('file:///x/bench/threads/entries.ts', './starter.js').href).toBe(
      'file:///x/bench/threads/starter.ts',
    );
    expect(threadModule('file:///x/dist/bench/threads/entries.js', './starter.js').href).toBe(
      'file:///x/dist/bench/threads/starter.js',
    );
  });
});
