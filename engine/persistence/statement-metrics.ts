/**
 * Per statement class: count, latency (HDR, µs), errors, and for conditional writes (LWTs) the outcome of each
 * attempt — applied, not applied by which condition, CAS write timeout (outcome unknown), unavailable, other.
 * cassandra-stress counts every LWT as a success; this is what it leaves out. On a SQL store the conditional unit
 * is the transaction: committed ('applied'), a condition found false, or rolled back by the database
 * (serialization failure, deadlock).
 */
import * as hdr from 'hdr-histogram-js';
import type { PersistenceStatementStats, StatementCounts } from '../admin/stats-types.js';
import { newLatencyHistogram } from '../stats.js';
import { StoreError, TransactionConflictError, type StoreErrorCode } from './errors.js';

export type StatementOutcome =
  | 'applied'
  | 'shard_ownership_lost'
  | 'current_workflow_condition_failed'
  | 'workflow_condition_failed'
  | 'condition_failed'
  | 'lease_lost'
  | 'already_exists'
  | 'cas_timeout'
  | 'timeout'
  | 'unavailable'
  | 'throttled'
  | 'batch_too_large'
  | 'serialization_failure'
  | 'deadlock'
  | 'other';

const OUTCOME_BY_CODE: Partial<Record<StoreErrorCode, StatementOutcome>> = {
  SHARD_OWNERSHIP_LOST: 'shard_ownership_lost',
  CURRENT_WORKFLOW_CONDITION_FAILED: 'current_workflow_condition_failed',
  WORKFLOW_CONDITION_FAILED: 'workflow_condition_failed',
  CONDITION_FAILED: 'condition_failed',
  TASK_QUEUE_LEASE_LOST: 'lease_lost',
  ALREADY_EXISTS: 'already_exists',
  UNAVAILABLE: 'unavailable',
  THROTTLED: 'throttled',
  BATCH_TOO_LARGE: 'batch_too_large',
};

/** The outcome a failed statement counts as. */
function outcomeOf(err: unknown): StatementOutcome {
  if (err instanceof TransactionConflictError) return err.reason;
  if (err instanceof StoreError) {
    if (err.code === 'TIMEOUT') return (err as { conditional?: boolean }).conditional ? 'cas_timeout' : 'timeout';
    return OUTCOME_BY_CODE[err.code] ?? 'other';
  }
  return 'other';
}

interface ClassStats {
  count: number;
  errors: number;
  /** Attempts refused for the store's rate (every statement, conditional or not). */
  throttled: number;
  /** Batches refused for their size (every batch, conditional or not). */
  batchTooLarge: number;
  hist: hdr.Histogram;
  outcomes: Map<StatementOutcome, number> | undefined;
  /** Size in bytes of each logged batch of this class (its bound values), when the class is a batch. */
  batchBytes: hdr.Histogram | undefined;
  /** Warnings the server attached to this class's responses (a batch over its warn threshold, tombstones, ...). */
  serverWarnings: number;
  /** The first few distinct warning texts, as the server worded them. */
  warningSamples: string[];
}

/** Distinct server-warning texts kept per statement class, and the length each is cut to. */
const WARNING_SAMPLES = 3;
const WARNING_SAMPLE_CHARS = 300;

export class StatementMetrics {
  private readonly classes = new Map<string, ClassStats>();

  private get(name: string): ClassStats {
    let c = this.classes.get(name);
    if (!c) {
      c = {
        count: 0,
        errors: 0,
        throttled: 0,
        batchTooLarge: 0,
        hist: newLatencyHistogram(),
        outcomes: undefined,
        batchBytes: undefined,
        serverWarnings: 0,
        warningSamples: [],
      };
      this.classes.set(name, c);
    }
    return c;
  }

  /** One statement. `conditional` statements also count their outcome. */
  record(name: string, latencyUs: number, conditional: boolean, err?: unknown): void {
    const c = this.get(name);
    c.count += 1;
    if (err !== undefined && !(conditional && err instanceof StoreError && err.applied === 'no' && isCondition(err)))
      c.errors += 1;
    c.hist.recordValue(Math.max(1, Math.round(latencyUs)));
    if (err instanceof StoreError && err.code === 'THROTTLED') c.throttled += 1;
    if (err instanceof StoreError && err.code === 'BATCH_TOO_LARGE') c.batchTooLarge += 1;
    if (conditional) {
      c.outcomes ??= new Map();
      const o: StatementOutcome = err === undefined ? 'applied' : outcomeOf(err);
      c.outcomes.set(o, (c.outcomes.get(o) ?? 0) + 1);
    }
  }

