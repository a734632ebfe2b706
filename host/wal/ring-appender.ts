// Framing on the writers' thread: entries, sync marks and segment headers are written straight
// into the commit ring at the stream's head, then published for the I/O loop. Nothing here waits
// or does I/O; a full ring is a `null` the caller handles (it queues the append: backpressure).
import { type Core, type Ptr, type Region, FRAME_HEADER_SIZE, asPtr } from "../core/index.js";
import { type CommitRing, RingWord } from "./commit-ring.js";
import { type EntryPayload } from "./log-entry.js";
import { type SegmentChain } from "./segment-chain.js";
import { SEGMENT_HEADER_SIZE } from "./segment-format.js";
import { SYNC_MARK_FRAME_SIZE, SYNC_MARK_PAYLOAD_SIZE, SyncMarkPolicy, encodeSyncMark } from "./sync-mark.js";

export interface AppenderLimits {
  readonly ringSizeBytes: number;
  readonly segmentSizeMax: number;
}

export class RingAppender {
  /** The next entry's LSN and the stream's head, as numbers on the per-append path (see log-waiters.ts). */
  nextLsnValue: number;
  positionValue: number;
  /** The ring's origin as a number, and the written offset as last read (refreshed when space runs short). */
  private readonly ringOrigin: number;
  private writtenSeen: number;
  private readonly marks: SyncMarkPolicy;
  private readonly lengthsPtr: Ptr;
  private readonly lengthView: DataView;
  /** The ring's data and spill bytes: the ring never moves, so this view stays valid. */
  private readonly ringBytes: Uint8Array;

  constructor(
    private readonly core: Core,
    private readonly ring: CommitRing,
    readonly chain: SegmentChain,
    private readonly limits: AppenderLimits,
    lengths: Region,
    position: bigint,
    nextLsn: bigint,
  ) {
    this.nextLsnValue = Number(nextLsn);
    this.positionValue = Number(position);
    this.ringOrigin = Number(ring.origin);
    this.writtenSeen = this.positionValue;
    this.marks = new SyncMarkPolicy(this.positionValue);
    this.lengthsPtr = lengths.ptr;
    this.lengthView = new DataView(core.memory.buffer, lengths.ptr, 4);
    this.ringBytes = new Uint8Array(core.memory.buffer, ring.dataPtr, ring.address.ringSizeBytes + ring.address.spillSizeBytes);
  }

  /** Frames the payload into the ring if it fits now (rotating first if due); returns its LSN or null. */
  tryAppend(payload: EntryPayload): number | null {
    // The durable offset moved since the last mark iff the loop's durable-turn counter did.
    const turns = Atomics.load(this.ring.i32, RingWord.durableTurns);
    const mark = this.marks.leadingMarkDue(turns);
    const frameSize = FRAME_HEADER_SIZE + payload.size + (mark ? SYNC_MARK_FRAME_SIZE : 0);
    const rotate = this.chain.rotationDue(frameSize, this.limits.segmentSizeMax);
    if (!this.ringHasRoom(frameSize + (rotate ? SEGMENT_HEADER_SIZE : 0))) return null;
    if (rotate && !this.startSegment()) return null;
    // Whenever the durable offset has moved since the last mark, say so in the stream: it lets
    // recovery prove that a damaged frame below it was synced (corruption, not a torn tail).
    if (mark) this.placeMark(turns);
    this.placeBytes(payload.size, (target, at) => payload.writeTo(target, at), true);
    this.marks.framed(this.positionValue);
    const lsn = this.nextLsnValue;
    this.nextLsnValue += 1;
    this.ring.publish(BigInt(this.positionValue));
    return lsn;
  }

  /**
   * Places a trailing sync mark if one would prove entries nothing else proves (sync-mark.ts).
   * Returns the stream offset the mark ends at, or null if none was due or the ring is full.
   */
  tryTrailingMark(): number | null {
    if (!this.chain.hasActive || !this.marks.trailingMarkDue(Number(this.ring.durable), this.positionValue)) return null;
    if (!this.ringHasRoom(SYNC_MARK_FRAME_SIZE)) return null;
    this.placeMark(Atomics.load(this.ring.i32, RingWord.durableTurns));
    this.ring.publish(BigInt(this.positionValue));
    return this.positionValue;
  }

  /** Starts a new segment at the stream's head: its header goes through the ring like frames. */
  startSegment(): boolean {
    const baseOffset = BigInt(this.positionValue);
    if (!this.ring.pushSegmentStart({ streamOffset: baseOffset, segmentId: this.chain.nextId })) return false;
    const { header } = this.chain.begin(this.core, baseOffset, BigInt(this.nextLsnValue));
    this.placeBytes(header.byteLength, (target, at) => target.set(header, at), false);
    this.marks.framed(this.positionValue);
    return true;
  }

  private ringHasRoom(bytes: number): boolean {
    if (this.limits.ringSizeBytes - (this.positionValue - this.writtenSeen) >= bytes) return true;
    this.writtenSeen = Number(this.ring.written);
    return this.limits.ringSizeBytes - (this.positionValue - this.writtenSeen) >= bytes;
  }

  private placeMark(turns: number): void {
    const durable = this.ring.durable;
    this.placeBytes(SYNC_MARK_PAYLOAD_SIZE, (target, at) => target.set(encodeSyncMark(durable), at), true);
    this.marks.marked(turns, Number(durable));
  }

  /**
   * Writes `size` bytes into the ring at the stream's head (the frame header, when `frame`, is
   * in front of them). A frame that runs past the ring's end lands in the spill area and its
   * overflow is copied to the ring's start, so the core always encodes contiguous bytes.
   */
  private placeBytes(size: number, write: (target: Uint8Array, at: number) => void, frame: boolean): void {
    const index = (this.positionValue - this.ringOrigin) % this.limits.ringSizeBytes;
    const headerSize = frame ? FRAME_HEADER_SIZE : 0;
    write(this.ringBytes, index + headerSize);
    if (frame) {
      this.lengthView.setUint32(0, size, true);
      this.core.encodeFramesAt(asPtr(this.ring.dataPtr + index), this.lengthsPtr, 1, this.chain.active.seed);
      this.chain.active.frames += 1;
    }
    const total = headerSize + size;
    const ringSize = this.ring.address.ringSizeBytes;
    const overflow = index + total - ringSize;
    if (overflow > 0) this.ringBytes.copyWithin(0, ringSize, ringSize + overflow);
    this.positionValue += total;
    this.chain.active.size += total;
  }
}
