// The I/O loop: takes what writers published to the commit ring, writes it to segment files
// (gathered, straight from the ring: no copy), syncs each touched file once per turn, then
// publishes the watermarks writers await. It runs in the I/O worker thread, or in-process for
// ioThread: false and the simulator; the code is the same.
//
// Group commit needs no timer and no lingering: while one turn's fdatasync is in flight, writers
// keep publishing, and the next turn takes all of it. A turn starts as soon as anything is
// published, so the writers' thread (acknowledging one batch and framing the next) and this loop
// (writing and syncing the batch before) overlap: with 256 writers the batches settle at about
// half of them each. A linger that waited for a burst to end, tried earlier, made the two
// alternate instead (0.64 against 0.85-0.9 M appends/s at W=256 once preallocation made syncs
// cheap).
//
// One turn at a time, on one thread, through the page cache. Two alternatives were measured and
// left out (figures: `npm run bench:disk`, BENCHMARKS.md): fdatasyncs do overlap in the kernel
// (two threads: ~1.4x the syncs per second), but handing them to helper threads costs a futex
// wake-up each way, tens of microseconds on this 2-core VM with the writers' thread busy, and
// W=256 / 128 B fell from 0.9 to 0.5 M/s; O_DIRECT writes make a cheaper raw cycle, but the
// thread then sleeps twice per turn (the write waits for the device), and it fell to 0.6 M/s.
//
// Preallocation: appending to a file makes each fdatasync also commit the new size and block
// allocation to the file system's journal; overwriting blocks already written does not (measured
// here: 0.17 ms against 0.11 ms per 27 KB turn). So while turns are small, the loop writes zeros
// ahead of the active segment's data in PREALLOCATE steps, right after a turn's acknowledgements
// are published (while the writers' thread is busy with them); the zeros reach the disk with the
// next turn's fdatasync, one journal commit per step instead of one per turn. A zero tail reads as
// ZeroTail, the scan's clean end (docs/FORMAT.md); a segment is cut back to its data before it is
// closed, so only the last segment ever has one.
//
// Failure rules (DESIGN section 5):
// - a failed write (a short one is continued with its rest first, see writeAt): every touched
//   file is truncated back to where this turn began writing it, before anything of the turn is
//   acknowledged; then the log fails (DiskFullError for ENOSPC, IoError otherwise), so no later
//   write lands after a hole;
// - a failed fdatasync (or directory sync): the log fails with StoreFailedError and is never
//   synced again: after a failed fsync the kernel may have dropped the dirty pages, and a retry
//   can report success without the data.
import { assert } from "../assert.js";
import { type Core, CompletionOutcome } from "../core/index.js";
import { type Clock } from "../io/clock.js";
import { type IoCompletion, type IoFile, type StorageIo, errnoNumber, errnoOfThrown } from "../io/storage-io.js";
import { writeWhole } from "../io/write-whole.js";
import { type CommitRing, FailureKind, RingState, RingWord, type SegmentStart } from "./commit-ring.js";
import { type Durability } from "./durability.js";
import { type LogState } from "./log-state.js";
import { LogStateKeeper } from "./log-state-keeper.js";
import { type LoopWaker } from "./loop-waker.js";
import { SEGMENT_HEADER_SIZE, segmentFileName } from "./segment-format.js";
import { planWrites } from "./write-plan.js";

export interface IoLoopConfig {
  readonly dir: string;
  readonly durability: Durability;
  /** Zeros written ahead of the active segment's data per step; 0 turns preallocation off. */
  readonly preallocateBytes: number;
  /** No zeros are written past this file offset (the log's segmentSizeMax). */
  readonly segmentSizeMax: number;
  /** The segment the stream is in at open (it continues), or null if the first push starts one. */
  readonly current: SegmentStart | null;
}

interface OpenSegment extends SegmentStart {
  file: IoFile | null;
  /** File offset past the last data byte this loop wrote (-1: nothing yet, the end is unknown). */
  dataEnd: number;
  /** File offset up to which zeros or data were written ahead (>= dataEnd once known). */
  zeroedEnd: number;
  /** Written since its last successful fdatasync (data, zeros or a cut). */
  dirty: boolean;
}

