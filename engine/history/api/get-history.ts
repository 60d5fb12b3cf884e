/**
 * GetWorkflowExecutionHistory: pages of committed events, the long poll for new events (`waitNewEvent`), and
 * the close-event filter the SDK client's `result()` uses (held until the run closes, then exactly the close
 * event). A poll that times out answers with no events and a page token so the client asks again.
 */
import { CancelledError, InvalidArgumentError } from '../../errors.js';
import { toNumber, type IHistoryEvent } from '../../proto.js';
import type { HistoryContext } from '../context.js';
import type { MutableState } from '../mutable-state.js';
import { cacheKeyOf } from '../transaction.js';
import { transientEvents } from '../state/workflow-task.js';
import { resolveRun } from './resolve.js';

export interface GetHistoryParams {
  namespaceId: string;
  workflowId: string;
  runId: string;
  pageSize: number;
  pageToken: Uint8Array | null | undefined;
  waitNewEvent: boolean;
  closeEventOnly: boolean;
  deadlineMs: number | undefined;
  signal: AbortSignal;
}

export interface GetHistoryResult {
  events: IHistoryEvent[];
  nextPageToken: Uint8Array | undefined;
}

interface Token {
  runId: string;
  /** Next event id to return. */
  next: number;
  /** Store page token within the branch, when a page ended mid-read. */
  store?: string;
  /** A workflow task's history: append the transient attempt's events to the last page. */
  tw?: boolean;
}

function encodeToken(t: Token): Uint8Array {
  return Buffer.from(JSON.stringify(t), 'utf8');
}

/** Longest store cursor accepted back (the stores' own cursors are a few dozen bytes; Cassandra's a few hundred). */
const MAX_STORE_CURSOR_CHARS = 8192;

/**
 * The page token comes back from the client: everything in it is checked, as the stores take the cursor as is.
 * Anything this engine would not have written is Temporal's INVALID_ARGUMENT "Invalid NextPageToken.".
 */
function decodeToken(bytes: Uint8Array): Token {
  const invalid = (): never => {
    throw new InvalidArgumentError('Invalid NextPageToken.');
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid();
  const t = parsed as Record<string, unknown>;
  const { runId, next, store, tw } = t;
  if (typeof runId !== 'string' || runId.length === 0 || runId.length > 1000) return invalid();
  // Event ids start at 1.
  if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 1) return invalid();
  if (tw !== undefined && typeof tw !== 'boolean') return invalid();
  if (store !== undefined) {
    // Canonical base64 of a non-empty cursor: what readPage writes.
    if (typeof store !== 'string' || store.length === 0 || store.length > MAX_STORE_CURSOR_CHARS) return invalid();
    if (Buffer.from(store, 'base64').toString('base64') !== store) return invalid();
  }
  return {
    runId,
    next,
    ...(store !== undefined ? { store: store } : {}),
    ...(tw === true ? { tw: true } : {}),
  };
}

/**
 * A reader that went away stops costing anything: checked before each store read and before the page is handed
 * back (decoding a page of a large history is the expensive part; grpc-js does not serialise a reply to a cancelled
 * call). Tried before: 150 reads of a 39 MB history whose client then disconnected cost ~9 s of full CPU.
 */
function stopIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/** A page this large (encoded) is worth a look at the socket before it is handed back for serialisation. */
const LARGE_PAGE_BYTES = 1024 * 1024;

/**
 * Lets the event loop read its sockets once before a large page is serialised: a burst of reads followed by the
 * client's cancel (or disconnect) arrives as requests first, RST_STREAMs after, and without a poll phase in
 * between every page of the burst would be serialised for nobody. Two check-phase hops straddle one poll phase.
 */
async function yieldToInput(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export async function getHistory(ctx: HistoryContext, p: GetHistoryParams): Promise<GetHistoryResult> {
  const token = p.pageToken && p.pageToken.length > 0 ? decodeToken(p.pageToken) : undefined;
  const { shard, key } = await resolveRun(ctx, p.namespaceId, p.workflowId, token?.runId ?? p.runId);
  const cacheKey = cacheKeyOf(key);
  const pollUntil = Math.min(Date.now() + ctx.config.longPollTimeoutMs, (p.deadlineMs ?? Infinity) - 1000);

  for (;;) {
    stopIfCancelled(p.signal);
    const ms = await ctx.tx.read(shard, key);
    stopIfCancelled(p.signal);
    if (p.closeEventOnly) {
      if (!ms.isRunning()) {
        const id = ms.info.completionEventId;
        const page = await ctx.persistence.executions.readHistoryBranch({
          treeId: ms.info.treeId,
          branchId: ms.info.branchId,
          minEventId: ms.info.lastFirstEventId,
          maxEventId: id + 1,
          pageSize: 1000,
          pageToken: undefined,
        });
        return { events: page.events.filter((e) => toNumber(e.eventId) === id), nextPageToken: undefined };
      }
    } else {
      const next = token?.next ?? 1;
      if (next < ms.info.nextEventId) {
        const { bytes, ...page } = await readPage(ctx, ms, next, p.pageSize, token, p.waitNewEvent);
        if (bytes >= LARGE_PAGE_BYTES) await yieldToInput();
        stopIfCancelled(p.signal);
        return page;
      }
      if (!p.waitNewEvent || !ms.isRunning()) return { events: [], nextPageToken: undefined };
    }
    if (!p.waitNewEvent) return { events: [], nextPageToken: undefined };
    const woke = await ctx.waiters.wait(cacheKey, pollUntil - Date.now(), p.signal);
    if (!woke) {
      // Long poll over: nothing new. Let the client come back for the same position.
      return {
        events: [],
        // (The close-event filter does not read `next`; 1 keeps every token this engine writes valid.)
        nextPageToken: encodeToken({ runId: key.runId, next: token?.next ?? 1 }),
      };
    }
  }
}

async function readPage(
  ctx: HistoryContext,
  ms: MutableState,
  next: number,
  pageSize: number,
  token: Token | undefined,
  follow: boolean,
): Promise<GetHistoryResult & { bytes: number }> {
  const store = token?.store;
  const size = pageSize > 0 ? Math.min(pageSize, ctx.config.historyPageSize) : ctx.config.historyPageSize;
  const page = await ctx.persistence.executions.readHistoryBranch({
    treeId: ms.info.treeId,
    branchId: ms.info.branchId,
    minEventId: next,
    maxEventId: ms.info.nextEventId,
    pageSize: size,
    pageToken: store ? Buffer.from(store, 'base64') : undefined,
  });
  const events = page.events.filter((e) => toNumber(e.eventId) >= next);
  const last = events[events.length - 1];
  const following = last ? toNumber(last.eventId) + 1 : ms.info.nextEventId;
  const more = following < ms.info.nextEventId;
  if (!more && token?.tw) events.push(...transientEvents(ms));
  // A follower of a running workflow always gets a token to wait for what comes next.
  return {
    events,
    bytes: page.batches.reduce((n, b) => n + b.byteLength, 0),
    nextPageToken:
      more || (follow && ms.isRunning())
        ? encodeToken({
            runId: ms.info.runId,
            next: following,
            ...(token?.tw ? { tw: true } : {}),
            ...(more && page.nextPageToken ? { store: Buffer.from(page.nextPageToken).toString('base64') } : {}),
          })
        : undefined,
  };
}
