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
 */
export class TurnBudget {
  private readonly queue: (() => void)[] = [];
  private head = 0;
  private ranThisTurn = 0;
  private turnOpen = false;

  /** @param perTurn tasks run per turn; `Infinity` runs every task at once. */
  constructor(private readonly perTurn: number) {}

  /** Runs `task` now if this turn has room and nothing is waiting, else in a later turn (FIFO). */
  run(task: () => void): void {
    if (!this.turnOpen) this.openTurn();
    if (this.head === this.queue.length && this.ranThisTurn < this.perTurn) {
      this.ranThisTurn++;
      task();
    } else this.queue.push(task);
  }

  /** Tasks waiting for a later turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private openTurn(): void {
    this.turnOpen = true;
    this.ranThisTurn = 0;
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.turnOpen = false;
    if (this.waiting === 0) {
      this.queue.length = 0;
      this.head = 0;
      return;
    }
    this.turnOpen = true;
    this.ranThisTurn = 0;
    try {
      // At least one task per turn, whatever the limit, so the queue always drains.
      do {
        const task = this.queue[this.head] as () => void;
        this.queue[this.head++] = noop;
        this.ranThisTurn++;
        task();
      } while (this.head < this.queue.length && this.ranThisTurn < this.perTurn);
    } finally {
      // Under a sustained overload the queue may never empty: drop the slots already run now and then.
      if (this.head >= 1024) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      // The next turn is armed after this one's tasks, so what they left for the loop (replies to write) goes
      // first; and in a finally, so a task that throws cannot strand the ones behind it.
      this.turnOpen = false;
      if (this.waiting > 0) this.openTurn();
    }
  };
}

function noop(): void {}
