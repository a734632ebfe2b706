// The log alone (DESIGN section 5), exported as spacelog/wal. The calling thread frames entries
// straight into the commit ring and awaits the watermark its durability mode names; the I/O loop
// (a worker thread, or in-process) does every write and sync. See io-loop.ts for the turn, and
// recovery-table.ts for what a reopen accepts.
import { Worker } from "node:worker_threads";
import { assert } from "../assert.js";
import { type Core, type Region, CORE_SCRATCH_SIZE, asPtr, coreModule, loadCore } from "../core/index.js";
import { ClosedError, InvalidArgumentError, StoreFailedError } from "../errors.js";
import { systemClock } from "../io/clock.js";
import { IO_LIMITS_DEFAULT, createRealIo } from "../io/create-io.js";
import { type StorageIo } from "../io/storage-io.js";
import { CommitRing, FailureKind, RingState, RingWord, type SegmentStart } from "./commit-ring.js";
import { DirectoryLock, processOwnerAlive } from "./directory-lock.js";
import { type IoLoopConfig, IoLoop } from "./io-loop.js";
import { type IoWorkerData } from "./io-worker.js";
import {
  type EntryPayload, EntryType, decodeEntry, encodeCheckpoint, encodeCommit, encodeDelete, encodeEpochBarrier, encodeSyncMark, encodeTruncate,
  payloadOf, putPayload, rawPayload,
} from "./log-entry.js";
import { failedCallError, failureOfRing } from "./log-failure.js";
import { prepareLogDirectory } from "./log-directory.js";
import { type LogOptions, type ResolvedLogOptions, resolveLogOptions } from "./log-options.js";
import { type LogRecord } from "./log-record.js";
import { type RecoveredLog, type RecoveryReport, listSegmentFiles, recoverLog } from "./log-recovery.js";
import { LogWaiters } from "./log-waiters.js";
import { PokeWaker, realTimers } from "./loop-waker.js";
import { SEGMENT_HEADER_SIZE, SegmentKind, decodeSegmentHeader, encodeSegmentHeader, frameSeedOf } from "./segment-format.js";
import { scanSegmentFrames } from "./segment-scan.js";

const WORKER_ARENA_SIZE = 4 * CORE_SCRATCH_SIZE;
/** A sync mark's frame: 8 header bytes, the type byte, the durable offset (u64). */
const SYNC_MARK_FRAME_SIZE = 8 + 1 + 8;

interface ActiveSegment {
  readonly id: bigint;
  readonly baseOffset: bigint;
  readonly seed: number;
  size: number;
  entries: number;
}

interface Backlogged {
  readonly payload: EntryPayload;
  readonly resolve: (lsn: bigint) => void;
  readonly reject: (error: Error) => void;
}

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

export class Log {
  private readonly waiters: LogWaiters;
  private readonly backlog: Backlogged[] = [];
  private readonly segments: Array<{ id: bigint; baseLsn: bigint }>;
  private draining = false;
  private closedFlag = false;
  private failure: Error | null = null;
  private worker: Worker | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private poke: () => void = () => undefined;
  private segment!: ActiveSegment;
  private nextSegmentId: bigint;
  /** The next entry's LSN and the stream's head, as numbers on the per-append path (see log-waiters.ts). */
  private nextLsnValue: number;
  private positionValue: number;
  /** The ring's origin as a number, and the written offset as last read (refreshed when space runs short). */
  private readonly ringOrigin: number;
  private writtenSeen: number;
  /** The ring's durable-turn counter when the last sync mark was placed. */
  private markedTurns = -1;
  private epochValue: bigint;
  private retiredBefore: bigint;
  private readonly lengthsPtr;
  private readonly lengthView: DataView;
  /** The ring's data and spill bytes: the ring never moves, so this view stays valid. */
  private readonly ringBytes: Uint8Array;

