// The commit ring: where writers hand framed bytes to the I/O loop, in the shared WASM memory.
//
// The log is one byte stream (every segment's bytes, in order). Writers (the calling thread) frame
// entries straight into the ring at the stream's head and publish; the I/O loop (a worker thread,
// or in-process) writes what is published, syncs, and publishes the watermarks writers await.
//
//   region start
//   +0     control: i64 slots (published, written, durable, origin, segment-start head/tail)
//   +64    control: i32 words (wake counters, sleeping flag, state, failure kind/errno, requests)
//   +128   segment starts: SEGMENT_STARTS_MAX x [streamOffset u64][segmentId u64]
//   +8192  ring data: ringSizeBytes, stream offset s at ring byte (s - origin) mod ringSizeBytes
//   ...    spill: spillSizeBytes past the ring's end, so a frame that wraps can be encoded
//          contiguously and its overflow copied to the ring's start
//
// Invariants: written <= published <= written + ringSizeBytes (a writer never overwrites bytes the
// loop has not written: the ring is bounded and applies backpressure); durable <= written.
import { assert, constants } from "../assert.js";
import { type Core, type Region, type Ptr, asPtr } from "../core/index.js";

const I64 = { published: 0, written: 1, durable: 2, origin: 3, startsHead: 4, startsTail: 5 } as const;
const I32_BASE = 64 / 4;
export const RingWord = {
  wakeLoop: I32_BASE + 0,
  loopSleeping: I32_BASE + 1,
  wakeWriters: I32_BASE + 2,
  state: I32_BASE + 3,
  failureKind: I32_BASE + 4,
  failureErrno: I32_BASE + 5,
  syncRequests: I32_BASE + 6,
  /** Bumped each time durable moves: writers compare an i32 instead of loading a bigint per append. */
  durableTurns: I32_BASE + 8,
  /** The store's I/O loop only: background jobs (seal installations) finished (host/store/store-loop.ts). */
  jobsDone: I32_BASE + 9,
} as const;

export const RingState = { Running: 0, CloseRequested: 1, Closed: 2, Failed: 3 } as const;
/**
 * What failed, as the I/O loop records it in the ring (log-failure.ts names each one for the user).
 * LoopStopped: the loop itself stopped (its thread died, or a bug threw); the host holds the cause.
 */
