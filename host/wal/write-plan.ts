// Which bytes of the stream go to which segment file, at which offset: pure arithmetic, so the
// simulator and a unit test can check it without a disk.
import { assert } from "../assert.js";
import { type SegmentStart } from "./commit-ring.js";

export interface WritePiece {
  readonly segmentId: bigint;
  /** The stream range [streamFrom, streamTo) this piece writes. */
  readonly streamFrom: bigint;
  readonly streamTo: bigint;
  /** Where streamFrom lands in the segment file. */
  readonly fileOffset: number;
}

/**
 * Splits [from, to) at segment starts. `segments` are known segment starts in stream order; the
 * first must start at or before `from` (the segment the stream is in).
 */
export function planWrites(from: bigint, to: bigint, segments: readonly SegmentStart[]): WritePiece[] {
  assert(from <= to, "a plan covers a forward range");
  const pieces: WritePiece[] = [];
  for (let i = 0; i < segments.length && from < to; i++) {
    const segment = segments[i];
    assert(segment !== undefined, "segments are dense");
    const next = segments[i + 1];
    const segmentEnd = next === undefined ? to : next.streamOffset;
    if (segmentEnd <= from) continue;
    assert(segment.streamOffset <= from, "the stream range starts inside a known segment");
    const pieceTo = segmentEnd < to ? segmentEnd : to;
    pieces.push({ segmentId: segment.segmentId, streamFrom: from, streamTo: pieceTo, fileOffset: Number(from - segment.streamOffset) });
    from = pieceTo;
  }
  assert(from === to, "every published byte belongs to a segment");
  return pieces;
}
