import { describe, expect, it } from 'vitest';
import { TurnBudget } from './turn-budget.js';

/** One turn of the real event loop: resolves from the check phase, after the immediates queued before it. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnBudget', () => {
  it('runs tasks at once up to the limit, the rest in later turns, in arrival order', async () => {
    const budget = new TurnBudget(3);
    const ran: string[] = [];
    // Task 3 also leaves work for the event loop (as a reply to be written is), which must run before the next turn's
    // tasks.
    for (let i = 0; i < 8; i++)
      budget.run(() => {
        ran.push(`task ${i}`);
        if (i === 3) setImmediate(() => ran.push('loop work from task 3'));
      });
    expect(ran).toEqual(['task 0', 'task 1', 'task 2']);
    expect(budget.waiting).toBe(5);

    await nextTurn();
    expect(ran.slice(3)).toEqual(['task 3', 'task 4', 'task 5']);
    await nextTurn();
    await nextTurn();
    expect(ran.slice(6)).toEqual(['loop work from task 3', 'task 6', 'task 7']);
    expect(budget.waiting).toBe(0);
  });

  it('puts a task behind waiting ones even when its turn has room', async () => {
    const budget = new TurnBudget(3);
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c']) budget.run(() => ran.push(name));
    // Past the limit: d and e wait. When d runs, next turn, it submits f while e still waits; the turn has room
    // for two more, yet f goes after e.
    budget.run(() => {
      ran.push('d');
      budget.run(() => ran.push('f'));
    });
    budget.run(() => ran.push('e'));
    expect(ran).toEqual(['a', 'b', 'c']);
    await nextTurn();
    expect(ran).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('starts each turn with the full limit once the queue is empty', async () => {
    const budget = new TurnBudget(2);
    const ran: number[] = [];
    budget.run(() => ran.push(0));
    budget.run(() => ran.push(1));
    await nextTurn();
    budget.run(() => ran.push(2));
    budget.run(() => ran.push(3));
    expect(ran).toEqual([0, 1, 2, 3]);
  });

  it('with no limit runs everything at once', () => {
    const budget = new TurnBudget(Infinity);
    const ran: number[] = [];
    for (let i = 0; i < 100; i++) budget.run(() => ran.push(i));
    expect(ran).toHaveLength(100);
    expect(budget.waiting).toBe(0);
  });

  it('drains a long queue over many turns, keeping order', async () => {
    const budget = new TurnBudget(1);
    const ran: number[] = [];
    for (let i = 0; i < 3000; i++) budget.run(() => ran.push(i));
    expect(ran).toEqual([0]);
    while (budget.waiting > 0) await nextTurn();
    expect(ran).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});

describe('TurnBudget across connections', () => {
  it('takes waiting tasks round-robin per key, FIFO within a key', async () => {
    const budget = new TurnBudget(2);
    const ran: string[] = [];
    budget.run(
      () => ran.push('first'),
      () => 'flood',
    );
    budget.run(
      () => ran.push('second'),
      () => 'flood',
    );
    // A flood of 100 from one connection, then one from another: the other's waits one turn, not 50.
    for (let i = 0; i < 100; i++)
      budget.run(
        () => ran.push(`flood ${i}`),
        () => 'flood',
      );
    budget.run(
      () => ran.push('normal'),
      () => 'normal',
    );
    expect(budget.waiting).toBe(101);
    await nextTurn();
    expect(ran).toEqual(['first', 'second', 'flood 0', 'normal']);
    while (budget.waiting > 0) await nextTurn();
    expect(ran.filter((r) => r.startsWith('flood '))).toEqual(Array.from({ length: 100 }, (_, i) => `flood ${i}`));
  });
});
