// What writers on the calling thread wait for: their entry's bytes to pass the durable (or
// written) watermark, ring space, a sync, the close. Appends end in stream order, so each wait
// list is a FIFO and check() resolves a prefix of it.
//
// Stream offsets and LSNs are plain numbers here (exact below 2^53: 8 PiB, 9e15 entries): this
// is the per-append path, and a bigint is a heap object per step. They become bigints only at the
// API, when an append's promise resolves.
//
// Woken two ways: in-process, the I/O loop calls check() after it moves a watermark; with the
// I/O thread, a watcher sleeps in Atomics.waitAsync on the ring's wakeWriters word.
import { CapacityError } from "../errors.js";
import { type CommitRing, RingState, RingWord } from "./commit-ring.js";
import { Fifo } from "./fifo.js";

interface Waiter {
  readonly end: number;
  readonly lsn: number;
  readonly resolve: (lsn: bigint) => void;
  readonly reject: (error: Error) => void;
}

export type WatermarkKind = "durable" | "written";

/** Waiters per watermark when the owner sets no bound of its own (the log sets one from its ring). */
export const WAITERS_MAX_DEFAULT = 4 << 20;

/** Tracked [end, lsn] pairs kept at most (1 Mi pairs, 16 MiB) before they are thinned. */
const MARKS_MAX = 1 << 20;

export class LogWaiters {
  private readonly durable = new Fifo<Waiter>();
  private readonly written = new Fifo<Waiter>();
  /** Entries whose durability is only tracked (interval and none modes): [end, lsn] pairs. */
  private readonly marks = new Fifo<number>();
  private closed: Array<() => void> = [];
  private watching = false;
  private failure: Error | null = null;
  /** The highest LSN known durable. */
  durableLsn = 0;
  /** The durable offset check() saw last, to tell when it moved. */
  private durableSeen = -1;

  constructor(
    private readonly ring: CommitRing,
    private readonly useAtomics: boolean,
    private readonly failureOf: () => Error,
    /** Called from check() whenever the durable offset has moved since the last check. */
    private readonly onDurableMoved: () => void = () => undefined,
    /** Waiters kept at most per watermark. */
    private readonly waitersMax: number = WAITERS_MAX_DEFAULT,
  ) {}

  /**
   * Resolves with `lsn` once the watermark reaches `end`. Bounded (STYLE habit 4): past
   * `waitersMax` waiters on one watermark the wait is refused with CapacityError. Appends never
   * reach it (the ring and the backlog bound them first); only a flood of concurrent sync() calls can.
   */
  wait(kind: WatermarkKind, end: number, lsn: number): Promise<bigint> {
    const list = kind === "durable" ? this.durable : this.written;
    if (list.size >= this.waitersMax) {
      return Promise.reject(new CapacityError(`${list.size} calls already wait for the ${kind} watermark (at most ${this.waitersMax}); wait for some to settle first`));
    }
    return new Promise((resolve, reject) => {
      list.push({ end, lsn, resolve, reject });
      // A watcher already armed will run check() after this push (its wake-up is a later task),
      // so only the first waiter of a quiet spell, or any waiter in-process, needs one here.
      if (!this.watching || this.failure !== null) this.check();
    });
  }

  /**
   * Tracks an entry's durability without a promise (for entriesSinceSync in the lighter modes).
   * Bounded: past MARKS_MAX pairs, every other pair is dropped, so durableLsn can only lag (an
   * entry is never reported durable before it is).
   */
  track(end: number, lsn: number): void {
    this.marks.push(end);
    this.marks.push(lsn);
    if (this.marks.size > 2 * MARKS_MAX) this.thinMarks();
  }

  private thinMarks(): void {
    const pairs = this.marks.drain();
    for (let i = 0; i + 1 < pairs.length; i += 4) {
      this.marks.push(pairs[i] as number);
      this.marks.push(pairs[i + 1] as number);
    }
    const lastEnd = pairs[pairs.length - 2] as number;
    if (this.marks.size === 0 || this.marks.peekLast() !== pairs[pairs.length - 1]) {
      this.marks.push(lastEnd);
      this.marks.push(pairs[pairs.length - 1] as number);
    }
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
    if (this.failure !== null) return this.rejectEverything(this.failure);
    // Read the wake word before the watermarks: a wake-up after this read changes the word, so
    // the watch below returns at once instead of sleeping through it.
    const seen = Atomics.load(this.ring.i32, RingWord.wakeWriters);
    if (this.ring.state === RingState.Failed) {
      this.failure = this.failureOf();
      return this.rejectEverything(this.failure);
    }
    const durable = Number(this.ring.durable);
    this.resolveUpTo(this.durable, durable);
    while (this.marks.size > 0 && (this.marks.peek() as number) <= durable) {
      this.marks.shift();
      this.noteDurable(this.marks.shift() as number);
    }
    this.resolveUpTo(this.written, Number(this.ring.written));
    if (this.ring.state === RingState.Closed) this.settleClosed();
    if (durable !== this.durableSeen) {
      this.durableSeen = durable;
      this.onDurableMoved();
    }
    if (this.useAtomics) this.watch(seen);
  }

  private resolveUpTo(list: Fifo<Waiter>, watermark: number): void {
    for (let waiter = list.peek(); waiter !== undefined && waiter.end <= watermark; waiter = list.peek()) {
      list.shift();
      if (list === this.durable) this.noteDurable(waiter.lsn);
      waiter.resolve(BigInt(waiter.lsn));
    }
  }

  private noteDurable(lsn: number): void {
    if (lsn > this.durableLsn) this.durableLsn = lsn;
  }

  private rejectEverything(error: Error): void {
    for (const waiter of this.durable.drain()) waiter.reject(error);
    for (const waiter of this.written.drain()) waiter.reject(error);
    this.settleClosed();
  }

  private settleClosed(): void {
    const closed = this.closed;
    this.closed = [];
    for (const settle of closed) settle();
  }

  private watch(seen: number): void {
    // Tracked entries (interval and none modes) keep the watch too: their durability moves
    // entriesSinceSync and the idle sync mark (log.ts), though no promise waits for it.
    if (this.watching || (this.durable.size === 0 && this.written.size === 0 && this.closed.length === 0 && this.marks.size === 0)) return;
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
