// Reading a segment's bytes back: its frames (through the core's scanner, resumed when the output
// array fills), the check of every frame's entry (recovery decodes each one, so replay never meets
// one it cannot read), and the search for a sync mark after a stop, which tells a torn tail from
// corruption (docs/FORMAT.md "Recovery").
import { type Core, FRAME_HEADER_SIZE, type FrameScan, type ScannedFrame, type ScanStopName, asPtr } from "../core/index.js";
import { EntryType, decodeEntry, isMalformed } from "./log-entry.js";
import { SYNC_MARK_PAYLOAD_SIZE, decodeSyncMark } from "./sync-mark.js";

const SCAN_CAPACITY = 65536;
const SCAN_RECORD_SIZE = 16;
/** A sync mark's payload: the type byte and the durable offset (u64); its frame is 17 bytes. */

export interface SegmentScan {
  readonly frames: ScannedFrame[];
  readonly stopOffset: number;
  readonly stop: ScanStopName;
}

/** Scans `bytes` (a segment's frame area) for frames sealed with `seed`, however many there are. */
export function scanSegmentFrames(core: Core, bytes: Uint8Array, seed: number): SegmentScan {
  const data = core.allocateRegion(Math.max(64, bytes.byteLength));
  const out = core.allocateRegion(SCAN_CAPACITY * SCAN_RECORD_SIZE + 64);
  try {
    core.bytesOf(data).set(bytes);
    const result = asPtr(out.ptr + SCAN_CAPACITY * SCAN_RECORD_SIZE);
    const frames: ScannedFrame[] = [];
    let base = 0;
    for (;;) {
      const scan: FrameScan = core.scanFramesAt(asPtr(data.ptr + base), bytes.byteLength - base, seed, out.ptr, SCAN_CAPACITY, result);
      for (const frame of scan.frames) frames.push({ ...frame, offset: frame.offset + base });
      if (scan.stop !== "OutputFull") return { frames, stopOffset: base + scan.stopOffset, stop: scan.stop };
      base += scan.stopOffset;
    }
  } finally {
    core.releaseRegion(data);
    core.releaseRegion(out);
  }
}

/** What the entries of a segment's valid frames say, up to the first that breaks the format. */
export interface SegmentEntries {
  /** Frames before the first bad entry (all of them if none is bad). */
  readonly keptFrames: number;
  /** Entries (frames other than sync marks) among the kept frames. */
  readonly entryCount: number;
  /** The highest truncate marker's beforeLsn among the kept frames (0 if none). */
  readonly retiredBefore: bigint;
  /** The highest epoch of a kept barrier or truncate marker (0 if none). */
  readonly epoch: bigint;
  /** The first frame that breaks the format: its offset in `bytes`, and why. */
  readonly bad: { readonly offset: number; readonly reason: string } | null;
}

/**
 * Decodes every frame's payload, in order, with the segment's LSNs and stream offsets, and stops
 * at the first that breaks the format: a payload that does not decode, a sync mark whose durable
 * offset lies after the mark itself (a writer only states what was synced before it wrote the
 * mark), or a truncate marker whose beforeLsn lies after its own LSN (a writer only retires
 * entries it has). `bytes` is the frame area, which starts at stream offset `streamOffset`.
 */
export function checkSegmentEntries(bytes: Uint8Array, frames: readonly ScannedFrame[], baseLsn: bigint, streamOffset: bigint): SegmentEntries {
  let entryCount = 0;
  let retiredBefore = 0n;
  let epoch = 0n;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as ScannedFrame;
    // A raw entry always decodes (any body): the hot case builds nothing. An LSN is a bigint made
    // only when a marker or a message needs it.
    if (frame.type === EntryType.Raw) {
      entryCount++;
      continue;
    }
    const payload = bytes.subarray(frame.offset + FRAME_HEADER_SIZE, frame.offset + FRAME_HEADER_SIZE + frame.payloadLength);
    const bad = (reason: string): SegmentEntries => ({ keptFrames: i, entryCount, retiredBefore, epoch, bad: { offset: frame.offset, reason } });
    if (frame.type === EntryType.SyncMark) {
      const durable = decodeSyncMark(payload);
      if (isMalformedMark(durable)) return bad(durable.malformed);
      const at = streamOffset + BigInt(frame.offset);
      if (durable > at) return bad(`a sync mark at stream offset ${at} claims ${durable} durable, past itself`);
      continue;
    }
    const lsn = baseLsn + BigInt(entryCount);
    const entry = decodeEntry(payload);
    if (isMalformed(entry)) return bad(`entry ${lsn}: ${entry.malformed}`);
    if (entry.type === "truncate") {
      if (entry.beforeLsn > lsn) return bad(`entry ${lsn}: a truncate marker retiring entries up to ${entry.beforeLsn}, past itself`);
      if (entry.beforeLsn > retiredBefore) retiredBefore = entry.beforeLsn;
      if (entry.epoch > epoch) epoch = entry.epoch;
    }
    if (entry.type === "epoch-barrier" && entry.epoch > epoch) epoch = entry.epoch;
    entryCount++;
  }
  return { keptFrames: frames.length, entryCount, retiredBefore, epoch, bad: null };
}

function isMalformedMark(value: bigint | { readonly malformed: string }): value is { readonly malformed: string } {
  return typeof value !== "bigint";
}

/**
 * Looks after a stop for proof that the stop's offset was durable: a sync mark at any byte
 * offset p > `from` - 1 of `bytes` (the frame chain is broken at the stop, so frame boundaries
 * after it are unknown), that is a whole 17-byte frame verifying under `seed` (length 9, CRC),
 * whose payload is a well-formed mark with a durable offset above `stopStreamOffset` and not past
 * the mark's own stream offset. `bytes` starts at stream offset `streamOffset`. Only offsets
 * whose length word reads 9 pay for a CRC, so the search is about linear.
 */
export function durableProofAfter(core: Core, bytes: Uint8Array, from: number, seed: number, stopStreamOffset: bigint, streamOffset: bigint): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameSize = FRAME_HEADER_SIZE + SYNC_MARK_PAYLOAD_SIZE;
  for (let offset = from; offset + frameSize <= bytes.byteLength; offset++) {
    if (view.getUint32(offset, true) !== SYNC_MARK_PAYLOAD_SIZE) continue;
    const frame = bytes.subarray(offset, offset + frameSize);
    if (core.scanFrames(frame, seed).frames.length !== 1) continue;
    const durable = decodeSyncMark(frame.subarray(FRAME_HEADER_SIZE));
    if (isMalformedMark(durable)) continue;
    if (durable > stopStreamOffset && durable <= streamOffset + BigInt(offset)) return true;
  }
  return false;
}