/** Thrown inside a turn to stop it; the loop has already recorded the failure in the ring. */
class TurnFailed extends Error {}

export class IoLoop {
  private readonly segments: OpenSegment[] = [];
  private readonly completions: IoCompletion[] = [];
  private lastSyncRequests = 0;
  private readonly state: LogStateKeeper;
  private nextIntervalSyncMs = 0;

  constructor(
    core: Core,
    private readonly io: StorageIo,
    private readonly ring: CommitRing,
    private readonly waker: LoopWaker,
    private readonly clock: Clock,
    private readonly config: IoLoopConfig,
    /** Called after watermarks move (in-process writers check their waiters here). */
    private readonly onProgress: () => void = () => undefined,
  ) {
    this.state = new LogStateKeeper(core, io, config.dir);
    if (config.current !== null) this.openSegment(config.current);
    // The ring is fresh per open, so its request counter starts at 0: a sync() asked for before
    // this loop started (the worker takes milliseconds to start) is still seen as pending.
    this.lastSyncRequests = 0;
    if (config.durability.kind === "interval") this.nextIntervalSyncMs = clock.nowMs() + config.durability.intervalMs;
  }

  /**
   * Runs until close is requested and everything published is durable, or until a failure.
   * The loop is endless by design otherwise; each iteration either does work or sleeps.
   */
  async run(): Promise<void> {
    if (!this.begin()) return this.stop();
    for (;;) {
      const ticket = this.waker.arm();
      const state = this.ring.state;
      if (state === RingState.Failed) return this.stop();
      if (this.ring.published > this.ring.written) {
        if (!(await this.writeTurn())) return this.stop();
        continue;
      }
      const syncRequests = Atomics.load(this.ring.i32, RingWord.syncRequests);
      const closing = state === RingState.CloseRequested;
      const behind = this.ring.durable < this.ring.written;
      const intervalDue = this.config.durability.kind === "interval" && this.clock.nowMs() >= this.nextIntervalSyncMs;
      if (behind && (closing || syncRequests !== this.lastSyncRequests || intervalDue)) {
        this.lastSyncRequests = syncRequests;
        if (!(await this.syncTurn(this.ring.written))) return this.stop();
        continue;
      }
      if (!behind) this.lastSyncRequests = syncRequests;
      if (intervalDue && this.config.durability.kind === "interval") this.nextIntervalSyncMs = this.clock.nowMs() + this.config.durability.intervalMs;
      if (closing) {
        this.closeAll();
        // The proof of a clean close: every byte below the stream's end is durable (LOGSTATE).
        const last = this.segments[this.segments.length - 1];
        if (last !== undefined && !this.tryInstallState({ lastSegmentId: last.segmentId, durableOffset: this.ring.durable })) return this.stop();
        this.ring.setState(RingState.Closed);
        this.progress();
        return;
      }
      await this.waker.wait(ticket, this.sleepMs());
    }
  }

  /**
   * Before the first turn of a log that continues a segment: syncs that segment (recovery read
   * its bytes, maybe from the page cache of a process that was killed) and installs LOGSTATE
   * naming it, so that nothing this open recovered can vanish later without being called
   * corruption. A new log gets its LOGSTATE after its first segment's R1 instead.
   */
  private begin(): boolean {
    const current = this.config.current;
    if (current === null) return true;
    const segment = this.segments[0];
    assert(segment !== undefined && segment.segmentId === current.segmentId, "the current segment is open first");
    try {
      this.io.syncFile(this.fileOf(segment));
    } catch (error) {
      if (error instanceof TurnFailed) return false;
      this.ring.fail(FailureKind.Sync, -errnoNumber(errnoOfThrown(error)));
      this.progress();
      return false;
    }
    try {
      this.state.load();
    } catch (error) {
      this.ring.fail(FailureKind.Sync, -errnoNumber(errnoOfThrown(error)));
      this.progress();
      return false;
    }
    if (!this.state.staleAtOpen(current.segmentId, this.ring.origin)) return true;
    if (this.state.namesNewSegment(current.segmentId)) {
      try {
        this.io.syncDirectory(this.config.dir);
      } catch (error) {
        this.ring.fail(FailureKind.DirectorySync, -errnoNumber(errnoOfThrown(error)));
        this.progress();
        return false;
      }
    }
    return this.tryInstallState({ lastSegmentId: current.segmentId, durableOffset: this.ring.origin });
  }

