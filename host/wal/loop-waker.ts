// How the I/O loop sleeps until there is work, and how it is woken.
//
// arm() is called before the loop looks for work and returns a ticket; wait(ticket) sleeps only if
// nothing was published since arm(). A writer that publishes between the two changes the ticket,
// so the wake-up is never lost (the futex pattern).
import { type CommitRing, RingWord } from "./commit-ring.js";

export interface LoopWaker {
  arm(): number;
  /** Resolves when woken, when the ticket is already stale, or after timeoutMs. */
  wait(ticket: number, timeoutMs: number | undefined): Promise<void>;
}

/**
 * For the worker thread: blocks in Atomics.wait. The worker has nothing else to do, and a blocked
 * thread costs nothing. Writers notify only while the loop says it is sleeping, and it says so
 * only inside wait(), not while it works: a notify is a system call, and one per append during a
 * turn cost the writers' thread 14% of its time.
 *
 * No wake-up is lost: the loop sets the flag, then Atomics.wait compares the word with the ticket;
 * a writer adds to the word, then reads the flag. Whichever runs second sees the other's write.
 */
export class AtomicsWaker implements LoopWaker {
  constructor(private readonly ring: CommitRing) {}

  arm(): number {
    return Atomics.load(this.ring.i32, RingWord.wakeLoop);
  }

  wait(ticket: number, timeoutMs: number | undefined): Promise<void> {
    Atomics.store(this.ring.i32, RingWord.loopSleeping, 1);
    Atomics.wait(this.ring.i32, RingWord.wakeLoop, ticket, timeoutMs ?? Number.POSITIVE_INFINITY);
    Atomics.store(this.ring.i32, RingWord.loopSleeping, 0);
    return Promise.resolve();
  }
}

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

  wait(ticket: number, timeoutMs: number | undefined): Promise<void> {
    if (ticket !== this.ticket) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        cancel();
        resolve();
      };
      // The timer clears the wake-up only if it is still its own: a timer that outlives its wait
      // (a timer source that cannot cancel one already due) must not disarm a later wait.
      const cancel = timeoutMs === undefined ? () => undefined : this.timers.setTimer(timeoutMs, () => {
        if (this.wake === wake) this.wake = null;
        resolve();
      });
      this.wake = wake;
    });
  }
}
