import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorLog, errorClassOf } from './error-log.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the error log during an outage', () => {
  it('logs each class once per interval and then one summary line, however many calls fail', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = new ErrorLog((l) => lines.push(l), { intervalMs: 10_000, maxClasses: 64 });
    for (let i = 0; i < 50_000; i++) {
      log.report('StartWorkflowExecution UNAVAILABLE', `store unavailable: no host answered (${i})`);
      if (i % 10 === 0) log.report('transfer task failed: StoreUnavailableError', `shard ${i % 4}`);
    }
    expect(lines).toEqual([
      'StartWorkflowExecution UNAVAILABLE: store unavailable: no host answered (0)',
      'transfer task failed: StoreUnavailableError: shard 0',
    ]);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(
      '55000 failures in the last 10 s: 50000 × StartWorkflowExecution UNAVAILABLE, 5000 × transfer task failed: StoreUnavailableError',
    );
    // The next interval starts afresh: its first failure is shown again.
    log.report('StartWorkflowExecution UNAVAILABLE', 'still down');
    expect(lines[3]).toBe('StartWorkflowExecution UNAVAILABLE: still down');
    log.stop();
    expect(lines).toHaveLength(4); // one failure, already shown in full: no summary
    expect(log.total).toBe(55_001);
  });

  it('bounds the classes it tracks: past the cap, failures count as "other"', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = new ErrorLog((l) => lines.push(l), { intervalMs: 1000, maxClasses: 3 });
    for (let i = 0; i < 1000; i++) log.report(`class ${i}`, 'x'.repeat(10_000));
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^other: x{500}\.\.\.$/);
    log.stop();
    expect(lines[4]).toMatch(/^1000 failures in the last 1 s: 997 × other, 1 × class 0/);
  });

  it('classes errors by name and stable code', () => {
    class StoreUnavailableError extends Error {
      readonly code = 'UNAVAILABLE';
      override name = 'StoreUnavailableError';
    }
    expect(errorClassOf(new StoreUnavailableError('x'))).toBe('StoreUnavailableError UNAVAILABLE');
    expect(errorClassOf(new TypeError('x'))).toBe('TypeError');
    expect(errorClassOf('x')).toBe('string');
  });
});