  /** Use openLog(). */
  constructor(
    private readonly core: Core,
    private readonly coldIo: StorageIo,
    private readonly dir: string,
    private readonly options: ResolvedLogOptions,
    private readonly ring: CommitRing,
    private readonly regions: Region[],
    private readonly lock: DirectoryLock,
    recovered: RecoveredLog,
  ) {
    this.waiters = new LogWaiters(ring, options.ioThread, () => failureOfRing(ring, dir));
    this.segments = recovered.segments.map((s) => ({ id: s.header.segmentId, baseLsn: s.header.baseLsn }));
    this.nextSegmentId = recovered.nextSegmentId;
    this.nextLsnValue = Number(recovered.nextLsn);
    this.positionValue = Number(recovered.position);
    this.ringOrigin = Number(ring.origin);
    this.writtenSeen = this.positionValue;
    this.epochValue = recovered.epoch;
    this.retiredBefore = recovered.retiredBefore;
    this.recovery = recovered.report;
    const lengths = core.allocateRegion(64);
    regions.push(lengths);
    this.lengthsPtr = lengths.ptr;
    this.lengthView = new DataView(core.memory.buffer, lengths.ptr, 4);
    this.ringBytes = new Uint8Array(core.memory.buffer, ring.dataPtr, ring.address.ringSizeBytes + ring.address.spillSizeBytes);
    const last = recovered.segments[recovered.segments.length - 1];
    if (last !== undefined) {
      const seed = last.header.frameSeed;
      this.segment = { id: last.header.segmentId, baseOffset: last.header.baseOffset, seed, size: last.size, entries: last.entryCount };
    }
  }

  /** What recovery found and did when this log was opened. */
  readonly recovery: RecoveryReport;

  /** Stream offset just past the last appended entry (written or not). */
  get position(): bigint {
    return BigInt(this.positionValue);
  }

  /** Stream offset up to which everything is durable (fdatasynced). */
  get syncedPosition(): bigint {
    return this.ring.durable;
  }

  /** Entries appended and not yet known durable. */
  get entriesSinceSync(): number {
    this.waiters.check();
    return this.nextLsnValue - 1 - this.waiters.durableLsn;
  }

  get epoch(): bigint {
    return this.epochValue;
  }

  /** The LSN the next entry will get. */
  get nextLsn(): bigint {
    return BigInt(this.nextLsnValue);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  append(bytes: Uint8Array): Promise<bigint> {
    return this.appendPayload(rawPayload(bytes));
  }

  appendPut(key: Uint8Array, value: Uint8Array): Promise<bigint> {
    return this.appendPayload(putPayload(key, value));
  }

  appendDelete(key: Uint8Array): Promise<bigint> {
    return this.appendPayload(payloadOf(encodeDelete(key)));
  }

  appendCheckpoint(id: bigint): Promise<bigint> {
    return this.appendPayload(payloadOf(encodeCheckpoint(id)));
  }

  /** Starts the next epoch: the barrier carries the new epoch number. */
  appendEpochBarrier(): Promise<bigint> {
    this.checkUsable();
    this.epochValue += 1n;
    return this.appendPayload(payloadOf(encodeEpochBarrier(this.epochValue)));
  }

  /** A commit marker: named source offsets (a Map or a record) and an optional i64 watermark. */
  appendCommit(offsets: ReadonlyMap<string, bigint> | Record<string, bigint>, watermark?: bigint): Promise<bigint> {
    return this.appendPayload(payloadOf(encodeCommit(offsets, watermark)));
  }

  /** Resolves when everything appended before the call is durable, in every durability mode. */
  async sync(): Promise<void> {
    this.checkUsable();
    await this.drained();
    const target = this.positionValue;
    if (Number(this.ring.durable) >= target) return;
    this.ring.request(RingWord.syncRequests);
    this.poke();
    await this.waiters.wait("durable", target, this.nextLsnValue - 1);
  }

  private appendPayload(payload: EntryPayload): Promise<bigint> {
    this.checkUsable();
    if (payload.size - 1 > this.options.entrySizeMax) {
      return Promise.reject(new InvalidArgumentError(`an entry is at most ${this.options.entrySizeMax} bytes (entrySizeMax); got ${payload.size - 1}`));
    }
    if (this.backlog.length === 0) {
      const lsn = this.tryFrame(payload);
      if (lsn !== null) return this.acknowledgement(lsn);
    }
    return new Promise((resolve, reject) => {
      this.backlog.push({ payload, resolve, reject });
      void this.drainBacklog();
    });
  }

  /** The promise an appended entry's caller gets, per durability mode. */
  private acknowledgement(lsn: number): Promise<bigint> {
    const end = this.positionValue;
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

  /** Frames the payload into the ring if it fits now (rotating first if due); returns its LSN or null. */
  private tryFrame(payload: EntryPayload): number | null {
    // The durable offset moved since the last mark iff the loop's durable-turn counter did.
    const turns = Atomics.load(this.ring.i32, RingWord.durableTurns);
    const mark = turns !== this.markedTurns;
    const frameSize = 8 + payload.size + (mark ? SYNC_MARK_FRAME_SIZE : 0);
    const rotate = this.segment.entries > 0 && this.segment.size + frameSize > this.options.segmentSizeMax;
    const needed = frameSize + (rotate ? SEGMENT_HEADER_SIZE : 0);
    if (this.options.ringSizeBytes - (this.positionValue - this.writtenSeen) < needed) {
      this.writtenSeen = Number(this.ring.written);
      if (this.options.ringSizeBytes - (this.positionValue - this.writtenSeen) < needed) return null;
    }
    if (rotate && !this.startSegment()) return null;
    if (mark) {
      // Whenever the durable offset has moved since the last mark, say so in the stream: it lets
      // recovery prove that a damaged frame below it was synced (corruption, not a torn tail).
      const durable = this.ring.durable;
      this.placeBytes(SYNC_MARK_FRAME_SIZE - 8, (target, at) => target.set(encodeSyncMark(durable), at), true);
      this.markedTurns = turns;
    }
    this.placeFrame(payload);
    const lsn = this.nextLsnValue;
    this.nextLsnValue += 1;
    this.ring.publish(BigInt(this.positionValue));
    this.poke();
    return lsn;
  }

  private async drainBacklog(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.backlog.length > 0) {
        const first = this.backlog[0] as Backlogged;
        if (this.failure !== null || this.ring.state === RingState.Failed) {
          const error = this.failure ?? failureOfRing(this.ring, this.dir);
          for (const item of this.backlog.splice(0)) item.reject(error);
          return;
        }
        const lsn = this.tryFrame(first.payload);
        if (lsn === null) {
          // Backpressure: wait until the loop has written more, freeing ring space.
          await this.waiters.wait("written", Number(this.ring.written) + 1, 0).catch(() => undefined);
          continue;
        }
        this.backlog.shift();
        this.acknowledgement(lsn).then(first.resolve, first.reject);
      }
    } finally {
      this.draining = false;
    }
  }