  /** Installs `state` as LOGSTATE's newest (log-state-keeper.ts); false if the log failed. */
  private tryInstallState(state: LogState): boolean {
    try {
      this.state.install(state);
    } catch (error) {
      this.ring.fail(FailureKind.StateWrite, -errnoNumber(errnoOfThrown(error)));
      this.progress();
      return false;
    }
    return true;
  }

  private installState(state: LogState): void {
    if (!this.tryInstallState(state)) throw new TurnFailed();
  }

  private sleepMs(): number | undefined {
    if (this.config.durability.kind !== "interval") return undefined;
    return Math.max(1, this.nextIntervalSyncMs - this.clock.nowMs());
  }

  /**
   * Writes [written, published); in "sync" mode also syncs it. False if the log failed.
   * Two ordering rules make recovery decidable (host/wal/recovery-table.ts):
   *   R1 a new segment's header is written, synced and its directory entry synced first;
   *   R2 a segment is synced whole before the next one gets a byte.
   */
  private async writeTurn(): Promise<boolean> {
    // The published offset first, then the starts. A writer pushes a segment's start before it
    // publishes any byte of the segment, so every start a byte below `published` belongs to is
    // pushed before `published` was read, and taken here. The other order let a writer push a
    // start and publish the new segment's header between the two reads: the loop then planned
    // that header and its frames into the previous segment's file, skipping R1 (the power-loss
    // stage's rotation variant found it: a cleanly closed log that refused to open).
    const written = this.ring.written;
    const published = this.ring.published;
    for (const start of this.ring.takeSegmentStarts()) this.openSegment(start);
    const pieces = planWrites(written, published, this.segments);
    try {
      for (const piece of pieces) {
        // R2, whether the rotation falls inside this turn or between two turns.
        await this.syncAndCloseSegmentsBefore(piece.segmentId);
        const segment = this.segmentOf(piece.segmentId);
        let streamFrom = piece.streamFrom;
        if (piece.fileOffset === 0) {
          // R1. The writer publishes a header in one go, so a piece at offset 0 holds all of it.
          const headerEnd = streamFrom + BigInt(SEGMENT_HEADER_SIZE);
          assert(piece.streamTo >= headerEnd, "a segment header is published whole");
          await this.writeRange(segment, streamFrom, headerEnd, 0);
          await this.syncSegments([segment]);
          this.syncDirectory();
          // Frames go into a segment only once a LOGSTATE naming it is durable: so a segment
          // missing at the end is corruption, never "a rotation that did not happen".
          this.installState({ lastSegmentId: segment.segmentId, durableOffset: headerEnd });
          streamFrom = headerEnd;
        }
        if (streamFrom < piece.streamTo) await this.writeRange(segment, streamFrom, piece.streamTo, piece.fileOffset + Number(streamFrom - piece.streamFrom));
      }
      this.ring.publishWritten(published);
      if (this.config.durability.kind === "sync" && !(await this.syncTurn(published))) return false;
      if (this.config.durability.kind !== "sync") this.progress();
      await this.preallocate(Number(published - written));
      return true;
    } catch (error) {
      if (error instanceof TurnFailed) return false;
      throw error;
    }
  }

  /** One gathered write of the stream range [from, to) at fileOffset; fails the log if it fails. */
  private async writeRange(segment: OpenSegment, from: bigint, to: bigint, fileOffset: number): Promise<void> {
    await this.writeAt(segment, this.ring.slices(from, to), fileOffset, fileOffset);
    const end = fileOffset + Number(to - from);
    if (end > segment.dataEnd) segment.dataEnd = end;
    if (end > segment.zeroedEnd) segment.zeroedEnd = end;
  }

