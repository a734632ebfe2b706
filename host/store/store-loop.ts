// The store's I/O loop: the log's I/O loop (host/wal/io-loop.ts) generalised to many files. One
// ring, one thread, one LOCK for the whole store; the ring carries pieces (ring-pieces.ts), each
// for one stream (a space's hot segment, or staging) or an ordered control operation.
//
// A turn takes every piece published since the last one, up to the first control piece:
//   1. it writes each touched stream's frames (gathered straight from the ring) at its file's end;
//   2. in "sync" mode it fdatasyncs each touched file once, all in flight together;
//   3. it publishes the watermark: the ring offset through which everything is written (durable).
// Writers wait on that one watermark, so acknowledgements follow ring order, which is revision
// order: an acknowledged revision r means every file holding a revision <= r was synced.
//
// A control piece runs between turns: every dirty file is synced first, then the op runs, then
// the watermark passes it. Background jobs (a seal's installation, control-op.ts "install") are
// queued by their piece and stepped between turns, STEP_BYTES at a time, so writes never wait for
// a block to be written.
//
// Failure rules, as the log's (DESIGN section 5): a failed write cuts every file the turn touched
// back to where the turn began writing it, then the store fails (nothing of the turn is
// acknowledged); a failed fdatasync or directory fsync fails the store for good.
import { assert } from "../assert.js";
import { type Core, CompletionOutcome } from "../core/index.js";
import { type Clock } from "../io/clock.js";
import { type IoCompletion, type IoFile, type StorageIo, errnoNumber, errnoOfThrown } from "../io/storage-io.js";
import { writeWhole } from "../io/write-whole.js";
import { type CommitRing, FailureKind, RingState, RingWord } from "../wal/commit-ring.js";
import { type Durability } from "../wal/durability.js";
import { type LoopWaker } from "../wal/loop-waker.js";
import { type ByteRef, type ControlOp, decodeControlOp, fromHex } from "./control-op.js";
import { MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME } from "./manifest-format.js";
import { PIECE_HEADER_SIZE, PieceKind, pieceSpan, readPieceHeader } from "./ring-pieces.js";

export interface StoreLoopConfig {
  readonly dir: string;
  readonly durability: Durability;
  /** Zeros written ahead of a stream's data per step; 0 turns preallocation off. */
  readonly preallocateBytes: number;
}

/** Bytes of a background block write per step (between two turns). */
export const STEP_BYTES = 4 << 20;
/** Buffers per gathered write (below IOV_MAX = 1024). */
const GATHER_MAX = 512;

interface LoopStream {
  readonly id: number;
  readonly name: string;
  readonly file: IoFile;
  /** File offset past the last byte written. */
  end: number;
  /** File offset up to which zeros or data were written ahead (>= end). */
  zeroedEnd: number;
  /** Written since its last fdatasync. */
  dirty: boolean;
}

/**
 * Zeros written ahead of a stream's data per step, as the log's loop does (io-loop.ts): an
 * fdatasync that overwrites blocks a file has already is cheaper than one that grows the file
 * (no journal commit of its size and allocation). A zero tail reads as a clean end
 * (FORMAT.md "Reading a store file"), and a stream is cut back to its data when it is detached
 * or the store closes.
 */
export const STORE_PREALLOCATE_BYTES = 1 << 20;

/** A seal installation in progress: which block, how far. */
interface InstallJob {
  readonly op: Extract<ControlOp, { op: "install" }>;
  blockIndex: number;
  blockOffset: number;
  file: IoFile | null;
}

/** Thrown inside a turn to stop it; the loop has already recorded the failure in the ring. */
class TurnFailed extends Error {}

export class StoreLoop {
  private readonly streams = new Map<number, LoopStream>();
  private readonly jobs: InstallJob[] = [];
  private cursor: bigint;
  private lastSyncRequests = 0;
  private nextIntervalSyncMs = 0;
  private readonly ringView: DataView;
  private readonly ringBytes: Uint8Array;

  constructor(
    private readonly core: Core,
    private readonly io: StorageIo,
    private readonly ring: CommitRing,
    private readonly waker: LoopWaker,
    private readonly clock: Clock,
    private readonly config: StoreLoopConfig,
    /** Called after watermarks move (in-process writers check their waiters here). */
    private readonly onProgress: () => void = () => undefined,
  ) {
    this.cursor = ring.written;
    this.ringBytes = new Uint8Array(core.memory.buffer, ring.dataPtr, ring.address.ringSizeBytes);
    this.ringView = new DataView(core.memory.buffer, ring.dataPtr, ring.address.ringSizeBytes);
    if (config.durability.kind === "interval") this.nextIntervalSyncMs = clock.nowMs() + config.durability.intervalMs;
  }