  private async drained(): Promise<void> {
    while (this.backlog.length > 0) await this.waiters.wait("written", Number(this.ring.written) + 1, 0).catch(() => undefined);
  }

  /**
   * Writes `size` bytes into the ring at the stream's head (the frame header, when `frame`, is
   * 8 bytes in front of them). A frame that runs past the ring's end lands in the spill area
   * and its overflow is copied to the ring's start, so the core always encodes contiguous bytes.
   */
  private placeBytes(size: number, write: (target: Uint8Array, at: number) => void, frame: boolean): void {
    const index = (this.positionValue - this.ringOrigin) % this.options.ringSizeBytes;
    const total = (frame ? 8 : 0) + size;
    write(this.ringBytes, index + (frame ? 8 : 0));
    if (frame) {
      this.lengthView.setUint32(0, size, true);
      this.core.encodeFramesAt(asPtr(this.ring.dataPtr + index), this.lengthsPtr, 1, this.segment.seed);
    }
    const ringSize = this.ring.address.ringSizeBytes;
    const overflow = index + total - ringSize;
    if (overflow > 0) this.ringBytes.copyWithin(0, ringSize, ringSize + overflow);
    this.positionValue += total;
    this.segment.size += total;
  }

  private placeFrame(payload: EntryPayload): void {
    this.placeBytes(payload.size, (target, at) => payload.writeTo(target, at), true);
    this.segment.entries += 1;
  }

  /** Starts a new segment at the stream's head: its header goes through the ring like frames. */
  startSegment(): boolean {
    const id = this.nextSegmentId;
    const baseOffset = BigInt(this.positionValue);
    const baseLsn = BigInt(this.nextLsnValue);
    if (!this.ring.pushSegmentStart({ streamOffset: baseOffset, segmentId: id })) return false;
    const header = encodeSegmentHeader(this.core, { kind: SegmentKind.Log, segmentId: id, generation: 1n, baseLsn, baseOffset });
    this.segment = { id, baseOffset, seed: frameSeedOf(this.core, id, 1n), size: 0, entries: 0 };
    this.segments.push({ id, baseLsn });
    this.nextSegmentId += 1n;
    this.placeBytes(header.byteLength, (target, at) => target.set(header, at), false);
    return true;
  }