  /**
   * Writes `buffers` at fileOffset, whole (host/io/write-whole.ts continues short writes). On a
   * failure, cuts the file back to `rollbackTo` and fails the log: DiskFullError for ENOSPC, and
   * FailureKind.ShortWrite for a write that made no progress.
   */
  private async writeAt(segment: OpenSegment, buffers: Uint8Array[], fileOffset: number, rollbackTo: number): Promise<void> {
    const file = this.fileOf(segment);
    segment.dirty = true;
    const failed = await writeWhole(this.io, file, buffers, fileOffset);
    if (failed !== null) this.failWrite(file, rollbackTo, failed);
  }

  /**
   * After a small turn: if the active segment's zeros end less than half a step ahead of its
   * data, writes the next step of zeros (never past segmentSizeMax). Large turns append instead:
   * there the flush of the data dwarfs the journal commit, and zeros would double the bytes.
   */
  private async preallocate(turnBytes: number): Promise<void> {
    const step = this.config.preallocateBytes;
    const segment = this.segments[this.segments.length - 1];
    if (step === 0 || segment === undefined || segment.dataEnd < 0 || turnBytes > step / 8) return;
    if (segment.zeroedEnd - segment.dataEnd >= step / 2) return;
    const to = Math.min(segment.zeroedEnd + step, this.config.segmentSizeMax);
    if (to <= segment.zeroedEnd) return;
    await this.writeAt(segment, [zerosOf(to - segment.zeroedEnd)], segment.zeroedEnd, segment.dataEnd);
    segment.zeroedEnd = to;
  }

  /** Syncs every file written since its last sync. False if the log failed. */
  private async syncTurn(upTo: bigint): Promise<boolean> {
    try {
      await this.syncSegments(this.segments);
      this.retireSegmentsBelow(upTo);
      this.ring.publishDurable(upTo);
      this.progress();
      return true;
    } catch (error) {
      if (error instanceof TurnFailed) return false;
      throw error;
    }
  }

  /**
   * One fdatasync per segment written since its last sync, all in flight together. Dirtiness is
   * the loop's own flag, not the completion table's positions: zeros written ahead move the
   * table's written position past data written later, which the table cannot tell apart.
   */
  private async syncSegments(segments: readonly OpenSegment[]): Promise<void> {
    const syncing: OpenSegment[] = [];
    for (const segment of segments) {
      if (!segment.dirty || segment.file === null) continue;
      assert(this.io.submitDatasync(segment.file) !== null, "the completion table has room for a turn's syncs");
      segment.dirty = false; // set again by any write submitted from here on
      syncing.push(segment);
    }
    this.io.flush();
    await this.awaitAll(syncing.length, (completion) => {
      const outcome = this.io.completions.complete(completion.token, completion.result);
      if (outcome !== CompletionOutcome.Ok) this.failSync(completion.errno);
    });
  }

  private syncDirectory(): void {
    try {
      this.io.syncDirectory(this.config.dir);
    } catch (error) {
      this.ring.fail(FailureKind.DirectorySync, -errnoNumber(errnoOfThrown(error)));
      this.progress();
      throw new TurnFailed();
    }
  }

  /** Waits for `count` completions, handing each to `handle` in the order they arrive. */
  private async awaitAll(count: number, handle: (completion: IoCompletion) => void): Promise<void> {
    let seen = 0;
    while (seen < count) {
      await this.io.awaitCompletion();
      this.completions.length = 0;
      this.io.pollCompletions(this.completions);
      for (const completion of this.completions) {
        seen++;
        handle(completion);
      }
    }
  }

  private failWrite(file: IoFile, fileOffset: number, completion: IoCompletion): never {
    // Roll back before anything is acknowledged: the file ends where the failed write began.
    try {
      this.io.truncate(file, fileOffset);
    } catch {
      // The log fails either way, and recovery cuts whatever this truncate could not.
    }
    // No errno: the write made no progress (writeAt continues every short write that did).
    if (completion.errno === "") this.ring.fail(FailureKind.ShortWrite, -errnoNumber("EIO"));
    else this.ring.fail(FailureKind.Write, -errnoNumber(completion.errno));
    this.progress();
    throw new TurnFailed();
  }

  private failSync(errno: string): never {
    this.ring.fail(FailureKind.Sync, -errnoNumber(errno === "" ? "EIO" : errno));
    this.progress();
    throw new TurnFailed();
  }

