// Reading a segment's bytes back: its frames (through the core's scanner, resumed when the output
// array fills), and the search for a valid frame after a stop, which tells a torn tail from
// corruption.
import { type Core, type FrameScan, type ScannedFrame, type ScanStopName, asPtr } from "../core/index.js";
import { syncMarkOf } from "./log-entry.js";

const SCAN_CAPACITY = 65536;
const SCAN_RECORD_SIZE = 16;

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

/**
 * Looks after a stop for proof that the stop's offset was durable: a valid sync mark, anywhere
 * after it, whose durable offset is above `stopStreamOffset`. Every offset is tried as a frame
 * start; only plausible lengths pay for a CRC, so the search is about linear.
 */
export function durableProofAfter(core: Core, bytes: Uint8Array, from: number, seed: number, stopStreamOffset: bigint): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = from; offset + 9 <= bytes.byteLength; offset++) {
    const length = view.getUint32(offset, true);
    if (length !== SYNC_MARK_PAYLOAD_SIZE) continue;
    const frame = bytes.subarray(offset, offset + 8 + length);
    if (frame.byteLength < 8 + length || core.scanFrames(frame, seed).frames.length !== 1) continue;
    const durable = syncMarkOf(frame.subarray(8));
    if (durable !== undefined && durable > stopStreamOffset) return true;
  }
  return false;
}

const SYNC_MARK_PAYLOAD_SIZE = 9;
