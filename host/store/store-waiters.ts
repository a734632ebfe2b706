// What the store's calls wait for: a ring offset to pass the durable or written watermark, a
// background job (a seal's installation) to finish, the loop to close. Offsets are registered in
// ring order, so each list is a FIFO and check() settles a prefix of it.
//
// Woken two ways, as the log's waiters (host/wal/log-waiters.ts): in-process, the loop calls
// check() after it moves a watermark; with the I/O thread, a watcher sleeps in Atomics.waitAsync
// on the ring's wakeWriters word while anything waits.
import { CapacityError } from "../errors.js";
import { type CommitRing, RingState, RingWord } from "../wal/commit-ring.js";
import { Fifo } from "../wal/fifo.js";

export type StoreWatermark = "durable" | "written";

interface Waiter {
  readonly until: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class StoreWaiters {
  private readonly durable = new Fifo<Waiter>();
  private readonly written = new Fifo<Waiter>();
  private readonly jobs = new Fifo<Waiter>();
  private closed: Waiter[] = [];
  private watching = false;
  private failure: Error | null = null;

  constructor(
    private readonly ring: CommitRing,
    private readonly useAtomics: boolean,
    private readonly failureOf: () => Error,
    /** Called from every check() before waiters settle: the store publishes its tails here. */
    private readonly onCheck: (durable: number, written: number) => void,
    private readonly waitersMax: number,
    /** Whether the owner has waits of its own (acknowledgements) that need the watch kept. */
    private readonly externalWaits: () => boolean = () => false,
  ) {}

  get size(): number {
    return this.durable.size + this.written.size + this.jobs.size;
  }

  /** Resolves once the watermark reaches ring offset `end`. */
  waitOffset(kind: StoreWatermark, end: number): Promise<void> {
    return this.enqueue(kind === "durable" ? this.durable : this.written, end);
  }

  /** Resolves once `job` background jobs have finished (the loop counts them in the ring). */
  waitJob(job: number): Promise<void> {
    return this.enqueue(this.jobs, job);
  }

  waitClosed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.closed.push({ until: 0, resolve, reject });
      this.check();
    });
  }

  private enqueue(list: Fifo<Waiter>, until: number): Promise<void> {
    if (list.size >= this.waitersMax) {
      return Promise.reject(new CapacityError(`${list.size} calls already wait on the store (at most ${this.waitersMax}); wait for some to settle first`));
    }
    return new Promise((resolve, reject) => {
      list.push({ until, resolve, reject });
      // Always check now: the watermark may have passed `until` already, and a watcher that is
      // armed wakes only when the loop moves again (an idle loop never does: a seal's wait on
      // the durable offset hung once drained() had armed the watcher).
      this.check();
    });
  }

  /** Called once, when the loop's failure is first seen: the owner fails its own waits. */
  onFailed: (error: Error) => void = () => undefined;

  /** The failure the loop recorded, once it has (null while it runs). */
  get failed(): Error | null {
    return this.failure;
  }

  /** Makes sure a watcher runs while anything waits (cheap when one does). */
  arm(): void {
    if (!this.watching || this.failure !== null) this.check();
  }

  /** Called whenever a watermark may have moved. */
  check(): void {
    if (this.failure !== null) return this.rejectEverything(this.failure);
    // The wake word before the watermarks: a wake-up after this read makes the watch return at once.
    const seen = Atomics.load(this.ring.i32, RingWord.wakeWriters);
    if (this.ring.state === RingState.Failed) {
      this.failure = this.failureOf();
      this.onFailed(this.failure);
      return this.rejectEverything(this.failure);
    }
    const durable = Number(this.ring.durable);
    const written = Number(this.ring.written);
    this.onCheck(durable, written);
    settleUpTo(this.durable, durable);
    settleUpTo(this.written, written);
    settleUpTo(this.jobs, Atomics.load(this.ring.i32, RingWord.jobsDone));
    if (this.ring.state === RingState.Closed) this.settleClosed(null);
    if (this.useAtomics) this.watch(seen);
  }

  private rejectEverything(error: Error): void {
    for (const list of [this.durable, this.written, this.jobs]) for (const waiter of list.drain()) waiter.reject(error);
    this.settleClosed(error);
  }

  private settleClosed(error: Error | null): void {
    const closed = this.closed;
    this.closed = [];
    for (const waiter of closed) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  private watch(seen: number): void {
    if (this.watching || (this.size === 0 && this.closed.length === 0 && !this.externalWaits())) return;
    this.watching = true;
    const result = Atomics.waitAsync(this.ring.i32, RingWord.wakeWriters, seen);
    const again = (): void => {
      this.watching = false;
      this.check();
    };
    if (result.async) void result.value.then(again);
    else queueMicrotask(again);
  }
}

function settleUpTo(list: Fifo<Waiter>, watermark: number): void {
  for (let waiter = list.peek(); waiter !== undefined && waiter.until <= watermark; waiter = list.peek()) {
    list.shift();
    waiter.resolve();
  }
}
