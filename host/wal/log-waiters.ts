// What writers on the calling thread wait for: their entry's bytes to pass the durable (or
// written) watermark, ring space, a sync, the close. Appends end in stream order, so each wait
// list is a FIFO and check() resolves a prefix of it.
//
// Woken two ways: in-process, the I/O loop calls check() after it moves a watermark; with the
// I/O thread, a watcher sleeps in Atomics.waitAsync on the ring's wakeWriters word.
import { type CommitRing, RingState, RingWord } from "./commit-ring.js";

interface Waiter {
  readonly end: bigint;
  readonly lsn: bigint;
  readonly resolve: (lsn: bigint) => void;
  readonly reject: (error: Error) => void;
}

class WaitList {
  private items: Waiter[] = [];
  private head = 0;

  push(waiter: Waiter): void {
    this.items.push(waiter);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Resolves every waiter whose end is at or below `watermark`; returns the last LSN resolved. */
  resolveUpTo(watermark: bigint): bigint | null {
    let lsn: bigint | null = null;
    while (this.head < this.items.length) {
      const waiter = this.items[this.head] as Waiter;
      if (waiter.end > watermark) break;
      this.head++;
      lsn = waiter.lsn;
      waiter.resolve(waiter.lsn);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return lsn;
  }

  rejectAll(error: Error): void {
    const items = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    for (const waiter of items) waiter.reject(error);
  }
}

export type WatermarkKind = "durable" | "written";

export class LogWaiters {
  private readonly durable = new WaitList();
  private readonly written = new WaitList();
  private closed: Array<() => void> = [];
  private watching = false;
  private failure: Error | null = null;
  /** The highest LSN known durable. */
  durableLsn = 0n;

  constructor(
    private readonly ring: CommitRing,
    private readonly useAtomics: boolean,
    private readonly failureOf: () => Error,
  ) {}

  wait(kind: WatermarkKind, end: bigint, lsn: bigint): Promise<bigint> {
    return new Promise((resolve, reject) => {
      (kind === "durable" ? this.durable : this.written).push({ end, lsn, resolve, reject });
      this.check();
    });
  }

  /** Resolves when the I/O loop has closed (state Closed), or rejects if it failed. */
  waitClosed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.closed.push(() => (this.failure === null ? resolve() : reject(this.failure)));
      this.check();
    });
  }

  /** Called whenever a watermark may have moved. */
  check(): void {
    if (this.failure !== null) {
      // A wait added after the failure is rejected like the ones before it.
      this.durable.rejectAll(this.failure);
      this.written.rejectAll(this.failure);
      return this.settleClosed();
    }
    // Read the wake word before the watermarks: a wake-up after this read changes the word, so
    // the watch below returns at once instead of sleeping through it.
    const seen = Atomics.load(this.ring.i32, RingWord.wakeWriters);
    if (this.ring.state === RingState.Failed) {
      this.failure = this.failureOf();
      this.durable.rejectAll(this.failure);
      this.written.rejectAll(this.failure);
      return this.settleClosed();
    }
    const durableLsn = this.durable.resolveUpTo(this.ring.durable);
    if (durableLsn !== null && durableLsn > this.durableLsn) this.durableLsn = durableLsn;
    this.written.resolveUpTo(this.ring.written);
    if (this.ring.state === RingState.Closed) this.settleClosed();
    if (this.useAtomics) this.watch(seen);
  }

  private settleClosed(): void {
    const closed = this.closed;
    this.closed = [];
    for (const settle of closed) settle();
  }

  private watch(seen: number): void {
    if (this.watching || (this.durable.size === 0 && this.written.size === 0 && this.closed.length === 0)) return;
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
