// The log alone (DESIGN section 5), exported as spacelog/wal: the public API. It delegates: the
// appender frames entries into the commit ring (ring-appender.ts, with the sync-mark policy and
// rotation in sync-mark.ts and segment-chain.ts), the waiters turn watermarks into promises
// (log-waiters.ts), the I/O loop does every write and sync (io-loop.ts, hosted by io-thread.ts),
// replay and retention read and remove files (log-replay.ts, log-retention.ts), and openLog
// (open-log.ts) recovers the directory first.
//
// Every call returns a promise and reports problems by rejecting it: bad arguments, a closed log
// and a failed log never throw synchronously.
import { type Core, type Region, FRAME_HEADER_SIZE } from "../core/index.js";
import { assert } from "../assert.js";
import { ClosedError, InvalidArgumentError, StoreFailedError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { AppendBacklog, BACKLOG_ENTRIES_MAX } from "./append-backlog.js";
import { type CommitRing, FailureKind, RingState, RingWord } from "./commit-ring.js";
import { type DirectoryLock } from "./directory-lock.js";
import { type LoopHandle } from "./io-thread.js";
import { type TimerSource } from "./loop-waker.js";
import { type LoopHost, registerLogInternals } from "./log-internals.js";
import {
  type EntryPayload, encodeCheckpoint, encodeCommit, encodeDelete, encodeEpochBarrier, encodeTruncate, payloadOf, putPayload, rawPayload,
} from "./log-entry.js";
import { failedCallError, failureOfRing } from "./log-failure.js";
import { type ResolvedLogOptions } from "./log-options.js";
import { type LogRecord } from "./log-record.js";
import { type RecoveredLog, type RecoveryReport } from "./log-recovery.js";
import { replaySegments } from "./log-replay.js";
import { removeRetiredSegments } from "./log-retention.js";
import { LogWaiters } from "./log-waiters.js";
import { type RingAppender } from "./ring-appender.js";

export interface LogStats {
  readonly ioThread: boolean;
  readonly io: string;
  readonly durability: string;
  readonly position: bigint;
  readonly syncedPosition: bigint;
  readonly nextLsn: bigint;
  readonly segments: number;
  readonly recovery: RecoveryReport;
}

/** What openLog hands the log: everything it set up, in one object. */
export interface LogParts {
  readonly core: Core;
  readonly coldIo: StorageIo;
  readonly dir: string;
  readonly options: ResolvedLogOptions;
  readonly ring: CommitRing;
  readonly regions: Region[];
  readonly lock: DirectoryLock;
  readonly recovered: RecoveredLog;
  readonly appender: RingAppender;
  readonly timers: TimerSource;
}

/** Concurrent sync() calls that may wait at once, beyond the appends (see the waiters' bound). */
const SYNC_CALLS_WAITING_MAX = 1 << 16;

function rejecting<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}

export class Log {
  private readonly core: Core;
  private readonly coldIo: StorageIo;
  private readonly dir: string;
  private readonly options: ResolvedLogOptions;
  private readonly ring: CommitRing;
  private readonly regions: Region[];
  private readonly lock: DirectoryLock;
  private readonly appender: RingAppender;
  private readonly waiters: LogWaiters;
  private readonly backlog = new AppendBacklog();
  private draining = false;
  private closing: Promise<void> | null = null;
  /** The first failure, recorded once: a later failure or a clean exit never replaces it. */
  private failure: Error | null = null;
  private loop: LoopHandle | null = null;
  private epochValue: bigint;
  private retiredBefore: bigint;
  private readonly timers: TimerSource;
  private idleMarkScheduled = false;

  /** What recovery found and did when this log was opened. */
  readonly recovery: RecoveryReport;