  /** Runs until close is requested and everything is durable and installed, or until a failure. */
  async run(): Promise<void> {
    for (;;) {
      const ticket = this.waker.arm();
      const state = this.ring.state;
      if (state === RingState.Failed) return this.stop();
      try {
        if (this.ring.published > this.cursor) {
          await this.turn(this.ring.published);
          if (this.jobs.length > 0) await this.stepJob();
          continue;
        }
        if (this.jobs.length > 0) {
          await this.stepJob();
          continue;
        }
        const syncRequests = Atomics.load(this.ring.i32, RingWord.syncRequests);
        const closing = state === RingState.CloseRequested;
        const behind = this.ring.durable < this.ring.written;
        const intervalDue = this.config.durability.kind === "interval" && this.clock.nowMs() >= this.nextIntervalSyncMs;
        if (behind && (closing || syncRequests !== this.lastSyncRequests || intervalDue)) {
          this.lastSyncRequests = syncRequests;
          await this.syncDirty();
          this.ring.publishDurable(this.ring.written);
          this.progress();
          continue;
        }
        if (!behind) this.lastSyncRequests = syncRequests;
        if (intervalDue && this.config.durability.kind === "interval") this.nextIntervalSyncMs = this.clock.nowMs() + this.config.durability.intervalMs;
        if (closing) {
          this.closeAll();
          this.ring.setState(RingState.Closed);
          this.progress();
          return;
        }
      } catch (error) {
        if (error instanceof TurnFailed) return this.stop();
        throw error;
      }
      await this.waker.wait(ticket, this.sleepMs());
    }
  }

  private sleepMs(): number | undefined {
    if (this.config.durability.kind !== "interval") return undefined;
    return Math.max(1, this.nextIntervalSyncMs - this.clock.nowMs());
  }

  /** One turn: the data pieces up to `published` or the first control piece, then that piece. */
  private async turn(published: bigint): Promise<void> {
    const byStream = new Map<number, Uint8Array[]>();
    let at = this.cursor;
    let control: { at: bigint; body: Uint8Array } | null = null;
    const ringSize = this.ring.address.ringSizeBytes;
    while (at < published) {
      const index = this.ring.indexOf(at);
      const header = readPieceHeader(this.ringView, index);
      if (header.kind === PieceKind.Pad) {
        at += BigInt(ringSize - index);
        continue;
      }
      const body = this.ringBytes.subarray(index + PIECE_HEADER_SIZE, index + PIECE_HEADER_SIZE + header.length);
      assert(index + pieceSpan(header.length) <= ringSize, "a piece never wraps");
      if (header.kind === PieceKind.Control) {
        control = { at, body };
        break;
      }
      let buffers = byStream.get(header.target);
      if (buffers === undefined) byStream.set(header.target, (buffers = []));
      buffers.push(body);
      at += BigInt(pieceSpan(header.length));
    }
    assert(at <= published, "pieces end at the published offset");
    if (byStream.size > 0) {
      const turnBytes = await this.writeStreams(byStream);
      this.cursor = at;
      this.ring.publishWritten(at);
      if (this.config.durability.kind === "sync") {
        await this.syncDirty();
        this.ring.publishDurable(at);
      }
      this.progress();
      // While the writers' thread takes the acknowledgements: the next step of zeros, if due.
      await this.preallocate(byStream, turnBytes);
    }
    if (control === null) return;
    // Everything before a control op is durable before it runs: so an op that installs or
    // removes files never overtakes the frames written before it.
    await this.syncDirty();
    await this.runControl(decodeControlOp(control.body));
    const end = control.at + BigInt(pieceSpan(control.body.byteLength));
    this.cursor = end;
    this.ring.publishWritten(end);
    this.ring.publishDurable(end);
    this.progress();
  }

  /** Writes each stream's buffers at its end; on a failure cuts every touched file back and fails. Returns the bytes written. */
  private async writeStreams(byStream: ReadonlyMap<number, Uint8Array[]>): Promise<number> {
    let written = 0;
    const startedAt: Array<[LoopStream, number]> = [];
    for (const [id, buffers] of byStream) {
      const stream = this.streams.get(id);
      assert(stream !== undefined, `a data piece names an attached stream (${id})`);
      startedAt.push([stream, stream.end]);
      for (let from = 0; from < buffers.length; from += GATHER_MAX) {
        const part = buffers.slice(from, from + GATHER_MAX);
        stream.dirty = true;
        const failed = await writeWhole(this.io, stream.file, part, stream.end);
        if (failed !== null) this.failWrite(startedAt, failed);
        for (const buffer of part) stream.end += buffer.byteLength;
      }
      written += stream.end - (startedAt[startedAt.length - 1]?.[1] ?? stream.end);
      if (stream.end > stream.zeroedEnd) stream.zeroedEnd = stream.end;
    }
    return written;
  }

