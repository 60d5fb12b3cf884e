/**
 * Bounds how many requests the frontend handles in one turn of the event loop before it lets the loop write the
 * replies, as Netty bounds the messages it reads per turn (`maxMessagesPerRead`).
 *
 * grpc-js hands the engine every request that one socket read brought in, one after the other, within a single turn,
 * and the replies are only written when that turn ends (HTTP/2 frames go out from the loop's check phase). Under load
 * one read carries 32 to 64 requests: 3 to 11 ms of engine work on a 2-core machine, during which no reply leaves.
 * A client that could already be working on the first replies sits idle, then the engine sits idle while the client
 * catches up: the two run in lockstep, one at a time. With a limit, the requests past it wait, in arrival order, for
 * the next turn, after the replies so far have been written; the engine and its clients work at the same time.
 *
 * The requests waiting are queued per connection and taken round-robin, one per connection in turn: a client that
 * sends thousands of requests at once (or never reads their replies) delays another connection's request by about
 * one request of its own per turn, not by its whole backlog. Tried before: 3 connections queueing 300 reads of a
 * 1 MB history held a normal client's DescribeNamespace behind them for 1.6 to 4 s.
 */
export class TurnBudget {
  /** Waiting tasks per key; a key is (re)inserted at the end when it takes its turn, so the Map is the rotation. */
  private readonly queues = new Map<string, Fifo>();
  private waitingCount = 0;
  private ranThisTurn = 0;
  private turnOpen = false;

  /** @param perTurn tasks run per turn; `Infinity` runs every task at once. */
  constructor(private readonly perTurn: number) {}

  /**
   * Runs `task` now if this turn has room and nothing is waiting, else in a later turn: FIFO per key (the
   * connection; asked for only when the task has to wait), round-robin across keys.
   */
  run(task: () => void, keyOf: () => string = noKey): void {
    if (!this.turnOpen) this.openTurn();
    if (this.waitingCount === 0 && this.ranThisTurn < this.perTurn) {
      this.ranThisTurn++;
      task();
      return;
    }
    const key = keyOf();
    let q = this.queues.get(key);
    if (!q) {
      q = new Fifo();
      this.queues.set(key, q);
    }
    q.push(task);
    this.waitingCount++;
  }

  /** Tasks waiting for a later turn. */
  get waiting(): number {
    return this.waitingCount;
  }

  private openTurn(): void {
    this.turnOpen = true;
    this.ranThisTurn = 0;
    setImmediate(this.nextTurn);
  }

  /** The next task in rotation: the first key's oldest task; that key goes to the back if it has more. */
  private take(): () => void {
    const first = this.queues.entries().next();
    if (first.done) throw new Error('TurnBudget: no task waiting');
    const [key, q] = first.value;
    const task = q.shift();
    this.queues.delete(key);
    if (q.size > 0) this.queues.set(key, q);
    this.waitingCount--;
    return task;
  }

  private readonly nextTurn = (): void => {
    this.turnOpen = false;
    if (this.waitingCount === 0) return;
    this.turnOpen = true;
    this.ranThisTurn = 0;
    try {
      // At least one task per turn, whatever the limit, so the queues always drain.
      do {
        this.ranThisTurn++;
        this.take()();
      } while (this.waitingCount > 0 && this.ranThisTurn < this.perTurn);
    } finally {
      // The next turn is armed after this one's tasks, so what they left for the loop (replies to write) goes
      // first; and in a finally, so a task that throws cannot strand the ones behind it.
      this.turnOpen = false;
      if (this.waitingCount > 0) this.openTurn();
    }
  };
}

/** A FIFO with O(1) shift that drops the slots already taken now and then. */
class Fifo {
  private items: (() => void)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(task: () => void): void {
    this.items.push(task);
  }

  shift(): () => void {
    const task = this.items[this.head] as () => void;
    this.items[this.head++] = noop;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return task;
  }
}

function noop(): void {}

function noKey(): string {
  return '';
}