export const FailureKind = {
  None: 0, Write: 1, Sync: 2, Open: 3, ShortWrite: 4, DirectorySync: 5, Truncate: 6, StateWrite: 7, LoopStopped: 8,
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

const SEGMENT_STARTS_OFFSET = 128;
export const SEGMENT_STARTS_MAX = 256;
const SEGMENT_START_SIZE = 16;
const DATA_OFFSET = 8192;
assert(SEGMENT_STARTS_OFFSET + SEGMENT_STARTS_MAX * SEGMENT_START_SIZE <= DATA_OFFSET, "segment starts fit below the data");

export interface RingGeometry {
  readonly ringSizeBytes: number;
  readonly spillSizeBytes: number;
}

/** What a second thread needs to attach to a ring: its address and geometry. */
export interface RingAddress extends RingGeometry {
  readonly ptr: number;
}

export function ringRegionSize(geometry: RingGeometry): number {
  return DATA_OFFSET + geometry.ringSizeBytes + geometry.spillSizeBytes;
}

export interface SegmentStart {
  readonly streamOffset: bigint;
  readonly segmentId: bigint;
}

export class CommitRing {
  i64: BigInt64Array;
  i32: Int32Array;
  readonly dataPtr: Ptr;

  constructor(readonly memory: WebAssembly.Memory, readonly address: RingAddress) {
    assert(address.ptr % 64 === 0, "ring must be 64-byte aligned");
    assert(address.ringSizeBytes % 4096 === 0, "ring size is a multiple of 4096: a turn never writes half a page from it");
    this.i64 = new BigInt64Array(memory.buffer, address.ptr, 8);
    this.i32 = new Int32Array(memory.buffer, address.ptr, DATA_OFFSET / 4);
    this.dataPtr = asPtr(address.ptr + DATA_OFFSET);
  }

  /**
   * Cuts this object off the shared memory before its region is reused: its control words move to
   * a private buffer, in the Failed state. An I/O loop that still holds this object (a simulated
   * process that "died" with its loop parked) can then never write into the region's next owner.
   */
  detach(): void {
    const own = new SharedArrayBuffer(DATA_OFFSET);
    this.i64 = new BigInt64Array(own, 0, 8);
    this.i32 = new Int32Array(own, 0, DATA_OFFSET / 4);
    Atomics.store(this.i32, RingWord.state, RingState.Failed);
  }

  static allocate(core: Core, geometry: RingGeometry): { ring: CommitRing; region: Region } {
    const region = core.allocateRegion(ringRegionSize(geometry));
    core.bytesOf(region).fill(0, 0, DATA_OFFSET);
    return { ring: new CommitRing(core.memory, { ptr: region.ptr, ...geometry }), region };
  }

  /** Starts the stream at `origin` (the log's position at open): nothing published yet. */
  reset(origin: bigint): void {
    for (const slot of [I64.published, I64.written, I64.durable, I64.origin]) Atomics.store(this.i64, slot, origin);
    Atomics.store(this.i64, I64.startsHead, 0n);
    Atomics.store(this.i64, I64.startsTail, 0n);
  }

  get published(): bigint {
    return Atomics.load(this.i64, I64.published);
  }
  get written(): bigint {
    return Atomics.load(this.i64, I64.written);
  }
  get durable(): bigint {
    return Atomics.load(this.i64, I64.durable);
  }
  get origin(): bigint {
    return Atomics.load(this.i64, I64.origin);
  }
  get state(): number {
    return Atomics.load(this.i32, RingWord.state);
  }

  /** The ring byte index of a stream offset. */
  indexOf(streamOffset: bigint): number {
    return Number((streamOffset - this.origin) % BigInt(this.address.ringSizeBytes));
  }

  // --- writer side ---

  publish(streamOffset: bigint): void {
    if (constants.verify) assert(streamOffset >= this.published, "the published offset only grows");
    Atomics.store(this.i64, I64.published, streamOffset);
    this.wakeLoop();
  }

  wakeLoop(): void {
    Atomics.add(this.i32, RingWord.wakeLoop, 1);
    if (Atomics.load(this.i32, RingWord.loopSleeping) === 1) Atomics.notify(this.i32, RingWord.wakeLoop);
  }

  pushSegmentStart(start: SegmentStart): boolean {
    const head = Atomics.load(this.i64, I64.startsHead);
    const tail = Atomics.load(this.i64, I64.startsTail);
    if (head - tail >= BigInt(SEGMENT_STARTS_MAX)) return false;
    const at = SEGMENT_STARTS_OFFSET / 8 + Number(head % BigInt(SEGMENT_STARTS_MAX)) * 2;
    const view = new BigInt64Array(this.memory.buffer, this.address.ptr, DATA_OFFSET / 8);
    view[at] = start.streamOffset;
    view[at + 1] = start.segmentId;
    Atomics.store(this.i64, I64.startsHead, head + 1n);
    return true;
  }

  request(word: number): void {
    Atomics.add(this.i32, word, 1);
    this.wakeLoop();
  }

  setState(state: number): void {
    Atomics.store(this.i32, RingWord.state, state);
    this.wakeLoop();
  }

  // --- loop side ---

  /** Segment starts pushed and not yet taken, oldest first; taking them advances the tail. */
  takeSegmentStarts(): SegmentStart[] {
    const head = Atomics.load(this.i64, I64.startsHead);
    let tail = Atomics.load(this.i64, I64.startsTail);
    const view = new BigInt64Array(this.memory.buffer, this.address.ptr, DATA_OFFSET / 8);
    const out: SegmentStart[] = [];
    for (; tail < head; tail++) {
      const at = SEGMENT_STARTS_OFFSET / 8 + Number(tail % BigInt(SEGMENT_STARTS_MAX)) * 2;
      out.push({ streamOffset: view[at] ?? 0n, segmentId: view[at + 1] ?? 0n });
    }
    Atomics.store(this.i64, I64.startsTail, tail);
    return out;
  }

  publishWritten(streamOffset: bigint): void {
    Atomics.store(this.i64, I64.written, streamOffset);
  }

  publishDurable(streamOffset: bigint): void {
    assert(streamOffset <= this.written, "durable never passes written");
    Atomics.store(this.i64, I64.durable, streamOffset);
    Atomics.add(this.i32, RingWord.durableTurns, 1);
  }

  fail(kind: number, errno: number): void {
    Atomics.store(this.i32, RingWord.failureKind, kind);
    Atomics.store(this.i32, RingWord.failureErrno, errno);
    Atomics.store(this.i32, RingWord.state, RingState.Failed);
  }

  wakeWriters(): void {
    Atomics.add(this.i32, RingWord.wakeWriters, 1);
    Atomics.notify(this.i32, RingWord.wakeWriters);
  }

  /** Views of the ring bytes [from, to) of the stream: one or two pieces (the ring may wrap). */
  slices(from: bigint, to: bigint): Uint8Array[] {
    const length = Number(to - from);
    assert(length >= 0 && length <= this.address.ringSizeBytes, "a slice lies within the ring");
    if (length === 0) return [];
    const start = this.indexOf(from);
    const first = Math.min(length, this.address.ringSizeBytes - start);
    const bytes = new Uint8Array(this.memory.buffer, this.dataPtr, this.address.ringSizeBytes);
    const out = [bytes.subarray(start, start + first)];
    if (first < length) out.push(bytes.subarray(0, length - first));
    return out;
  }
}