  /**
   * After a small turn, each stream it wrote whose zeros end less than half a step ahead gets
   * the next step. Large turns append instead: there the data's flush dwarfs the journal commit.
   */
  private async preallocate(byStream: ReadonlyMap<number, Uint8Array[]>, turnBytes: number): Promise<void> {
    const step = this.config.preallocateBytes;
    if (step === 0 || turnBytes > step / 8) return;
    for (const id of byStream.keys()) {
      const stream = this.streams.get(id);
      if (stream === undefined || stream.zeroedEnd - stream.end >= step / 2) continue;
      const to = stream.zeroedEnd + step;
      stream.dirty = true;
      const failed = await writeWhole(this.io, stream.file, [zerosOf(to - stream.zeroedEnd)], stream.zeroedEnd);
      if (failed !== null) this.failWrite([[stream, stream.end]], failed);
      stream.zeroedEnd = to;
    }
  }

  /** Cuts a stream's zeros written ahead (before it is closed: a closed file ends at its last frame). */
  private trimZeros(stream: LoopStream, required: boolean): void {
    if (stream.zeroedEnd <= stream.end) return;
    try {
      this.io.truncate(stream.file, stream.end);
    } catch (error) {
      if (required) this.fail(FailureKind.Truncate, errnoOfThrown(error));
      return;
    }
    stream.zeroedEnd = stream.end;
  }

  private failWrite(startedAt: ReadonlyArray<[LoopStream, number]>, completion: IoCompletion): never {
    // Roll back before anything is acknowledged: each file ends where this turn began writing it.
    for (const [stream, end] of startedAt) {
      try {
        this.io.truncate(stream.file, end);
      } catch {
        // The store fails either way, and recovery cuts whatever this truncate could not.
      }
    }
    if (completion.errno === "") this.ring.fail(FailureKind.ShortWrite, -errnoNumber("EIO"));
    else this.ring.fail(FailureKind.Write, -errnoNumber(completion.errno));
    this.progress();
    throw new TurnFailed();
  }

  /** One fdatasync per file written since its last one, all in flight together. */
  private async syncDirty(): Promise<void> {
    let count = 0;
    for (const stream of this.streams.values()) {
      if (!stream.dirty) continue;
      assert(this.io.submitDatasync(stream.file) !== null, "the completion table has room for a turn's syncs");
      stream.dirty = false;
      count++;
    }
    if (count === 0) return;
    this.io.flush();
    const arrived: IoCompletion[] = [];
    let seen = 0;
    while (seen < count) {
      await this.io.awaitCompletion();
      arrived.length = 0;
      this.io.pollCompletions(arrived);
      for (const completion of arrived) {
        seen++;
        const outcome = this.io.completions.complete(completion.token, completion.result);
        if (outcome !== CompletionOutcome.Ok) this.fail(FailureKind.Sync, completion.errno === "" ? "EIO" : completion.errno);
      }
    }
  }

  private async runControl(op: ControlOp): Promise<void> {
    switch (op.op) {
      case "create": {
        const file = this.cold(FailureKind.Open, () => this.io.openFile(this.pathOf(op.name), { create: true, exclusive: true }));
        const header = fromHex(op.header);
        const stream: LoopStream = { id: op.stream, name: op.name, file, end: 0, zeroedEnd: 0, dirty: true };
        this.attachStream(stream);
        const failed = await writeWhole(this.io, file, [header], 0);
        if (failed !== null) this.failWrite([[stream, 0]], failed);
        stream.end = header.byteLength;
        await this.syncDirty();
        this.cold(FailureKind.DirectorySync, () => this.io.syncDirectory(this.config.dir));
        return;
      }
      case "attach": {
        const file = this.cold(FailureKind.Open, () => this.io.openFile(this.pathOf(op.name), { create: false, position: op.size }));
        this.attachStream({ id: op.stream, name: op.name, file, end: op.size, zeroedEnd: op.size, dirty: false });
        return;
      }
      case "detach": {
        const stream = this.streams.get(op.stream);
        assert(stream !== undefined && !stream.dirty, "a detached stream is attached and synced");
        // io.truncate syncs: the file ends at its last frame before it is closed.
        this.trimZeros(stream, true);
        this.streams.delete(op.stream);
        this.io.closeFile(stream.file);
        return;
      }
      case "remove": {
        for (const name of op.names) this.cold(FailureKind.Open, () => this.io.removeFile(this.pathOf(name)));
        this.cold(FailureKind.DirectorySync, () => this.io.syncDirectory(this.config.dir));
        return;
      }
      case "install":
        this.jobs.push({ op, blockIndex: 0, blockOffset: 0, file: null });
        return;
    }
  }