  private openSegment(start: SegmentStart): void {
    this.segments.push({ streamOffset: start.streamOffset, segmentId: start.segmentId, file: null, dataEnd: -1, zeroedEnd: -1, dirty: false });
  }

  private segmentOf(segmentId: bigint): OpenSegment {
    const segment = this.segments.find((s) => s.segmentId === segmentId);
    assert(segment !== undefined, "a piece names a known segment");
    return segment;
  }

  private fileOf(segment: OpenSegment): IoFile {
    if (segment.file === null) {
      const path = `${this.config.dir}/${segmentFileName(segment.segmentId)}`;
      const isNew = this.config.current === null || segment.segmentId !== this.config.current.segmentId;
      try {
        segment.file = this.io.openFile(path, { create: isNew, exclusive: isNew });
      } catch (error) {
        this.ring.fail(FailureKind.Open, -errnoNumber(errnoOfThrown(error)));
        this.progress();
        throw new TurnFailed();
      }
    }
    return segment.file;
  }

  /**
   * Syncs every open segment older than `segmentId` (the stream has moved past them), cut back to
   * its data first, then closes it: a closed segment ends at its last frame.
   */
  private async syncAndCloseSegmentsBefore(segmentId: bigint): Promise<void> {
    const older = this.segments.filter((s) => s.segmentId < segmentId);
    if (older.length === 0) return;
    for (const segment of older) this.trimZeros(segment, true);
    await this.syncSegments(older);
    const first = this.segments.find((s) => s.segmentId === segmentId);
    assert(first !== undefined, "a piece names a known segment");
    this.retireSegmentsBelow(first.streamOffset);
  }

  /**
   * Closes segments the stream has moved past: those whose successor starts at or before `upTo`
   * (every byte of them is below upTo, so written and, by the caller, synced). One that still has
   * zeros ahead stays open: syncAndCloseSegmentsBefore cuts and syncs it before its successor gets
   * a byte. (The I/O thread can see a segment start before the writer has published any of its
   * bytes, so a turn can end exactly at a segment's end; the SIGKILL test found this.)
   */
  private retireSegmentsBelow(upTo: bigint): void {
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const next = this.segments[1];
      assert(oldest !== undefined && next !== undefined, "segments are dense");
      if (next.streamOffset > upTo) return;
      if (oldest.file !== null && oldest.zeroedEnd > oldest.dataEnd) return;
      if (oldest.file !== null) this.io.closeFile(oldest.file);
      this.segments.shift();
    }
  }

  /**
   * Cuts a segment's zeros written ahead. At rotation the cut must be durable before the next
   * segment gets a byte (R2), so a failed cut fails the log; at close it need not be: recovery
   * cuts a zero tail of the last segment anyway.
   */
  private trimZeros(segment: OpenSegment, required: boolean): void {
    if (segment.file === null || segment.zeroedEnd <= segment.dataEnd) return;
    try {
      this.io.truncate(segment.file, segment.dataEnd);
    } catch (error) {
      if (!required) return;
      this.ring.fail(FailureKind.Truncate, -errnoNumber(errnoOfThrown(error)));
      this.progress();
      throw new TurnFailed();
    }
    segment.zeroedEnd = segment.dataEnd;
    segment.dirty = true;
  }

  private closeAll(): void {
    for (const segment of this.segments) {
      this.trimZeros(segment, false);
      if (segment.file !== null) this.io.closeFile(segment.file);
      segment.file = null;
    }
  }

  private stop(): void {
    for (const segment of this.segments) {
      if (segment.file === null) continue;
      try {
        this.io.closeFile(segment.file);
      } catch {
        // Failed already; closing is best effort so the descriptors are not leaked.
      }
      segment.file = null;
    }
    this.progress();
  }

  private progress(): void {
    this.ring.wakeWriters();
    this.onProgress();
  }
}

/** A shared all-zero buffer for preallocation steps (never written to). */
let zeroBuffer = new Uint8Array(0);
function zerosOf(length: number): Uint8Array {
  if (zeroBuffer.byteLength < length) zeroBuffer = new Uint8Array(length);
  return zeroBuffer.subarray(0, length);
}