  /** Entries of the log in LSN order, as written to the OS when the call started. */
  async *replay(options: { fromLsn?: bigint } = {}): AsyncGenerator<LogRecord> {
    this.checkUsable();
    const upTo = this.ring.written;
    const from = options.fromLsn ?? 1n;
    for (const file of listSegmentFiles(this.coldIo, this.dir)) {
      const bytes = this.coldIo.readSmallFile(file.path) ?? new Uint8Array(0);
      const header = decodeSegmentHeader(this.core, bytes);
      if (typeof header === "string") break;
      const rest = bytes.subarray(SEGMENT_HEADER_SIZE);
      const scan = scanSegmentFrames(this.core, rest, header.frameSeed);
      let lsn = header.baseLsn - 1n;
      for (const frame of scan.frames) {
        const end = header.baseOffset + BigInt(SEGMENT_HEADER_SIZE + frame.offset + 8 + frame.payloadLength);
        if (end > upTo) return;
        if (frame.type === EntryType.SyncMark) continue; // not an entry: no LSN, never replayed
        lsn += 1n;
        if (lsn < from || lsn < this.retiredBefore) continue;
        const entry = decodeEntry(rest.subarray(frame.offset + 8, frame.offset + 8 + frame.payloadLength));
        assert(entry !== "malformed", `entry ${lsn} passed its CRC but does not decode: a writer bug`);
        yield { lsn, segmentId: header.segmentId, offsetInSegment: SEGMENT_HEADER_SIZE + frame.offset, end, entry };
      }
    }
  }

  /**
   * Retires whole segments whose entries all lie before `lsn`: a durable truncate marker first,
   * then the files. The active segment is never removed. Returns the removed file names.
   */
  async truncateBefore(lsn: bigint): Promise<string[]> {
    this.checkUsable();
    if (typeof lsn !== "bigint" || lsn < 1n || lsn > BigInt(this.nextLsnValue)) {
      throw new InvalidArgumentError(`truncateBefore takes an LSN in 1..${this.nextLsnValue}; got ${String(lsn)}`);
    }
    await this.appendPayload(payloadOf(encodeTruncate(lsn)));
    await this.sync();
    if (lsn > this.retiredBefore) this.retiredBefore = lsn;
    const removed: string[] = [];
    while (this.segments.length > 1 && (this.segments[1] as { baseLsn: bigint }).baseLsn <= lsn) {
      const oldest = this.segments.shift() as { id: bigint };
      const name = `log-${oldest.id.toString(16).padStart(16, "0")}.seg`;
      if (this.coldIo.exists(`${this.dir}/${name}`)) this.coldIo.removeFile(`${this.dir}/${name}`);
      removed.push(name);
    }
    if (removed.length > 0) this.coldIo.syncDirectory(this.dir);
    return removed;
  }

  stats(): LogStats {
    const d = this.options.durability;
    return {
      ioThread: this.options.ioThread,
      io: this.options.ioThread ? "worker thread (sync backend)" : this.coldIo.kind === "sim" ? "sim" : this.options.io,
      durability: d.kind === "interval" ? `interval ${d.intervalMs} ms` : d.kind,
      position: BigInt(this.positionValue),
      syncedPosition: this.ring.durable,
      nextLsn: BigInt(this.nextLsnValue),
      segments: this.segments.length,
      recovery: this.recovery,
    };
  }

