// How the I/O loop sleeps until there is work, and how it is woken.
//
// arm() is called before the loop looks for work and returns a ticket; wait(ticket) sleeps only if
// nothing was published since arm(). A writer that publishes between the two changes the ticket,
// so the wake-up is never lost (the futex pattern).
import { type Clock } from "../io/clock.js";
import { type CommitRing, RingWord } from "./commit-ring.js";

export interface LoopWaker {
  arm(): number;
  /** Resolves when woken, when the ticket is already stale, or after timeoutMs. */
  wait(ticket: number, timeoutMs: number | undefined): Promise<void>;
  /**
   * Before a sync turn: lets a burst of appends that is still arriving join this turn. Returns
   * when `published()` stops growing for one short slice, or after a few slices at most.
   */
  linger(published: () => bigint): void;
}

/**
 * For the worker thread: blocks in Atomics.wait. The worker has nothing else to do, and a blocked
 * thread costs nothing; writers notify only when the loop says it is sleeping.
 */
export class AtomicsWaker implements LoopWaker {
  constructor(private readonly ring: CommitRing, private readonly clock: Clock) {}

  arm(): number {
    Atomics.store(this.ring.i32, RingWord.loopSleeping, 1);
    return Atomics.load(this.ring.i32, RingWord.wakeLoop);
  }

  wait(ticket: number, timeoutMs: number | undefined): Promise<void> {
    Atomics.wait(this.ring.i32, RingWord.wakeLoop, ticket, timeoutMs ?? Number.POSITIVE_INFINITY);
    Atomics.store(this.ring.i32, RingWord.loopSleeping, 0);
    return Promise.resolve();
  }

  /**
   * Writers resume in a burst when a turn acknowledges them (their promises resolve in one task),
   * and the first append of the burst wakes this thread at once. Without lingering, turns
   * alternate between one entry and the rest of the burst, halving the batch. A slice of
   * LINGER_SLICE_MS without growth ends the wait, so a lone writer pays one slice at most.
   */
  linger(published: () => bigint): void {
    Atomics.store(this.ring.i32, RingWord.loopSleeping, 0);
    let seen = published();
    let sliceEnd = this.clock.nowMs() + LINGER_SLICE_MS;
    const lingerEnd = this.clock.nowMs() + LINGER_MS_MAX;
    // A spin, not a sleep: a timed futex wait oversleeps by ~100 µs (timer slack), which would
    // cost a lone writer more than the whole fdatasync. This thread has its own core's worth of
    // nothing else to do.
    for (;;) {
      const now = this.clock.nowMs();
      if (now >= lingerEnd) return;
      if (now < sliceEnd) continue;
      const grown = published();
      if (grown === seen) return;
      seen = grown;
      sliceEnd = now + LINGER_SLICE_MS;
    }
  }
}

/** One linger slice without growth ends the linger (15 µs); the longest linger is 150 µs. */
const LINGER_SLICE_MS = 0.015;
const LINGER_MS_MAX = 0.15;

/** Schedules a callback after a delay; real timers in-process, virtual ones in the simulator. */
export interface TimerSource {
  setTimer(delayMs: number, callback: () => void): () => void;
}

export const realTimers: TimerSource = {
  setTimer(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
};

/** For the in-process loop (ioThread: false, and the simulator): the writer pokes it directly. */
export class PokeWaker implements LoopWaker {
  private ticket = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly timers: TimerSource) {}

  poke(): void {
    this.ticket++;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  arm(): number {
    return this.ticket;
  }

  /** In-process, the loop's own awaits already let appends accumulate: no lingering. */
  linger(): void {}

  wait(ticket: number, timeoutMs: number | undefined): Promise<void> {
    if (ticket !== this.ticket) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = timeoutMs === undefined ? () => undefined : this.timers.setTimer(timeoutMs, () => {
        this.wake = null;
        resolve();
      });
      this.wake = () => {
        cancel();
        resolve();
      };
    });
  }
}
