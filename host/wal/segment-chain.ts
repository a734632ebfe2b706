// Rotation: the log's segments in order, the active one the writer frames into, and the next id.
// A new segment starts at the stream's head when the next frame would take the active one past
// segmentSizeMax; its header goes through the commit ring like frames, and the I/O loop creates
// the file (R1, docs/FORMAT.md) before any frame goes into it.
import { type Core } from "../core/index.js";
import { type SegmentStart } from "./commit-ring.js";
import { type RecoveredLog } from "./log-recovery.js";
import { SEGMENT_HEADER_SIZE, SegmentKind, encodeSegmentHeader, frameSeedOf, segmentFileName } from "./segment-format.js";

export interface ActiveSegment {
  readonly id: bigint;
  readonly baseOffset: bigint;
  readonly seed: number;
  /** Bytes framed into it so far (header included). */
  size: number;
  /** Frames other than its header (entries and sync marks). */
  frames: number;
}

export interface ChainedSegment {
  readonly id: bigint;
  readonly baseLsn: bigint;
}

export class SegmentChain {
  readonly segments: ChainedSegment[];
  private activeSegment: ActiveSegment | null = null;
  private nextSegmentId: bigint;

  constructor(recovered: RecoveredLog) {
    this.segments = recovered.segments.map((s) => ({ id: s.header.segmentId, baseLsn: s.header.baseLsn }));
    this.nextSegmentId = recovered.nextSegmentId;
    const last = recovered.segments[recovered.segments.length - 1];
    if (last !== undefined) {
      const frames = last.size > SEGMENT_HEADER_SIZE ? 1 : 0; // only "has one" matters (see rotationDue)
      this.activeSegment = { id: last.header.segmentId, baseOffset: last.header.baseOffset, seed: last.header.frameSeed, size: last.size, frames };
    }
  }

  get active(): ActiveSegment {
    if (this.activeSegment === null) throw new Error("the log has no segment before its first rotation");
    return this.activeSegment;
  }

  get hasActive(): boolean {
    return this.activeSegment !== null;
  }

  /** The active segment as the I/O loop's starting point, or null for a new log. */
  currentStart(): SegmentStart | null {
    const active = this.activeSegment;
    return active === null ? null : { streamOffset: active.baseOffset, segmentId: active.id };
  }

  /** A frame of `frameSize` bytes goes into a new segment (a segment takes at least one frame). */
  rotationDue(frameSize: number, segmentSizeMax: number): boolean {
    const active = this.active;
    return active.frames > 0 && active.size + frameSize > segmentSizeMax;
  }

  /** Makes a new segment starting at `baseOffset` active; returns its start and header bytes. */
  begin(core: Core, baseOffset: bigint, baseLsn: bigint): { start: SegmentStart; header: Uint8Array } {
    const id = this.nextSegmentId;
    const header = encodeSegmentHeader(core, { kind: SegmentKind.Log, segmentId: id, generation: 1n, baseLsn, baseOffset });
    this.activeSegment = { id, baseOffset, seed: frameSeedOf(core, id, 1n), size: 0, frames: 0 };
    this.segments.push({ id, baseLsn });
    this.nextSegmentId += 1n;
    return { start: { streamOffset: baseOffset, segmentId: id }, header };
  }

  /** The id the next begin() will use (to check the ring can take its start first). */
  get nextId(): bigint {
    return this.nextSegmentId;
  }

  /** Drops from the chain the oldest segments whose entries all lie before `lsn` (never the active one). */
  retireBefore(lsn: bigint): string[] {
    const names: string[] = [];
    while (this.segments.length > 1 && (this.segments[1] as ChainedSegment).baseLsn <= lsn) {
      names.push(segmentFileName((this.segments.shift() as ChainedSegment).id));
    }
    return names;
  }
}