  private attachStream(stream: LoopStream): void {
    assert(!this.streams.has(stream.id), `stream ${stream.id} is attached once`);
    this.streams.set(stream.id, stream);
  }

  /**
   * One step of the oldest job: up to STEP_BYTES of its current block, or that block's fdatasync
   * and close, or (every block done) the directory fsync and the manifest's installation.
   */
  private async stepJob(): Promise<void> {
    const job = this.jobs[0];
    assert(job !== undefined, "a job to step");
    const block = job.op.blocks[job.blockIndex];
    if (block !== undefined) {
      const path = this.pathOf(block.name);
      const file = job.file ?? this.cold(FailureKind.Open, () => this.io.openFile(path, { create: true, exclusive: true }));
      job.file = file;
      const bytes = this.bytesOf(block.bytes);
      if (job.blockOffset < bytes.byteLength) {
        const to = Math.min(bytes.byteLength, job.blockOffset + STEP_BYTES);
        const failed = await writeWhole(this.io, file, [bytes.subarray(job.blockOffset, to)], job.blockOffset);
        if (failed !== null) this.failJobWrite(file, failed);
        job.blockOffset = to;
        return;
      }
      this.cold(FailureKind.Sync, () => this.io.syncFile(file));
      this.io.closeFile(file);
      job.file = null;
      job.blockIndex++;
      job.blockOffset = 0;
      return;
    }
    // DESIGN section 6: the blocks' directory entries are durable before a manifest names them.
    this.cold(FailureKind.DirectorySync, () => this.io.syncDirectory(this.config.dir));
    await this.installManifest(this.bytesOf(job.op.manifest));
    this.jobs.shift();
    Atomics.add(this.ring.i32, RingWord.jobsDone, 1);
    this.progress();
  }

  /** MANIFEST.tmp written whole and fdatasynced, renamed over MANIFEST, the directory fsynced. */
  private async installManifest(bytes: Uint8Array): Promise<void> {
    const temp = this.pathOf(MANIFEST_TEMP_NAME);
    if (this.io.exists(temp)) this.cold(FailureKind.Open, () => this.io.removeFile(temp));
    const file = this.cold(FailureKind.Open, () => this.io.openFile(temp, { create: true, exclusive: true }));
    const failed = await writeWhole(this.io, file, [bytes], 0);
    if (failed !== null) this.failJobWrite(file, failed);
    this.cold(FailureKind.Sync, () => this.io.syncFile(file));
    this.io.closeFile(file);
    this.cold(FailureKind.StateWrite, () => this.io.renameFile(temp, this.pathOf(MANIFEST_FILE_NAME)));
    this.cold(FailureKind.DirectorySync, () => this.io.syncDirectory(this.config.dir));
  }

  private failJobWrite(file: IoFile, completion: IoCompletion): never {
    try {
      this.io.closeFile(file);
    } catch {
      // Failing anyway; an unlisted block or MANIFEST.tmp is removed by the next open.
    }
    if (completion.errno === "") this.ring.fail(FailureKind.ShortWrite, -errnoNumber("EIO"));
    else this.ring.fail(FailureKind.Write, -errnoNumber(completion.errno));
    this.progress();
    throw new TurnFailed();
  }

  /** Runs a synchronous cold-path call; a throw fails the store with `kind` and its errno. */
  private cold<T>(kind: FailureKind, call: () => T): T {
    try {
      return call();
    } catch (error) {
      this.fail(kind, errnoOfThrown(error));
    }
  }

  private fail(kind: FailureKind, errno: string): never {
    this.ring.fail(kind, -errnoNumber(errno));
    this.progress();
    throw new TurnFailed();
  }

  private bytesOf(ref: ByteRef): Uint8Array {
    return new Uint8Array(this.core.memory.buffer, ref.ptr, ref.length);
  }

  private pathOf(name: string): string {
    return `${this.config.dir}/${name}`;
  }

  private closeAll(): void {
    for (const stream of this.streams.values()) {
      // Not required: recovery cuts a zero tail anyway.
      this.trimZeros(stream, false);
      this.io.closeFile(stream.file);
    }
    this.streams.clear();
  }

  private stop(): void {
    for (const stream of this.streams.values()) {
      try {
        this.io.closeFile(stream.file);
      } catch {
        // Failed already; closing is best effort so the descriptors are not leaked.
      }
    }
    this.streams.clear();
    for (const job of this.jobs) {
      if (job.file === null) continue;
      try {
        this.io.closeFile(job.file);
      } catch {
        // As above.
      }
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