  /** Use openLog(). */
  constructor(parts: LogParts) {
    this.core = parts.core;
    this.coldIo = parts.coldIo;
    this.dir = parts.dir;
    this.options = parts.options;
    this.ring = parts.ring;
    this.regions = parts.regions;
    this.lock = parts.lock;
    this.appender = parts.appender;
    // Appends never hit the waiters' bound: each waits for a frame in the ring (at least
    // FRAME_HEADER_SIZE + 1 bytes) or sits in the bounded backlog; the rest is room for sync() calls.
    const waitersMax = Math.ceil(parts.options.ringSizeBytes / (FRAME_HEADER_SIZE + 1)) + BACKLOG_ENTRIES_MAX + SYNC_CALLS_WAITING_MAX;
    this.waiters = new LogWaiters(parts.ring, parts.options.ioThread, () => this.failure ?? failureOfRing(parts.ring, parts.dir), () => this.scheduleIdleMark(), waitersMax);
    this.timers = parts.timers;
    this.epochValue = parts.recovered.epoch;
    this.retiredBefore = parts.recovered.retiredBefore;
    this.recovery = parts.recovered.report;
    registerLogInternals(this, { start: (host) => this.start(host), abandon: (error) => this.abandon(error) });
  }

  /** Stream offset just past the last byte placed (written or not): entries, and the sync marks the log adds on its own once everything before them is durable. */
  get position(): bigint {
    return BigInt(this.appender.positionValue);
  }

  /** Stream offset up to which everything is durable (fdatasynced). */
  get syncedPosition(): bigint {
    return this.ring.durable;
  }

  /** Entries appended and not yet known durable. */
  get entriesSinceSync(): number {
    this.waiters.check();
    return this.appender.nextLsnValue - 1 - this.waiters.durableLsn;
  }

  get epoch(): bigint {
    return this.epochValue;
  }

