/**
 * The modules the run's worker threads execute, resolved in one place beside them: the coordinator spawns a thread
 * by its role, never by a path of its own (entries.test.ts checks that each one exists).
 */
import type { ThreadInit } from '../coordinator/protocol.js';
import { threadModule } from './spawn.js';

export const THREAD_ENTRIES: Record<ThreadInit['role'], URL> = {
  starter: threadModule(import.meta.url, './starter.js'),
  poller: threadModule(import.meta.url, './poller.js'),
};