  /** The size of one logged batch of class `name`, in bytes (sent, whether or not it was then applied). */
  recordBatchBytes(name: string, bytes: number): void {
    const c = this.get(name);
    c.batchBytes ??= newSizeHistogram();
    c.batchBytes.recordValue(Math.max(1, Math.round(bytes)));
  }

  /**
   * Warnings the server sent with a response of class `name` (Cassandra 2.2+ and Astra attach them to the result:
   * a logged batch over batch_size_warn_threshold, too many tombstones read, ...). The statement succeeded.
   */
  recordServerWarnings(name: string, warnings: readonly string[]): void {
    if (warnings.length === 0) return;
    const c = this.get(name);
    c.serverWarnings += warnings.length;
    for (const w of warnings) {
      if (c.warningSamples.length >= WARNING_SAMPLES) break;
      const text = w.length > WARNING_SAMPLE_CHARS ? `${w.slice(0, WARNING_SAMPLE_CHARS)}…` : w;
      // Batch warnings name the batch's size, which varies: compare without the numbers.
      const shape = (t: string): string => t.replace(/\d+/g, '#');
      if (!c.warningSamples.some((x) => shape(x) === shape(text))) c.warningSamples.push(text);
    }
  }

  /** Times `fn` as one statement of class `name` (a synchronous throw counts, and is returned as a rejection). */
  time<T>(name: string, conditional: boolean, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let p: Promise<T>;
    try {
      p = Promise.resolve(fn());
    } catch (err) {
      this.record(name, (performance.now() - t0) * 1000, conditional, err);
      // (A rejection of whatever was thrown, as an async function would give.)
      return Promise.resolve().then(() => {
        throw err;
      });
    }
    return p.then(
      (r) => {
        this.record(name, (performance.now() - t0) * 1000, conditional);
        return r;
      },
      (err: unknown) => {
        this.record(name, (performance.now() - t0) * 1000, conditional, err);
        throw err;
      },
    );
  }

  snapshot(): Record<string, PersistenceStatementStats> {
    const out: Record<string, PersistenceStatementStats> = {};
    for (const [name, c] of this.classes) {
      out[name] = {
        count: c.count,
        errors: c.errors,
        latencyUs: hdr.encodeIntoCompressedBase64(c.hist),
        ...(c.outcomes ? { outcomes: Object.fromEntries(c.outcomes) } : {}),
        ...(c.throttled > 0 ? { throttled: c.throttled } : {}),
        ...(c.batchTooLarge > 0 ? { batchTooLarge: c.batchTooLarge } : {}),
        ...(c.batchBytes ? { batchBytes: hdr.encodeIntoCompressedBase64(c.batchBytes) } : {}),
        ...(c.serverWarnings > 0
          ? { serverWarnings: c.serverWarnings, serverWarningSamples: [...c.warningSamples] }
          : {}),
      };
    }
    return out;
  }

  /** Counts only (cheap, for per-interval sampling). */
  counts(): Record<string, StatementCounts> {
    const out: Record<string, StatementCounts> = {};
    for (const [name, c] of this.classes)
      out[name] = {
        count: c.count,
        ...(c.outcomes ? { outcomes: Object.fromEntries(c.outcomes) } : {}),
        ...(c.throttled > 0 ? { throttled: c.throttled } : {}),
        ...(c.batchTooLarge > 0 ? { batchTooLarge: c.batchTooLarge } : {}),
        ...(c.serverWarnings > 0 ? { serverWarnings: c.serverWarnings } : {}),
      };
    return out;
  }

  /** Raw histograms and counts, for the Prometheus exposition. */
  entries(): IterableIterator<
    [
      string,
      {
        count: number;
        errors: number;
        hist: hdr.Histogram;
        outcomes: Map<string, number> | undefined;
        serverWarnings: number;
      },
    ]
  > {
    return this.classes.entries();
  }
}

/** Batch sizes from 1 byte to 16 MiB (Cassandra's default native frame limit is 256 MB; 16 MiB is far past any guardrail). */
function newSizeHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 16 * 1024 * 1024,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

function isCondition(err: StoreError): boolean {
  return (
    err.code === 'SHARD_OWNERSHIP_LOST' ||
    err.code === 'CURRENT_WORKFLOW_CONDITION_FAILED' ||
    err.code === 'WORKFLOW_CONDITION_FAILED' ||
    err.code === 'CONDITION_FAILED' ||
    err.code === 'TASK_QUEUE_LEASE_LOST' ||
    err.code === 'ALREADY_EXISTS'
  );
}