  /** Makes everything appended durable, stops the I/O loop, releases the directory. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    let failure: unknown = null;
    try {
      await this.drained();
      if (this.ring.state !== RingState.Failed) {
        this.ring.setState(RingState.CloseRequested);
        this.poke();
        await this.waiters.waitClosed();
      }
    } catch (error) {
      failure = error;
    }
    await this.loopDone;
    if (this.worker !== null) await this.worker.terminate();
    this.lock.release();
    this.coldIo.dispose();
    for (const region of this.regions) this.core.releaseRegion(region);
    if (failure !== null && !(failure instanceof StoreFailedError)) throw failure;
  }

  /**
   * For the simulator: the process this log lived in died (a simulated crash). Releases its
   * memory, rejects its waiters, and does no I/O at all: the disk is as the crash left it.
   */
  abandonAfterCrash(error: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.ring.state !== RingState.Failed) this.ring.fail(FailureKind.Sync, 5);
    this.failure ??= error;
    this.waiters.check();
    for (const item of this.backlog.splice(0)) item.reject(error);
    this.ring.detach();
    for (const region of this.regions) this.core.releaseRegion(region);
  }

  private checkUsable(): void {
    if (this.closedFlag) throw new ClosedError(`the log at ${this.dir} is closed`);
    if (this.failure === null && this.ring.state === RingState.Failed) this.failure = failureOfRing(this.ring, this.dir);
    if (this.failure !== null) throw failedCallError(this.failure);
  }

  // --- starting the I/O loop ---

  /** Called once by openLog: starts the loop and, for a new log, writes the first segment. */
  async start(config: Omit<IoLoopConfig, "current">, storage: StorageIo | null, timers = realTimers, clock = systemClock): Promise<void> {
    const current: SegmentStart | null = this.segments.length === 0 ? null : { streamOffset: this.segment.baseOffset, segmentId: this.segment.id };
    if (current === null) assert(this.startSegment(), "a fresh ring has room for the first segment start");
    const loopConfig: IoLoopConfig = { ...config, current };
    if (this.options.ioThread) this.startWorker(loopConfig);
    else this.startInProcess(loopConfig, storage ?? createRealIo(this.core, this.options.io), timers, clock);
    if (current === null) {
      this.ring.publish(BigInt(this.positionValue));
      this.poke();
      await this.sync();
    }
  }

  private startInProcess(config: IoLoopConfig, io: StorageIo, timers: typeof realTimers, clock: typeof systemClock): void {
    const waker = new PokeWaker(timers);
    this.poke = () => waker.poke();
    const loop = new IoLoop(io, this.ring, waker, clock, config, () => this.waiters.check());
    this.loopDone = loop.run().catch((error: unknown) => this.loopCrashed(error));
  }

  private startWorker(config: IoLoopConfig): void {
    const arena = this.core.allocateRegion(WORKER_ARENA_SIZE);
    this.regions.push(arena);
    const data: IoWorkerData = {
      memory: this.core.memory,
      module: coreModule(),
      arena: { ptr: arena.ptr, sizeBytes: arena.sizeBytes },
      ring: this.ring.address,
      limits: IO_LIMITS_DEFAULT,
      config,
    };
    const worker = new Worker(new URL("./io-worker.js", import.meta.url), { workerData: data });
    this.worker = worker;
    this.loopDone = new Promise((resolve) => {
      worker.once("error", (error) => {
        this.loopCrashed(error);
        resolve();
      });
      worker.once("exit", (code) => {
        if (this.ring.state !== RingState.Closed) this.loopCrashed(new Error(`the I/O thread exited with code ${code}`));
        resolve();
      });
    });
  }

  /** A bug or a dead thread in the I/O loop: the log fails like after a failed sync. */
  private loopCrashed(error: unknown): void {
    if (this.ring.state !== RingState.Failed && this.ring.state !== RingState.Closed) this.ring.fail(FailureKind.Sync, 5);
    this.failure ??= new StoreFailedError(`the log's I/O loop stopped: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    this.waiters.check();
  }
}

/** Opens (creating if needed) the log in `dir`, recovers it, and starts its I/O loop. */
export async function openLog(dir: string, options: LogOptions = {}): Promise<Log> {
  if (typeof dir !== "string" || dir.length === 0) throw new InvalidArgumentError("openLog needs a directory path");
  const resolved = resolveLogOptions(options);
  const core = options.core ?? (await loadCore());
  const storage = options.storage?.(core) ?? null;
  const coldIo = storage ?? createRealIo(core, "sync");
  if (!coldIo.exists(dir)) coldIo.makeDirectory(dir);
  const lock = DirectoryLock.acquire(coldIo, dir, options.lockOwnerAlive ?? processOwnerAlive, options.lockOwnerContent ?? `${typeof process !== "undefined" ? process.pid : 0}\n`);
  let log: Log | null = null;
  try {
    prepareLogDirectory(coldIo, dir);
    const recovered = recoverLog(core, coldIo, dir, resolved.salvage);
    const { ring, region } = CommitRing.allocate(core, { ringSizeBytes: resolved.ringSizeBytes, spillSizeBytes: resolved.entrySizeMax + 4096 });
    ring.reset(recovered.position);
    log = new Log(core, coldIo, dir, resolved, ring, [region], lock, recovered);
    const loopConfig = { dir, durability: resolved.durability, preallocateBytes: resolved.preallocateBytes, segmentSizeMax: resolved.segmentSizeMax };
    await log.start(loopConfig, storage, options.timers, options.clock);
    return log;
  } catch (error) {
    if (log !== null) await log.close().catch(() => undefined);
    else {
      lock.release();
      coldIo.dispose();
    }
    throw error;
  }
}