  /** The LSN the next entry will get. */
  get nextLsn(): bigint {
    return BigInt(this.appender.nextLsnValue);
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  append(bytes: Uint8Array): Promise<bigint> {
    return rejecting(() => this.appendPayload(rawPayload(bytes)));
  }

  appendPut(key: Uint8Array, value: Uint8Array): Promise<bigint> {
    return rejecting(() => this.appendPayload(putPayload(key, value)));
  }

  appendDelete(key: Uint8Array): Promise<bigint> {
    return rejecting(() => this.appendPayload(payloadOf(encodeDelete(key))));
  }

  appendCheckpoint(id: bigint): Promise<bigint> {
    return rejecting(() => this.appendPayload(payloadOf(encodeCheckpoint(id))));
  }

  /** Starts the next epoch: the barrier carries the new epoch number. */
  appendEpochBarrier(): Promise<bigint> {
    return rejecting(() => {
      const appended = this.appendPayload(payloadOf(encodeEpochBarrier(this.epochValue + 1n)));
      this.epochValue += 1n; // only once the barrier is in the log (appendPayload checked everything)
      return appended;
    });
  }

  /** A commit marker: named source offsets (a Map or a record) and an optional i64 watermark. */
  appendCommit(offsets: ReadonlyMap<string, bigint> | Record<string, bigint>, watermark?: bigint): Promise<bigint> {
    return rejecting(() => this.appendPayload(payloadOf(encodeCommit(offsets, watermark))));
  }

  /**
   * Resolves when everything appended before the call is durable, in every durability mode, and
   * proven so in the log: a trailing sync mark, itself synced, follows the entries (sync-mark.ts),
   * so damage to them after this point is corruption, never a torn tail.
   */
  sync(): Promise<void> {
    return rejecting(async () => {
      this.checkUsable();
      await this.drained();
      await this.syncTo(this.appender.positionValue);
      const markEnd = this.appender.tryTrailingMark();
      if (markEnd !== null) await this.syncTo(markEnd);
    });
  }

  /**
   * After a sync that left the newest entries durable but unproven, with nothing appended behind
   * them: once the writers are idle (a timer turn later, so a writer that appends right after
   * its acknowledgement gets a leading mark instead), a trailing mark proves them. In "sync"
   * mode the loop syncs it at once; with { intervalMs } at the next interval; "none" syncs only
   * in sync() and close(), which prove what they sync themselves.
   */
  private scheduleIdleMark(): void {
    if (this.idleMarkScheduled || this.options.durability.kind === "none" || this.closing !== null) return;
    this.idleMarkScheduled = true;
    this.timers.setTimer(0, () => {
      this.idleMarkScheduled = false;
      if (this.closing !== null || this.failure !== null || this.ring.state !== RingState.Running || this.backlog.size > 0) return;
      if (this.appender.tryTrailingMark() !== null) this.loop?.poke();
    });
  }

  private async syncTo(target: number): Promise<void> {
    if (Number(this.ring.durable) >= target) return;
    this.ring.request(RingWord.syncRequests);
    this.loop?.poke();
    await this.waiters.wait("durable", target, this.appender.nextLsnValue - 1);
  }

  /**
   * Frames the payload (or queues it behind a full ring) and returns its acknowledgement. A
   * refusal (closed, failed, too large, backlog full) throws before anything changes; the public
   * methods turn it into a rejection.
   */
  private appendPayload(payload: EntryPayload): Promise<bigint> {
    this.checkUsable();
    if (payload.size - 1 > this.options.entrySizeMax) {
      throw new InvalidArgumentError(`an entry is at most ${this.options.entrySizeMax} bytes (entrySizeMax); got ${payload.size - 1}`);
    }
    if (this.backlog.size === 0) {
      const lsn = this.appender.tryAppend(payload);
      if (lsn !== null) {
        this.loop?.poke();
        return this.acknowledgement(lsn);
      }
    }
    const refused = this.backlog.refusalOf(payload);
    if (refused !== null) throw refused;
    return new Promise((resolve, reject) => {
      this.backlog.push({ payload, resolve, reject });
      void this.drainBacklog();
    });
  }

  /** The promise an appended entry's caller gets, per durability mode. */
  private acknowledgement(lsn: number): Promise<bigint> {
    const end = this.appender.positionValue;
    switch (this.options.durability.kind) {
      case "sync":
        return this.waiters.wait("durable", end, lsn);
      case "interval":
        this.waiters.track(end, lsn); // for entriesSinceSync only
        return this.waiters.wait("written", end, lsn);
      case "none":
        this.waiters.track(end, lsn);
        return Promise.resolve(BigInt(lsn));
    }
  }

  private async drainBacklog(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let first = this.backlog.peek(); first !== undefined; first = this.backlog.peek()) {
        if (this.failure !== null || this.ring.state === RingState.Failed) {
          this.backlog.rejectAll(failedCallError(this.failure ?? failureOfRing(this.ring, this.dir)));
          return;
        }
        const lsn = this.appender.tryAppend(first.payload);
        if (lsn === null) {
          // Backpressure: wait until the loop has written more, freeing ring space. A failure
          // rejects this wait; the loop's next round rejects the backlog with it.
          await this.waiters.wait("written", Number(this.ring.written) + 1, 0).catch(() => undefined);
          continue;
        }
        this.loop?.poke();
        this.backlog.shift();
        this.acknowledgement(lsn).then(first.resolve, first.reject);
      }
    } finally {
      this.draining = false;
    }
  }

  private async drained(): Promise<void> {
    while (this.backlog.size > 0) await this.waiters.wait("written", Number(this.ring.written) + 1, 0).catch(() => undefined);
  }

  /** Entries of the log in LSN order, as written to the OS when the call started. */
  replay(options: { fromLsn?: bigint } = {}): AsyncGenerator<LogRecord> {
    const fromLsn = options.fromLsn ?? 1n;
    const source = { core: this.core, io: this.coldIo, dir: this.dir, upTo: this.ring.written, retiredBefore: this.retiredBefore };
    // Checked when iteration starts, so that a closed or failed log rejects the first next().
    const usable = (): void => this.checkUsable();
    return (async function* () {
      usable();
      if (typeof fromLsn !== "bigint" || fromLsn < 1n) throw new InvalidArgumentError(`replay's fromLsn is a bigint >= 1n; got ${String(fromLsn)}`);
      yield* replaySegments(source, fromLsn);
    })();
  }

  /**
   * Retires whole segments whose entries all lie before `lsn`: a durable truncate marker first,
   * then the files. The active segment is never removed. Resolves to the removed file names.
   */
  truncateBefore(lsn: bigint): Promise<string[]> {
    return rejecting(async () => {
      this.checkUsable();
      if (typeof lsn !== "bigint" || lsn < 1n || lsn > BigInt(this.appender.nextLsnValue)) {
        throw new InvalidArgumentError(`truncateBefore takes an LSN in 1..${this.appender.nextLsnValue}; got ${String(lsn)}`);
      }
      await this.appendPayload(payloadOf(encodeTruncate(lsn, this.epochValue)));
      await this.sync();
      if (lsn > this.retiredBefore) this.retiredBefore = lsn;
      return removeRetiredSegments(this.coldIo, this.dir, this.appender.chain, lsn);
    });
  }

  stats(): LogStats {
    const d = this.options.durability;
    return {
      ioThread: this.options.ioThread,
      io: this.options.ioThread ? "worker thread (sync backend)" : this.coldIo.kind === "sim" ? "sim" : this.options.io,
      durability: d.kind === "interval" ? `interval ${d.intervalMs} ms` : d.kind,
      position: BigInt(this.appender.positionValue),
      syncedPosition: this.ring.durable,
      nextLsn: BigInt(this.appender.nextLsnValue),
      segments: this.appender.chain.segments.length,
      recovery: this.recovery,
    };
  }

  /**
   * Makes everything appended durable, stops the I/O loop, releases the directory. Every call
   * gets the same promise: a second close() resolves only once the first has finished.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    let failure: unknown = null;
    try {
      await this.drained();
      if (this.failure === null && this.ring.state !== RingState.Failed) {
        // The loop syncs what is left, cuts preallocated zeros and writes LOGSTATE with the
        // stream's end: the proof that every byte below it is durable (docs/FORMAT.md).
        this.ring.setState(RingState.CloseRequested);
        this.loop?.poke();
        await this.waiters.waitClosed();
      }
    } catch (error) {
      failure = error;
    }
    // The loop has closed (or failed): stop its thread rather than wait for it to wind down by
    // itself (a runtime may keep an idle worker alive), then wait until it has ended.
    await this.loop?.terminate();
    await this.loop?.done;
    this.lock.release();
    this.coldIo.dispose();
    for (const region of this.regions) this.core.releaseRegion(region);
    // A log that failed earlier told every call so; close() of it only releases what it holds.
    if (failure !== null && !(failure instanceof StoreFailedError)) throw failure;
  }

  private abandon(error: Error): void {
    if (this.closing !== null) return;
    this.closing = Promise.resolve();
    this.recordFailure(error);
    this.backlog.rejectAll(error);
    this.ring.detach();
    for (const region of this.regions) this.core.releaseRegion(region);
  }

  private checkUsable(): void {
    if (this.closing !== null) throw new ClosedError(`the log at ${this.dir} is closed`);
    if (this.failure === null && this.ring.state === RingState.Failed) this.failure = failureOfRing(this.ring, this.dir);
    if (this.failure !== null) throw failedCallError(this.failure);
  }

  /** Records the first failure (later ones are dropped), stops the ring, wakes every waiter. */
  private recordFailure(error: Error): void {
    if (this.failure === null) this.failure = this.ring.state === RingState.Failed ? failureOfRing(this.ring, this.dir) : error;
    if (this.ring.state !== RingState.Failed && this.ring.state !== RingState.Closed) this.ring.fail(FailureKind.LoopStopped, 0);
    this.waiters.check();
  }

  /** Called once by openLog (log-internals.ts): starts the loop and, for a new log, makes its first segment durable. */
  private async start(host: LoopHost): Promise<void> {
    const fresh = !this.appender.chain.hasActive;
    if (fresh) assert(this.appender.startSegment(), "a fresh ring has room for the first segment start");
    this.loop = host((error) => this.recordFailure(error), () => this.waiters.check());
    await this.loop.started;
    if (fresh) {
      this.ring.publish(BigInt(this.appender.positionValue));
      this.loop.poke();
      await this.syncTo(this.appender.positionValue);
    }
  }
}
